# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs kept as code have a key: ``jobs_job.code_key``, unique.

``invenio jobs import`` matches the jobs of a file with those of the
database by this key, which ``invenio jobs export`` writes; a job made in
the admin UI has none until it is imported (its export writes its id).
"""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "67142ce00e8a"
down_revision = "3c9dcb8068f8"
branch_labels = ()
depends_on = None

INDEX = "ix_jobs_job_code_key"


def upgrade():
    """Add the key, unique where given."""
    op.add_column("jobs_job", sa.Column("code_key", sa.String(255), nullable=True))
    op.create_index(INDEX, "jobs_job", ["code_key"], unique=True)


def downgrade():
    """Drop the key."""
    refuse_what_the_take_over_refuses()
    op.drop_index(INDEX, table_name="jobs_job")
    # Not in a batch: SQLite's copy of the table would lose the expression
    # index on the title, which it cannot reflect; it drops a column itself.
    op.drop_column("jobs_job", "code_key")
