# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Delays of runs live in the database: ``due_at``.

A queued run that must start later (a retry's back-off, a send the broker
refused) waits with ``dispatched_at`` NULL until ``due_at``, when the beat
sends it; ``dispatched_at`` now always says when the message was handed to
the broker. Queued runs are brought to that meaning: one sent with a
delay (``dispatched_at`` in the future) waits for that time, one never
marked as sent counts as sent when it was made (the maintenance task sends
it again if its message is missing from the broker).
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from invenio_db.shared import UTCDateTime

from invenio_jobs.alembic import drop_columns, refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "e7a1c2d3f4b5"
down_revision = "d5e9f2b8c013"
branch_labels = ()
depends_on = None

INDEX = "ix_jobs_run_due_at"

runs = sa.table(
    "jobs_run",
    sa.column("status", sa.String(1)),
    sa.column("created", UTCDateTime()),
    sa.column("dispatched_at", UTCDateTime()),
    sa.column("due_at", UTCDateTime()),
)


def upgrade():
    """Add ``due_at`` and move pending delays into it."""
    op.add_column("jobs_run", sa.Column("due_at", UTCDateTime(), nullable=True))
    op.create_index(INDEX, "jobs_run", ["due_at"])
    queued = runs.c.status == "Q"
    op.execute(
        runs.update()
        .where(queued, runs.c.dispatched_at > datetime.now(timezone.utc))
        .values(due_at=runs.c.dispatched_at, dispatched_at=None)
    )
    op.execute(
        runs.update()
        .where(queued, runs.c.dispatched_at.is_(None), runs.c.due_at.is_(None))
        .values(dispatched_at=runs.c.created)
    )


def downgrade():
    """Drop ``due_at``; a run waiting for it is due at that time, as before."""
    refuse_what_the_take_over_refuses()
    op.execute(
        runs.update()
        .where(runs.c.status == "Q", runs.c.due_at.is_not(None))
        .values(dispatched_at=runs.c.due_at)
    )
    op.drop_index(INDEX, table_name="jobs_run")
    drop_columns("jobs_run", "due_at")
