# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Index InvenioRDM's runs by job and creation time.

A job's run history and "the last run of each job" read runs of one job, newest
first. ``IF NOT EXISTS`` as in InvenioRDM: some instances made the index by
hand before this revision existed.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "1784553083"
down_revision = "1764848648"
branch_labels = ()
depends_on = None


def upgrade():
    """Upgrade database."""
    op.create_index(
        "ix_jobs_run_job_id", "jobs_run", ["job_id", "created"], if_not_exists=True
    )


def downgrade():
    """Downgrade database."""
    op.drop_index("ix_jobs_run_job_id", table_name="jobs_run")
