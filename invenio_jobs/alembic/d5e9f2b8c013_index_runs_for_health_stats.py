# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Indexes that keep the health statistics of runs constant in cost."""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "d5e9f2b8c013"
down_revision = "c4d8e1a7b902"
branch_labels = ()
depends_on = None

INDEXES = {
    # Top-level runs of a window by creation and status, from the index alone.
    "ix_jobs_run_health_created": (["created", "status"], "parent_run_id IS NULL"),
    # Scheduled runs of a window by fire time, with their start (the lag).
    "ix_jobs_run_health_scheduled_at": (
        ["scheduled_at", "started_at"],
        "scheduled_at IS NOT NULL",
    ),
}
"""The partial indexes of the health statistics: columns and condition."""


def upgrade():
    """Upgrade database."""
    for name, (columns, where) in INDEXES.items():
        condition = sa.text(where)
        op.create_index(
            name,
            "jobs_run",
            columns,
            postgresql_where=condition,
            sqlite_where=condition,
        )
    op.create_table(
        "jobs_counter",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_jobs_counter")),
    )


def downgrade():
    """Drop the counters and the indexes."""
    refuse_what_the_take_over_refuses()
    op.drop_table("jobs_counter")
    for name in reversed(list(INDEXES)):
        op.drop_index(name, table_name="jobs_run")
