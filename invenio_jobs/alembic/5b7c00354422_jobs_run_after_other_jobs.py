# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs run after other jobs: ``jobs_job.run_after``, ``jobs_run.after_run_id``.

A run started by the end of another job's run links that run, and the
unique ``(job_id, after_run_id)`` keeps each end from starting two runs.
"""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "5b7c00354422"
down_revision = "67142ce00e8a"
branch_labels = ()
depends_on = None

UNIQUE = "uq_jobs_run_job_id_after_run_id"
FOREIGN_KEY = "fk_jobs_run_after_run_id_jobs_run"


def upgrade():
    """Add the links and the key that keeps one run per end."""
    op.add_column(
        "jobs_job",
        sa.Column(
            "run_after",
            sa.JSON().with_variant(
                sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql"
            ),
            nullable=True,
        ),
    )
    with op.batch_alter_table("jobs_run") as batch:
        batch.add_column(sa.Column("after_run_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            FOREIGN_KEY, "jobs_run", ["after_run_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_unique_constraint(UNIQUE, ["after_run_id", "job_id"])


def downgrade():
    """Drop the links."""
    refuse_what_the_take_over_refuses()
    with op.batch_alter_table("jobs_run") as batch:
        batch.drop_constraint(UNIQUE, type_="unique")
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("after_run_id")
    op.drop_column("jobs_job", "run_after")
