# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs partitioned by day, with a trigram index for the log search.

On PostgreSQL, ``jobs_run_log`` becomes a table partitioned by range of
``timestamp``: a partition per ended day (retention then drops whole
days), today's and tomorrow's hours, a partition per later day ahead;
the messages of the ended ranges have a trigram index (the log search's
substring matches use it). Every line is
copied with its id, inside the migration's transaction; the downgrade
copies them back into the one table. SQLite keeps its one table.

Time: about a minute per ten million lines on a small server (copy and
index building); see ``benchmarks/log_search.py --upgrade``.
"""

from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses
from invenio_jobs.database.partitions import (
    DAYS_AHEAD,
    partition_log_table,
    unpartition_log_table,
)
from invenio_jobs.models import utcnow

# revision identifiers, used by Alembic.
revision = "bb6db4f6d2d6"
down_revision = "e5717574ff13"
branch_labels = ()
depends_on = None


def upgrade():
    """Partition the log table and index its messages (PostgreSQL)."""
    partition_log_table(op.get_bind(), utcnow().date(), DAYS_AHEAD)


def downgrade():
    """Give back the one log table, without the trigram index."""
    refuse_what_the_take_over_refuses()
    unpartition_log_table(op.get_bind())
