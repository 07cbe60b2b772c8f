# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Retention of run logs.

``delete_logs`` keeps InvenioRDM's task name, which invenio-app-rdm's
default ``CELERY_BEAT_SCHEDULE`` sends every day; it deletes the log lines
older than ``JOBS_LOGGING_RETENTION_DAYS``, as ``prune_runs`` does.
"""

from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from invenio_db import db

from ..models import RunLog, utcnow

BATCH_SIZE = 5000
"""Log lines deleted per transaction, so that the table is never locked long."""


def delete_old_logs(days: int, batch_size: int = BATCH_SIZE) -> int:
    """Delete the log lines older than ``days`` days, in batches; return how many."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = 0
    while True:
        ids = db.session.scalars(
            sa.select(RunLog.id)
            .where(RunLog.timestamp < cutoff)
            .order_by(RunLog.id)
            .limit(batch_size)
        ).all()
        if not ids:
            return deleted
        db.session.execute(sa.delete(RunLog).where(RunLog.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)


@shared_task(ignore_result=True, name="invenio_jobs.logging.tasks.delete_logs")
def delete_logs(batch_size=BATCH_SIZE):
    """Delete the run log lines older than ``JOBS_LOGGING_RETENTION_DAYS``."""
    return delete_old_logs(
        current_app.config["JOBS_LOGGING_RETENTION_DAYS"], batch_size=batch_size
    )
