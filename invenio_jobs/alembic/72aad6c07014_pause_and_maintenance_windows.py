# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Pause all scheduled runs, and recurring maintenance windows.

``jobs_pause`` holds at most one row (its key can only be 1): the switch
every beat reads in its claim. ``jobs_maintenance_window`` holds the
recurring windows; a job may ignore them (``ignore_maintenance_windows``)
and remembers the first fire a window held (``held_since``).
"""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime
from sqlalchemy.dialects import postgresql

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
"""The JSON type of our own columns, as in the models."""

# revision identifiers, used by Alembic.
revision = "72aad6c07014"
down_revision = "bb6db4f6d2d6"
branch_labels = ()
depends_on = None


def upgrade():
    """Add the pause switch, the windows and the jobs' two columns."""
    op.create_table(
        "jobs_pause",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paused_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=True),
        sa.Column("paused_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_jobs_pause_one_row")),
        sa.ForeignKeyConstraint(
            ["paused_by_id"],
            ["accounts_user.id"],
            name=op.f("fk_jobs_pause_paused_by_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_pause")),
    )
    op.create_table(
        "jobs_maintenance_window",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("schedule", JSON, nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_maintenance_window")),
    )
    op.add_column(
        "jobs_job",
        sa.Column(
            "ignore_maintenance_windows",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )
    op.add_column("jobs_job", sa.Column("held_since", UTCDateTime(), nullable=True))


def downgrade():
    """Drop them; a held job fires from its first held fire time again."""
    refuse_what_the_take_over_refuses()
    jobs = sa.table(
        "jobs_job",
        sa.column("next_run_at", UTCDateTime()),
        sa.column("held_since", UTCDateTime()),
    )
    op.execute(
        jobs.update()
        .where(jobs.c.held_since.is_not(None))
        .values(next_run_at=jobs.c.held_since)
    )
    # Not in a batch: SQLite's copy of the table would lose the expression
    # index of titles, which it cannot reflect (SQLite drops columns itself).
    op.drop_column("jobs_job", "ignore_maintenance_windows")
    op.drop_column("jobs_job", "held_since")
    op.drop_table("jobs_maintenance_window")
    op.drop_table("jobs_pause")
