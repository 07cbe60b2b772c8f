# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The last successful run of a job, found through an index.

Each run a worker claims reads when its job last succeeded (``since``); a
partial index of successful top-level runs by start makes that one index
probe, instead of a scan of the job's whole history.
"""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "f3a8c1d9e2b7"
down_revision = "e7a1c2d3f4b5"
branch_labels = ()
depends_on = None

INDEX = "ix_jobs_run_last_success"
CONDITION = "status = 'S' AND parent_run_id IS NULL AND started_at IS NOT NULL"


def upgrade():
    """Add the index."""
    condition = sa.text(CONDITION)
    op.create_index(
        INDEX,
        "jobs_run",
        ["job_id", "started_at"],
        postgresql_where=condition,
        sqlite_where=condition,
    )


def downgrade():
    """Drop the index."""
    refuse_what_the_take_over_refuses()
    op.drop_index(INDEX, table_name="jobs_run")
