# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Create the jobs, runs and run logs tables."""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "8d2a4c6e1f70"
down_revision = "5c1e0f3a9b21"
branch_labels = ()
# The runs reference accounts_user: the accounts tables must exist first.
depends_on = "9848d0149abd"

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade():
    """Upgrade database."""
    op.create_table(
        "jobs_job",
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("task", sa.String(length=255), nullable=False),
        sa.Column("default_queue", sa.String(length=64), nullable=True),
        sa.Column("schedule", JSON, nullable=True),
        sa.Column("run_args", JSON, nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("schedule_anchor", UTCDateTime(), nullable=True),
        sa.Column("misfire_policy", sa.String(length=16), nullable=False),
        sa.Column("allow_overlap", sa.Boolean(), nullable=False),
        sa.Column("overlap_skips", sa.Integer(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=True),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("notification_emails", JSON, nullable=False),
        sa.Column("notification_statuses", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_job")),
    )
    op.create_index(
        op.f("ix_jobs_job_next_run_at"), "jobs_job", ["next_run_at"], unique=False
    )
    op.create_index(
        "ix_jobs_job_title_lower",
        "jobs_job",
        [sa.text("lower(title)"), "id"],
        unique=False,
    )
    op.create_table(
        "jobs_run",
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("parent_run_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("args", JSON, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=255), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.Column("dispatched_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("stop_requested_at", UTCDateTime(), nullable=True),
        sa.Column("task_finished_at", UTCDateTime(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("total_entries", sa.Integer(), nullable=True),
        sa.Column("inserted_entries", sa.Integer(), nullable=False),
        sa.Column("updated_entries", sa.Integer(), nullable=False),
        sa.Column("errored_entries", sa.Integer(), nullable=False),
        sa.Column("total_subtasks", sa.Integer(), nullable=False),
        sa.Column("completed_subtasks", sa.Integer(), nullable=False),
        sa.Column("errored_subtasks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs_job.id"],
            name=op.f("fk_jobs_run_job_id_jobs_job"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_run_id"],
            ["jobs_run.id"],
            name=op.f("fk_jobs_run_parent_run_id_jobs_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["accounts_user.id"],
            name=op.f("fk_jobs_run_started_by_id_accounts_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_run")),
        sa.UniqueConstraint("job_id", "scheduled_at", name=op.f("uq_jobs_run_job_id")),
    )
    op.create_index(
        "ix_jobs_run_job_id_created", "jobs_run", ["job_id", "created"], unique=False
    )
    op.create_index(
        "ix_jobs_run_status_created", "jobs_run", ["status", "created"], unique=False
    )
    op.create_table(
        "jobs_run_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("logger", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("context", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["jobs_run.id"],
            name=op.f("fk_jobs_run_log_run_id_jobs_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_run_log")),
    )
    op.create_index(
        "ix_jobs_run_log_run_id_id", "jobs_run_log", ["run_id", "id"], unique=False
    )


def downgrade():
    """Downgrade database."""
    op.drop_index("ix_jobs_run_log_run_id_id", table_name="jobs_run_log")
    op.drop_table("jobs_run_log")
    op.drop_index("ix_jobs_run_status_created", table_name="jobs_run")
    op.drop_index("ix_jobs_run_job_id_created", table_name="jobs_run")
    op.drop_table("jobs_run")
    op.drop_index("ix_jobs_job_title_lower", table_name="jobs_job")
    op.drop_index(op.f("ix_jobs_job_next_run_at"), table_name="jobs_job")
    op.drop_table("jobs_job")
