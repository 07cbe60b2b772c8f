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

import logging
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from invenio_db import db

from ..database.consolidation import consolidate_ended_days
from ..database.partitions import (
    create_partitions_ahead,
    drop_partitions_before,
    index_ended_partitions,
    is_lock_timeout,
    is_partitioned,
    lock_changes,
)
from ..models import RunLog, utcnow

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
"""Log lines deleted per transaction, so that the table is never locked long."""


def delete_old_logs(days: int, batch_size: int = BATCH_SIZE) -> int:
    """Delete the log lines older than ``days`` days; return how many.

    On a table partitioned by day (PostgreSQL), the days that ended before
    the cutoff are dropped whole, one ``DROP TABLE`` each, whatever their
    size: a line then lives between ``days`` and ``days + 1`` days, and the
    count returned is the statistics' estimate. Otherwise lines are deleted
    in batches, each its own transaction.
    """
    cutoff = utcnow() - timedelta(days=days)
    connection = db.session.connection()
    if is_partitioned(connection):
        try:
            dropped = drop_partitions_before(connection, cutoff)
        except sa.exc.OperationalError as error:
            return _gave_up(error, "drop the expired days' log partitions")
        db.session.commit()
        return sum(dropped.values())
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


def create_log_partitions(days_ahead: int) -> list:
    """Keep the log partitions (PostgreSQL): made ahead, indexed, joined by day.

    Makes the partitions of the coming hours and days, so that their lines
    go to their own partition rather than the default one; gives each
    ended hour its trigram index, so that a search reads at most the
    current hour without one; then joins the hours of each ended day into
    one day partition (:mod:`..database.consolidation`). Sent every hour,
    just after the hour begins, and with the pruning. Returns the days
    that got partitions.
    """
    try:
        connection = db.session.connection()
        now = utcnow()
        made = create_partitions_ahead(connection, now.date(), days_ahead)
        db.session.commit()  # before the index builds: no table locked meanwhile
        connection = db.session.connection()
        if is_partitioned(connection):
            lock_changes(connection)
            index_ended_partitions(connection, now)
    except sa.exc.OperationalError as error:
        _gave_up(error, "make or index the log partitions")
        return []
    db.session.commit()
    try:
        consolidate_ended_days(db.engine, now.date())
    except sa.exc.OperationalError as error:
        _gave_up(error, "join the ended days' hourly log partitions")
    return made


def _gave_up(error, what) -> int:
    """A lock not had in time: one line, and the next maintenance tries again."""
    db.session.rollback()
    if not is_lock_timeout(error):
        raise error
    logger.warning("Could not %s: the tables stayed locked; will try again.", what)
    return 0


@shared_task(ignore_result=True, name="invenio_jobs.logging.tasks.delete_logs")
def delete_logs(batch_size=BATCH_SIZE):
    """Delete the run log lines older than ``JOBS_LOGGING_RETENTION_DAYS``."""
    return delete_old_logs(
        current_app.config["JOBS_LOGGING_RETENTION_DAYS"], batch_size=batch_size
    )
