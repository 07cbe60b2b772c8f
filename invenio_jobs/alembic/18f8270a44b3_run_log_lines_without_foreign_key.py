# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run log lines without a foreign key to their run.

Checking the key looked up the run for every line stored: half of what a
COPY of log lines cost the database, so that a job logging fast waited at
its end for its lines. A run's lines are deleted with it, or with their
day; the way back deletes the lines of runs that no longer exist, then
checks every line again.
"""

from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "18f8270a44b3"
down_revision = "5b7c00354422"
branch_labels = ()
depends_on = None

TABLE = "jobs_run_log"
FOREIGN_KEY = "fk_jobs_run_log_run_id_jobs_run"


def upgrade():
    """Drop the key (on PostgreSQL, from the partitioned table and every day's)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {FOREIGN_KEY}")
        return
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade():
    """Delete the lines whose run is gone, and check every line's run again."""
    refuse_what_the_take_over_refuses()
    op.execute(
        f"DELETE FROM {TABLE} WHERE NOT EXISTS "
        f"(SELECT 1 FROM jobs_run WHERE jobs_run.id = {TABLE}.run_id)"
    )
    with op.batch_alter_table(TABLE) as batch:
        batch.create_foreign_key(
            FOREIGN_KEY, "jobs_run", ["run_id"], ["id"], ondelete="CASCADE"
        )
