# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Sending runs to the workers, in the manner of an outbox.

A run is born QUEUED and not sent (``dispatched_at`` NULL), due to be sent
by anyone at the end of a short lease (``due_at``, ``JOBS_UNSENT_AFTER_SECONDS``
from its birth). Its maker sends it right after the commit and then marks it
sent, one UPDATE for the whole batch. So a run is never stored as sent
before the broker has its message: a maker that dies between its commit and
the publish (a beat or web process killed, a broker that refuses) leaves
the run due, and the beat or the maintenance task sends it when the lease
ends (:func:`send_due_runs`). A maker that dies between the publish and
the mark leaves two messages of one run; its claim is a conditional UPDATE,
so the second runs nothing.

A run of a job in a concurrency pool is not sent by its maker: it waits in
the database until a slot of its pool is free (:func:`send_pool_runs`, see
:mod:`invenio_jobs.lifecycle.pools`). Slots are given when such a run is
made, when a run holding one ends in a worker (at once), and at each look of
the beat and each maintenance pass (``JOBS_SCHEDULER_MAX_INTERVAL``: a run
ended by the maintenance task, or stopped before it started).

The tasks are found by name in the Celery app (:func:`task_named`), so that
sending imports no execution code.
"""

from datetime import timedelta
from importlib import import_module

import sqlalchemy as sa
from celery import current_app as current_celery_app
from celery.exceptions import NotRegistered
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..broker import BROKER_OUTAGE, is_broker_unreachable
from ..database import Outage, write_run_rows
from ..lifecycle import Dispatch
from ..models import Job, utcnow

EXECUTE_RUN = "invenio_jobs.tasks.execute_run"
EXECUTE_SUBTASKS = "invenio_jobs.tasks.execute_subtasks"

RECORD_OUTAGE = Outage("Sending runs")
"""One line per database outage met while marking runs sent."""


def task_named(name: str):
    """The Celery task registered under ``name`` (one of ``invenio_jobs.tasks``).

    Workers import the task declarations when they start; a process that
    only sends (a web process, the command line) imports them here, at its
    first send, rather than every importer of this module at import.
    """
    try:
        return current_celery_app.tasks[name]
    except NotRegistered:
        import_module(name.rpartition(".")[0])
        return current_celery_app.tasks[name]


def send_runs(dispatches) -> list:
    """Send ``execute_run`` for committed queued runs; return the ids sent.

    The runs the broker took are then marked sent (one UPDATE). A run the
    broker refuses (broker down) waits in the database, due again after
    ``JOBS_SEND_RETRY_SECONDS``, when the beat sends it under the same run
    id; after one refusal the rest of the batch is not tried, since each
    attempt on a dead broker costs its own retries. While the broker is
    away this logs one line, not one per run.
    """
    config = current_app.config
    dispatches = list(dispatches)
    pools = {item.pool for item in dispatches if item.pool}
    if pools:
        dispatches = [item for item in dispatches if not item.pool]
    sent, refused = {}, []
    for item in dispatches:
        if refused:
            refused.extend(item.run_ids)
            continue
        try:
            _publish(item, config["JOBS_STOP_GRACE_SECONDS"])
        except Exception as error:  # noqa: BLE001 -- kept in the database
            if is_broker_unreachable(error):
                BROKER_OUTAGE.failed(error, config["JOBS_SEND_RETRY_SECONDS"])
            else:
                current_app.logger.warning(
                    "Could not send run %s; it is sent again later.",
                    item.run_id,
                    exc_info=True,
                )
            refused.extend(item.run_ids)
            continue
        BROKER_OUTAGE.recovered()
        sent.update(dict.fromkeys(item.run_ids, item.task_id))
    due = utcnow() + timedelta(seconds=config["JOBS_SEND_RETRY_SECONDS"])
    _record(sent, refused, due)
    if pools:
        _admit_after_making(pools)
    return list(sent)


def _admit_after_making(pools) -> None:
    """Admit the waiting runs of the pools of runs just made, if slots are free.

    Its maker's request or look is done by then: a database that fails here
    is one logged line, and the beat's next look admits them.
    """
    try:
        send_pool_runs(pools)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        RECORD_OUTAGE.failed(error, current_app.config["JOBS_SCHEDULER_MAX_INTERVAL"])


def _publish(item: Dispatch, grace: float):
    """Hand one message to the broker: a run, or a batch of subtasks."""
    # A message of subtasks may take as long as all of them together;
    # each one's own limit is kept by its run context.
    limit = item.timeout * len(item.run_ids) if item.timeout else None
    options = {}
    if limit:
        options = {"soft_time_limit": limit, "time_limit": limit + grace}
    if item.batch:
        task = task_named(EXECUTE_SUBTASKS)
        args = ([str(run_id) for run_id in item.batch], item.timeout)
    else:
        task = task_named(EXECUTE_RUN)
        args = (str(item.run_id), item.identity_id)
    task.apply_async(args=args, queue=item.queue, task_id=item.task_id, **options)


def _record(sent: dict, refused: list, due) -> None:
    """Mark the sent runs sent and postpone the refused ones: one statement each.

    A failure is logged and left: an unmarked run is sent again when its
    lease ends, and its claim keeps it from running twice.
    """
    if not sent and not refused:
        return

    def write(connection):
        if sent:
            lifecycle.mark_sent(sent, utcnow(), connection)
        if refused:
            lifecycle.postpone(refused, due, connection)

    try:
        single = not (sent and refused)
        write_run_rows(db.engine, write, commit_session=True, single=single)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        RECORD_OUTAGE.failed(error, current_app.config["JOBS_UNSENT_AFTER_SECONDS"])
        return
    RECORD_OUTAGE.recovered()


def send_due_runs(limit: int = 500) -> int:
    """Send the queued runs whose due time has come; return how many were sent.

    Retries after their back-off, runs the broker refused, and runs whose
    maker died before sending them wait in the database until they are
    due. Called by the beat at each look and by the maintenance task;
    several beats at once take each run once (for a lease: see
    :func:`lifecycle.take_due`). Then the runs that wait for a slot of
    their pool are admitted where slots are free (:func:`send_pool_runs`):
    one more statement when none waits.
    """
    now = utcnow()
    lease = current_app.config["JOBS_UNSENT_AFTER_SECONDS"]

    def take(conn):
        rows = lifecycle.take_due(now, lease, limit, conn)
        job_ids = {row.job_id for row in rows}
        if not job_ids:
            return rows, {}
        timeouts = sa.select(Job.id, Job.timeout).where(Job.id.in_(job_ids))
        return rows, dict(conn.execute(timeouts).tuples().all())

    rows, timeouts = write_run_rows(db.engine, take, commit_session=True)
    dispatches = messages_of(rows, lambda row: timeouts.get(row.job_id))
    return len(send_runs(dispatches)) + send_pool_runs(limit=limit)


def send_pool_runs(pools=None, limit: int = 500) -> int:
    """Send the runs that a free slot of their pool admits; return how many.

    ``pools`` limits this to those pools' names (a run of theirs was made
    or ended); by default every pool. The admission and the read of the
    jobs' time limits are one transaction (which holds the pools' lock
    until its commit); the sending follows, as for any taken run.
    """
    now = utcnow()
    lease = current_app.config["JOBS_UNSENT_AFTER_SECONDS"]

    def admit(conn):
        rows = lifecycle.admit(now, lease, limit, conn, names=pools)
        job_ids = {row.job_id for row in rows}
        if not job_ids:
            return rows, {}
        timeouts = sa.select(Job.id, Job.timeout).where(Job.id.in_(job_ids))
        return rows, dict(conn.execute(timeouts).tuples().all())

    rows, timeouts = write_run_rows(db.engine, admit, commit_session=True)
    if not rows:
        return 0
    dispatches = messages_of(rows, lambda row: timeouts.get(row.job_id))
    return len(send_runs(dispatches))


def free_slot_of(job) -> None:
    """Give the slot of a run of ``job`` that just ended to the next waiting run.

    Called by the worker that ended the run, so that the next run starts at
    once rather than at the beat's next look; a failure is logged in one
    line and left to that look.
    """
    pool = getattr(job, "pool", None)
    if not pool:
        return
    try:
        send_pool_runs({pool})
    except Exception as error:  # noqa: BLE001 -- the beat's look admits it
        db.session.rollback()
        current_app.logger.warning(
            "Could not start the next run of pool %s (%s); the scheduler will.",
            pool,
            error,
        )


def messages_of(runs, timeout_of) -> list[Dispatch]:
    """The messages that send these queued runs (rows or models).

    Subtasks that were sent together share a task id, and go together again.
    """
    by_task: dict = {}
    for run in runs:
        by_task.setdefault(run.task_id, []).append(run)
    dispatches = []
    for task_id, group in by_task.items():
        first = group[0]
        batch = tuple(run.id for run in group) if len(group) > 1 else ()
        dispatches.append(
            Dispatch(
                first.id,
                first.queue,
                task_id,
                identity_id=None if batch else first.started_by_id,
                timeout=timeout_of(first),
                batch=batch,
            )
        )
    return dispatches
