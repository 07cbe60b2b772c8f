# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The rows of the jobs' history: what happened to a job, by whom, through what.

Only storage lives here (add an entry, delete old ones), so that the
services that record changes and the maintenance task that prunes them
share it; who may read the history, and its pages, is
:mod:`invenio_jobs.services.history`.
"""

import enum
from datetime import timedelta

import sqlalchemy as sa
from invenio_db import db

from .audit_logs import forward_job_event
from .models import JobEvent, utcnow


class JobAction(enum.StrEnum):
    """What an entry of a job's history records."""

    CREATED = "created"
    UPDATED = "updated"
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    RUN_AS_CHANGED = "run_as_changed"
    DELETED = "deleted"
    GRANTED = "granted"
    REVOKED = "revoked"
    RUN_STARTED = "run_started"
    RUN_STOPPED = "run_stopped"
    RUN_AGAIN = "run_again"


class ChangeSource(enum.StrEnum):
    """Through what a change was made."""

    UI = "ui"
    API = "api"
    CLI = "cli"
    IMPORT = "import"
    SYSTEM = "system"


def add_job_event(
    job_id, action, source, user_id=None, job_title=None, details=None, session=None
) -> JobEvent:
    """Add one entry to a job's history, in ``session``'s transaction.

    Written with the change it records: a change rolled back leaves no
    entry, and an entry never misses a change that was committed. Where
    invenio-audit-logs is installed and on, the entry goes to it too, in
    the same transaction (:mod:`invenio_jobs.audit_logs`).
    """
    event = JobEvent(
        job_id=job_id,
        action=JobAction(action).value,
        source=ChangeSource(source).value,
        user_id=user_id,
        job_title=job_title,
        details=details or None,
        created=utcnow(),
    )
    session = session or db.session
    session.add(event)
    forward_job_event(event, session)
    return event


def delete_old_job_events(days: int, batch_size: int = 5000) -> int:
    """Delete the history entries older than ``days`` days, in batches; how many."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = 0
    while True:
        ids = db.session.scalars(
            sa.select(JobEvent.id)
            .where(JobEvent.created < cutoff)
            .order_by(JobEvent.id)
            .limit(batch_size)
        ).all()
        if not ids:
            return deleted
        db.session.execute(sa.delete(JobEvent).where(JobEvent.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
