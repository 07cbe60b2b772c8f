# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs that run as a service account, and the history of every job.

``jobs_job.run_as_id`` names the user every run of a job executes as,
``jobs_run.run_as_id`` the user a run did execute as. ``jobs_job_event``
keeps each change to a job and each action on its runs; it has no foreign
key to the job, so that a deleted job's history stays.
"""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime
from sqlalchemy.dialects import postgresql

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "3c9dcb8068f8"
down_revision = "768f4ee2a619"
branch_labels = ()
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _keep_expression_index():
    """Make again the index that SQLite's table copy loses.

    On SQLite a batch alteration copies the table, and the copy has no
    index on an expression (``lower(title)``), which cannot be reflected.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_jobs_job_title_lower "
            "ON jobs_job (lower(title), id)"
        )


def upgrade():
    """Add the run-as columns and the history table."""
    for table in ("jobs_job", "jobs_run"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("run_as_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_run_as_id_accounts_user",
                "accounts_user",
                ["run_as_id"],
                ["id"],
                ondelete="SET NULL",
            )
    _keep_expression_index()
    op.create_table(
        "jobs_job_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("job_title", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("details", JSON, nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs_job_event"),
    )
    op.create_index("ix_jobs_job_event_job_id_id", "jobs_job_event", ["job_id", "id"])
    op.create_index("ix_jobs_job_event_created", "jobs_job_event", ["created"])


def downgrade():
    """Drop the history table and the run-as columns."""
    refuse_what_the_take_over_refuses()
    op.drop_index("ix_jobs_job_event_created", table_name="jobs_job_event")
    op.drop_index("ix_jobs_job_event_job_id_id", table_name="jobs_job_event")
    op.drop_table("jobs_job_event")
    for table in ("jobs_run", "jobs_job"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(
                f"fk_{table}_run_as_id_accounts_user", type_="foreignkey"
            )
            batch.drop_column("run_as_id")
    _keep_expression_index()
