# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Maintenance: runs whose worker died, runs that ignore a stop, lost messages, retention.

``reap``, ``prune`` and ``keep_log_partitions`` are the bodies of the
``reap_runs``, ``prune_runs`` and ``keep_log_partitions`` tasks that every
beat sends. Each step is a query and a bounded batch of
conditional updates, so that several at once do no harm; while the
database is unreachable a step logs one line per outage and does nothing.
"""

from datetime import timedelta

import sqlalchemy as sa
from celery import current_app as current_celery_app
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..broker import live_workers
from ..database import Outage, is_unreachable
from ..event_totals import add_reaper_counts
from ..job_events import delete_old_job_events
from ..lifecycle import ENDING
from ..logging.tasks import create_log_partitions, delete_old_logs
from ..models import Run, RunStatusEnum, delete_runs
from ..models import last_success_order as latest_start_first
from ..models import last_success_where as can_be_last_success
from ..models import utcnow
from ..run_totals import fold_changes
from . import alerts
from .dispatch import send_due_runs
from .endings import catch_up_ends, end_subtask, ended, finish_parent
from .redelivery import redeliver_lost
from .session import rollback

logger = get_task_logger(__name__)


REAP_BATCH = 500


MAINTENANCE_OUTAGE = Outage("Maintenance task")


def reap():
    """Fail runs whose worker died, terminate runs that ignore a stop, resend lost ones.

    Then the runs ended meanwhile are folded into the metrics' totals and
    the jobs' alerts are evaluated (:mod:`.alerts`). Each step is one query
    plus a bounded batch of conditional updates, so that several reapers
    at once (one per beat process) do no harm. While
    the database is unreachable it logs one line per outage and does
    nothing.
    """
    reaped = maintenance_step(_reap)
    maintenance_step(_fold_run_totals)
    if current_app.config["JOBS_ALERTS"]:
        maintenance_step(alerts.check)
    if not reaped:
        return reaped
    add_reaper_counts(db.engine, reaped)
    if any(reaped.values()):
        logger.info("Reaped runs: %s", reaped)
    return reaped


def maintenance_step(step) -> dict:
    """Run a maintenance step; while the database is away, log it once, return {}."""
    try:
        result = step()
    except sa.exc.SQLAlchemyError as exc:
        rollback()
        if not is_unreachable(exc):
            raise
        MAINTENANCE_OUTAGE.failed(exc, current_app.config["JOBS_MAINTENANCE_INTERVAL"])
        return {}
    MAINTENANCE_OUTAGE.recovered()
    return result


def _fold_run_totals() -> dict:
    """Fold the runs ended since the last pass into the metrics' totals.

    One statement and a commit, so that a scrape adds up a pass's ends
    at most, not every end since the start.
    """
    fold_changes(db.session.connection())
    db.session.commit()
    return {}


def _reap() -> dict:
    config = current_app.config
    now = utcnow()
    reaped = {"lost": 0, "terminated": 0, "resent": 0, "restored": 0, "due": 0}

    stale_before = now - timedelta(seconds=config["JOBS_STALE_AFTER_SECONDS"])
    stale = db.session.execute(
        sa.select(
            Run.id, Run.parent_run_id, Run.heartbeat_at, Run.started_at, Run.worker
        )
        .where(
            Run.status.in_(ENDING),
            Run.subtasks_closed.is_(False),
            sa.func.coalesce(Run.heartbeat_at, Run.started_at, Run.created)
            < stale_before,
        )
        .limit(REAP_BATCH)
    ).all()
    workers = {row.worker for row in stale}
    alive = live_workers(current_celery_app, workers) if stale else set()
    for row in stale:
        last = row.heartbeat_at or row.started_at
        moved = ended(lifecycle.mark_lost(row.id, last, row.worker in alive), row.id)
        reaped["lost"] += moved
        if moved and row.parent_run_id is not None:
            end_subtask(row.parent_run_id, succeeded=False)

    grace_before = now - timedelta(seconds=config["JOBS_STOP_GRACE_SECONDS"])
    stubborn = db.session.execute(
        sa.select(Run.id, Run.task_id).where(
            Run.status == RunStatusEnum.CANCELLING,
            Run.stop_requested_at < grace_before,
        )
    ).all()
    # The status first, then the revoke: a task killed before its run says
    # CANCELLED would end it FAILED ("stopped during the run").
    terminated = [
        task_id
        for run_id, task_id in stubborn
        if ended(lifecycle.terminate(run_id, config["JOBS_STOP_GRACE_SECONDS"]), run_id)
    ]
    reaped["terminated"] = len(terminated)
    for task_id in filter(None, terminated):
        try:
            current_celery_app.control.revoke(task_id, terminate=True)
        except Exception:  # noqa: BLE001 -- the status is what matters
            logger.warning("Could not terminate task %s", task_id, exc_info=True)

    catch_up = timedelta(seconds=config["JOBS_RUN_AFTER_CATCH_UP_SECONDS"])
    chained = catch_up_ends(now - catch_up, now)
    if chained:
        logger.warning("Started %s runs after ends whose recorder died", chained)
    reaped["due"] = send_due_runs(REAP_BATCH)
    reaped.update(redeliver_lost(now))
    for parent_id in db.session.scalars(
        sa.select(Run.id)
        .where(Run.status.in_(ENDING), Run.subtasks_closed.is_(True))
        .limit(REAP_BATCH)
    ).all():
        finish_parent(parent_id)
    return reaped


def keep_log_partitions() -> dict:
    """Make the coming log partitions, index the ended hours, join the ended days.

    Sent by beat just after each hour begins (:mod:`..logging.tasks`), so
    that the hour just ended gets its trigram index within a minute and a
    search reads only the current hour without one. A no-op on SQLite.
    """
    made = maintenance_step(
        lambda: create_log_partitions(current_app.config["JOBS_LOGS_PARTITIONS_AHEAD"])
    )
    return {"log_partitions": len(made)} if made else {}


def prune(batch_size=5000):
    """Delete old log lines and history entries, and the runs beyond retention.

    Works in batches, each its own short transaction, so that the tables are
    never locked for long. Each job keeps its ``JOBS_RUNS_RETENTION`` newest
    finished runs, and always its last successful one (it is where the next
    run continues ``since``).
    """
    return maintenance_step(lambda: _prune(batch_size))


def _prune(batch_size) -> dict:
    config = current_app.config
    pruned = {"logs": 0, "runs": 0, "history": 0}
    made = create_log_partitions(config["JOBS_LOGS_PARTITIONS_AHEAD"])
    if made:
        pruned["log_partitions"] = len(made)
    pruned["logs"] = delete_old_logs(
        config["JOBS_LOGGING_RETENTION_DAYS"], batch_size=batch_size
    )
    pruned["history"] = delete_old_job_events(
        config["JOBS_HISTORY_RETENTION_DAYS"], batch_size=batch_size
    )

    finished = (
        sa.select(
            Run.id,
            sa.func.row_number()
            .over(
                partition_by=Run.job_id,
                order_by=(Run.created.desc(), Run.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Run.parent_run_id.is_(None),
            Run.status.in_(list(RunStatusEnum.finished())),
        )
        .subquery()
    )
    runs = Run.__table__.c
    successes = (
        sa.select(
            Run.id,
            sa.func.row_number()
            .over(partition_by=Run.job_id, order_by=latest_start_first(runs))
            .label("rank"),
        )
        .where(*can_be_last_success(runs))
        .subquery()
    )
    last_successes = sa.select(successes.c.id).where(successes.c.rank == 1)
    ranked = finished
    while True:
        ids = db.session.scalars(
            sa.select(ranked.c.id)
            .where(
                ranked.c.rank > config["JOBS_RUNS_RETENTION"],
                ranked.c.id.not_in(last_successes),
            )
            .limit(batch_size)
        ).all()
        if not ids:
            break
        delete_runs(ids)
        db.session.commit()
        pruned["runs"] += len(ids)
    if any(pruned.values()):
        logger.info("Pruned run history: %s", pruned)
    return pruned
