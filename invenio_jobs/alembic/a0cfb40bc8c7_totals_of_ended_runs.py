# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Totals of the ended runs for the metrics (``jobs_run_total``), kept by triggers.

The upgrade makes the totals and their changes, fills the totals from the
runs kept (one pass over ``jobs_run``: 1.6 s for a million runs on
PostgreSQL, up to 5 s on a busy machine, measured by
``benchmarks/health_stats.py``), indexes each job's successful ends (its
last success, one probe per job), then makes the triggers that write a
change as a run ends. All in the upgrade's
transaction, with ``jobs_run`` locked against writes meanwhile on
PostgreSQL, so that no run ends between the fill and the triggers. The
downgrade drops the triggers, the index and the tables; the metrics then
read every run again.
"""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses
from invenio_jobs.run_totals import create_triggers, drop_triggers, fill_statement

# revision identifiers, used by Alembic.
revision = "a0cfb40bc8c7"
down_revision = "18f8270a44b3"
branch_labels = ()
depends_on = None

DURATION_BOUNDS = (1, 5, 15, 60, 300, 900, 3600, 14400, 86400)
"""The duration histogram's bounds as this revision makes its columns."""

LAG_BOUNDS = (0.5, 1, 5, 15, 60, 300, 3600)
"""The scheduling lag histogram's bounds as this revision makes its columns."""


LAST_END = "ix_jobs_run_last_end"
"""Each job's successful top-level runs by end: its last success, one probe."""

SUCCESSES = "status = 'S' AND parent_run_id IS NULL"
"""The runs of that index."""


def _column(bound) -> str:
    return str(bound).replace(".", "_")


def _count(name):
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _sum(name):
    return sa.Column(name, sa.Float(), nullable=False, server_default="0")


def upgrade():
    """Make the totals, fill them from the runs, then keep them with triggers."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Runs may end while the upgrade runs: they wait for the triggers.
        op.execute("LOCK TABLE jobs_run IN SHARE ROW EXCLUSIVE MODE")
    op.create_table(
        "jobs_run_total",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("task", sa.String(length=255), nullable=False),
        _count("runs"),
        _count("duration_count"),
        _sum("duration_sum"),
        *[_count(f"duration_le_{_column(b)}") for b in DURATION_BOUNDS],
        _count("lag_count"),
        _sum("lag_sum"),
        *[_count(f"lag_le_{_column(b)}") for b in LAG_BOUNDS],
        sa.PrimaryKeyConstraint("job_id", "status", name=op.f("pk_jobs_run_total")),
    )
    op.create_table(
        "jobs_run_total_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("task", sa.String(length=255), nullable=False),
        sa.Column("runs", sa.SmallInteger(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("lag", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_run_total_change")),
    )
    op.execute(fill_statement(bind.dialect, DURATION_BOUNDS, LAG_BOUNDS))
    op.create_index(
        LAST_END,
        "jobs_run",
        ["job_id", "finished_at"],
        postgresql_where=sa.text(SUCCESSES),
        sqlite_where=sa.text(SUCCESSES),
    )
    create_triggers(bind)


def downgrade():
    """Drop the triggers and the totals."""
    refuse_what_the_take_over_refuses()
    drop_triggers(op.get_bind())
    op.drop_index(LAST_END, table_name="jobs_run")
    op.drop_table("jobs_run_total_change")
    op.drop_table("jobs_run_total")
