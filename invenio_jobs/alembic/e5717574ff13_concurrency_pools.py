# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Concurrency pools: named numbers of slots that jobs share.

``jobs_pool`` holds the pools; ``jobs_job.pool`` names a job's pool, and
``jobs_run.slot_pool`` the pool in which a run holds a slot, counted by the
statement that admits the next waiting run.
"""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime

from invenio_jobs.alembic import drop_columns, refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "e5717574ff13"
down_revision = "f3a8c1d9e2b7"
branch_labels = ()
depends_on = None

SLOT_INDEX = "ix_jobs_run_slot_pool"
JOB_INDEX = "ix_jobs_job_pool"


def upgrade():
    """Add the pools table, a job's pool and a run's slot."""
    op.create_table(
        "jobs_pool",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_jobs_pool")),
    )
    op.add_column("jobs_job", sa.Column("pool", sa.String(64), nullable=True))
    op.create_index(JOB_INDEX, "jobs_job", ["pool"])
    op.add_column("jobs_run", sa.Column("slot_pool", sa.String(64), nullable=True))
    holding = sa.text("slot_pool IS NOT NULL")
    op.create_index(
        SLOT_INDEX,
        "jobs_run",
        ["slot_pool", "status"],
        postgresql_where=holding,
        sqlite_where=holding,
    )


def downgrade():
    """Drop them; runs that waited for a slot are sent when next due."""
    refuse_what_the_take_over_refuses()
    op.drop_index(SLOT_INDEX, table_name="jobs_run")
    drop_columns("jobs_run", "slot_pool")
    op.drop_index(JOB_INDEX, table_name="jobs_job")
    # Not in a batch: SQLite would copy the table without its expression
    # index (the title's), which it cannot reflect.
    op.drop_column("jobs_job", "pool")
    op.drop_table("jobs_pool")
