# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alerts: a job's alert settings, which alerts hold, and their deliveries."""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime
from sqlalchemy.dialects import postgresql

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
"""Our JSON type, as in ``invenio_jobs.models``."""

# revision identifiers, used by Alembic.
revision = "768f4ee2a619"
down_revision = "72aad6c07014"
branch_labels = ()
depends_on = None


def upgrade():
    """Add ``jobs_job.alerts``, ``jobs_alert`` and ``jobs_alert_delivery``."""
    op.add_column("jobs_job", sa.Column("alerts", JSON, nullable=True))
    op.create_table(
        "jobs_alert",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs_job.id"],
            name=op.f("fk_jobs_alert_job_id_jobs_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "kind", name=op.f("pk_jobs_alert")),
    )
    op.create_table(
        "jobs_alert_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs_job.id"],
            name=op.f("fk_jobs_alert_delivery_job_id_jobs_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_alert_delivery")),
    )
    op.create_index(
        "ix_jobs_alert_delivery_job_id", "jobs_alert_delivery", ["job_id", "created"]
    )
    op.create_index("ix_jobs_alert_delivery_due_at", "jobs_alert_delivery", ["due_at"])


def downgrade():
    """Drop the deliveries, the alerts and the settings."""
    refuse_what_the_take_over_refuses()
    op.drop_index("ix_jobs_alert_delivery_due_at", table_name="jobs_alert_delivery")
    op.drop_index("ix_jobs_alert_delivery_job_id", table_name="jobs_alert_delivery")
    op.drop_table("jobs_alert_delivery")
    op.drop_table("jobs_alert")
    # Not in a batch: SQLite drops a plain column in place, where a batch
    # would copy the table and lose its index on an expression.
    op.drop_column("jobs_job", "alerts")
