# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Store InvenioRDM's job and run times as time-zone aware UTC timestamps.

At this revision InvenioRDM moved ``created``, ``updated``, ``started_at`` and
``finished_at`` to ``UTCDateTime`` (``timestamp with time zone`` on
PostgreSQL). The naive values were written in UTC, so they are read as UTC,
whatever the session's time zone. SQLite has one DATETIME type for both, so
nothing changes there.
"""

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime

# revision identifiers, used by Alembic.
revision = "9732b5f7609a"
down_revision = "1753948224"
branch_labels = ()
depends_on = None

COLUMNS = (
    ("jobs_job", "created"),
    ("jobs_job", "updated"),
    ("jobs_run", "created"),
    ("jobs_run", "updated"),
    ("jobs_run", "started_at"),
    ("jobs_run", "finished_at"),
)


def _retype(aware: bool):
    """Turn every time column into an aware (or back into a naive) one."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=UTCDateTime() if aware else sa.DateTime(),
            existing_type=sa.DateTime() if aware else UTCDateTime(),
            existing_nullable=column in ("started_at", "finished_at"),
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def upgrade():
    """Upgrade database."""
    _retype(aware=True)


def downgrade():
    """Downgrade database."""
    _retype(aware=False)
