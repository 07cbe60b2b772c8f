# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery tasks of the job system.

``execute_run`` runs one run of a job: it claims the run with one conditional
UPDATE (QUEUED -> RUNNING), so that a message delivered twice, or a run
stopped before a worker took it, runs nothing; whatever the task does, the run
ends with a status, a message and ``finished_at``.

``reap_runs`` is the maintenance that keeps runs from being lost or stuck:
runs whose worker died are failed, runs that ignore a stop are terminated,
queued runs whose message never reached a worker are sent again.
"""

import socket
import traceback
import uuid
from datetime import timedelta

import sqlalchemy as sa
from billiard.exceptions import SoftTimeLimitExceeded
from celery import current_app as current_celery_app
from celery import shared_task
from celery.utils.log import get_task_logger
from flask import current_app, has_app_context
from invenio_access.permissions import system_user_id
from invenio_db import db
from kombu.exceptions import ChannelError
from sqlalchemy.orm import joinedload

from . import lifecycle
from .counters import add_reaper_counts
from .database import (
    Outage,
    is_unreachable,
    one_statement,
    retry_through_outage,
    write_with_retry,
)
from .errors import TaskExecutionError
from .lifecycle import ENDING, Dispatch, side_connection
from .logging import capture_run_logs, set_job_context
from .logging.tasks import delete_old_logs
from .models import Job, Run, RunStatusEnum, RunTrigger, delete_runs, utcnow
from .proxies import current_jobs
from .runtime import KeepAlive, RunCancelled, RunContext, RunTimedOut

logger = get_task_logger(__name__)

REAP_BATCH = 500

WORKER_OUTAGE = Outage("Worker")
MAINTENANCE_OUTAGE = Outage("Maintenance task")

SESSION_WROTE = "invenio_jobs.wrote"
"""Key of ``session.info``: the session holds writes not yet committed."""


@sa.event.listens_for(db.session, "after_flush")
def _note_flush(session, flush_context):
    session.info[SESSION_WROTE] = True


@sa.event.listens_for(db.session, "do_orm_execute")
def _note_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[SESSION_WROTE] = True


@sa.event.listens_for(db.session, "after_commit")
@sa.event.listens_for(db.session, "after_rollback")
def _forget_writes(session):
    session.info.pop(SESSION_WROTE, None)


def _write(write, single=False):
    """Run ``write(connection)``, one short write of a run's life, and commit.

    Through a database restart or outage it is retried on fresh
    connections for up to ``JOBS_OUTCOME_WRITE_SECONDS``, so that what a
    run reached is recorded rather than lost with a dead connection. On
    SQLite (one writer, no server to lose) it is the session's connection.
    ``single``: the write is one statement (see :func:`one_statement`).
    """
    if db.engine.dialect.name == "sqlite":
        with side_connection(commit=True) as conn:
            return write(conn)
    return write_with_retry(
        db.engine,
        write,
        current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
        WORKER_OUTAGE,
        single=single,
    )


def _release_session():
    """Commit the session's transaction, keeping what it loaded.

    Before a task runs: a connection held idle for the length of a task is
    the one a database restart kills under it; the task and the end of the
    run take fresh ones. After a task: the runs a worker holds (the other
    subtasks of a message) stay loaded, without a read each.
    """
    session = db.session()
    if not session.in_transaction():
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


# -- sending runs to workers ---------------------------------------------------
def send_runs(dispatches) -> list:
    """Send ``execute_run`` for committed queued runs; return the ids sent.

    Runs are stored as sent (``dispatched_at``) when they are made. A run
    the broker refuses (broker down) is given back to the database, due
    again after ``JOBS_SEND_RETRY_SECONDS``, and the beat sends it then,
    under the same run id. After one refusal the rest of the batch is not
    tried: each attempt on a dead broker costs its own retries.
    """
    sent, refused = [], []
    grace = current_app.config["JOBS_STOP_GRACE_SECONDS"]
    for item in dispatches:
        if refused:
            refused.extend(item.run_ids)
            continue
        # A message of subtasks may take as long as all of them together;
        # each one's own limit is kept by its run context.
        limit = item.timeout * len(item.run_ids) if item.timeout else None
        options = {}
        if limit:
            options = {"soft_time_limit": limit, "time_limit": limit + grace}
        try:
            if item.batch:
                execute_subtasks.apply_async(
                    args=([str(run_id) for run_id in item.batch], item.timeout),
                    queue=item.queue,
                    task_id=item.task_id,
                    **options,
                )
            else:
                execute_run.apply_async(
                    args=(str(item.run_id), item.identity_id),
                    queue=item.queue,
                    task_id=item.task_id,
                    **options,
                )
        except Exception:  # noqa: BLE001 -- kept in the database, sent later
            logger.warning(
                "Could not send run %s; it is sent again later.",
                item.run_id,
                exc_info=True,
            )
            refused.extend(item.run_ids)
            continue
        sent.extend(item.run_ids)
    if refused:
        due = utcnow() + timedelta(
            seconds=current_app.config["JOBS_SEND_RETRY_SECONDS"]
        )
        try:
            with side_connection(commit=True) as conn:
                lifecycle.postpone(refused, due, conn)
        except Exception:  # noqa: BLE001 -- the reaper finds them missing
            logger.warning("Could not postpone %d run(s).", len(refused))
    return sent


def send_due_runs(limit: int = 500) -> int:
    """Send the queued runs whose due time has come; return how many were sent.

    Retries after their back-off, and runs the broker refused, wait in the
    database until they are due. Called by the beat at each look and by the
    maintenance task; several beats at once take each run once.
    """
    now = utcnow()
    with side_connection(commit=True) as conn:
        rows = lifecycle.take_due(now, limit, conn)
        job_ids = {row.job_id for row in rows}
        timeouts = dict(
            conn.execute(sa.select(Job.id, Job.timeout).where(Job.id.in_(job_ids)))
            .tuples()
            .all()
            if job_ids
            else ()
        )
    dispatches = messages_of(rows, lambda row: timeouts.get(row.job_id))
    return len(send_runs(dispatches))


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


# -- running a run -------------------------------------------------------------
class JobTypeUnavailableError(LookupError):
    """The job type of a run is not registered, or its module failed to load.

    Nothing can make such a run succeed: it is never retried.
    """


def _text(exc: BaseException) -> str:
    """The message of an exception, even one whose ``str`` fails."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 -- a broken __str__ must not hide the failure
        return "(its message could not be read)"


def _describe(exc: BaseException) -> str:
    """``Type: message`` of an exception."""
    return f"{type(exc).__name__}: {_text(exc)}"


def _failure_message(exc: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception(exc)).rstrip()
    except Exception:  # noqa: BLE001 -- the error's name is still worth keeping
        text = ""
    return f"{_describe(exc)}\n\n{text}".rstrip()


def _rollback():
    """Roll the session back; a broken connection is left to the next query."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 -- nothing to roll back on a dead connection
        logger.warning("Could not roll back the session.", exc_info=True)


NOT_READ = object()
"""A job's notification settings that the caller has not read."""


def _notified(moved, run_id, status=None, notifications=NOT_READ):
    """Notify whom the job asks to when a step ended the run; return ``moved``.

    A caller that knows the status the run ended with and its job's
    notification settings passes them, and saves the notification its read.
    """
    if moved:
        try:
            notify_run_end(run_id, status, notifications)
        except Exception:  # noqa: BLE001 -- the run has ended: keep it so
            _rollback()
            logger.warning("Could not notify the end of %s", run_id, exc_info=True)
    return moved


def _ended(moved: bool, run_id) -> bool:
    """Commit a step that may have ended a run; notify whom the job asks to."""
    db.session.commit()
    return _notified(moved, run_id)


def _finish(run_id, status, message=None, notifications=NOT_READ, **values) -> bool:
    """End a run that this worker holds (retried through an outage), notify.

    ``without_subtasks=True`` (in ``values``) ends it only if it has none.
    """

    def write(conn):
        return lifecycle.finish(run_id, status, message, connection=conn, **values)

    return _notified(_write(write, single=True), run_id, status, notifications)


def notify_run_end(run_id, status=None, notifications=NOT_READ):
    """Send the job's notification email when the run ended in a status it watches.

    ``status`` and ``notifications`` (the job's settings), when the caller
    knows them for a top-level run, spare reading them.
    """
    if status is None or notifications is NOT_READ:
        row = db.session.execute(
            sa.select(Run.status, Job.notifications)
            .join(Job, Job.id == Run.job_id)
            .where(Run.id == run_id, Run.parent_run_id.is_(None))
        ).first()
        if row is None:
            return
        status, notifications = row
    notifications = notifications or {}
    if notifications.get("emails") and status.name in (
        notifications.get("statuses") or []
    ):
        try:
            send_run_notification.delay(str(run_id))
        except Exception:  # noqa: BLE001 -- a notification never fails a run
            logger.warning("Could not send notification of %s", run_id, exc_info=True)


def _retry_delay(attempt: int) -> float:
    config = current_app.config
    base = config["JOBS_RETRY_BACKOFF_SECONDS"]
    return min(base * 2 ** (attempt - 1), config["JOBS_RETRY_BACKOFF_MAX_SECONDS"])


def _retry(run: Run, job: Job, exc: BaseException) -> bool:
    """Queue the run again after a retryable failure; False when out of tries.

    Never raises: a fault while deciding or queueing the retry is logged and
    the run fails with its own error, instead of staying RUNNING.
    """
    try:
        return _queue_retry(run, job, exc)
    except Exception:  # noqa: BLE001 -- the run must still end
        _rollback()
        logger.exception("Run %s: could not be queued again.", run.id)
        return False


def _queue_retry(run: Run, job: Job, exc: BaseException) -> bool:
    if (
        isinstance(exc, JobTypeUnavailableError)
        or job.task not in current_jobs.registry
    ):
        return False
    job_type = current_jobs.registry.get(job.task)
    if not job_type.retry_on or not isinstance(exc, job_type.retry_on):
        return False
    if run.attempt > (job.max_retries or 0):
        return False
    delay = _retry_delay(run.attempt)
    task_id = lifecycle.retry(
        run.id,
        due=utcnow() + timedelta(seconds=delay),
        message=(
            f"Attempt {run.attempt} failed ({type(exc).__name__}: {exc}); "
            f"retrying in {delay:g} s."
        ),
    )
    db.session.commit()
    return task_id is not None


def finish_parent(parent_id, notifications=NOT_READ) -> bool:
    """End a parent run if its task and all its subtasks have ended; notify.

    ``notifications``: its job's settings, when the caller has them.
    """
    with side_connection(commit=True) as conn:
        status = lifecycle.finish_parent(parent_id, conn)
    if status is not None:
        notify_run_end(parent_id, status, notifications)
    return status is not None


def _end_subtask(parent_run_id, succeeded: bool):
    """Count an ended subtask on its parent, which may end with it."""
    if _write(lambda conn: lifecycle.count_subtask(parent_run_id, succeeded, conn)):
        finish_parent(parent_run_id)


def _subtask_sender(app, queue):
    """What a run context calls to store and send a batch of its subtasks.

    It may be called from the process's pulse thread, which has no app
    context of its own.
    """

    def send(context, batch):
        if has_app_context():
            _send_subtasks(queue, context, batch)
            return
        with app.app_context():
            _send_subtasks(queue, context, batch)

    return send


def _send_subtasks(queue, context, batch):
    """Store a batch of subtasks (two statements) and send them, several a message.

    ``batch`` holds ``(run id, task, args, kwargs, title)`` of each. The
    subtasks of one message share its task id, and a worker runs them one
    after the other (``execute_subtasks``); ``JOBS_SUBTASKS_PER_MESSAGE``
    trades statements for spreading them over the workers.
    """
    per_message = max(1, current_app.config["JOBS_SUBTASKS_PER_MESSAGE"])
    children, dispatches = [], []
    for first in range(0, len(batch), per_message):
        task_id = str(uuid.uuid4())
        chunk = []
        for child_id, task, args, kwargs, title in batch[first : first + per_message]:
            spec = {"task": task.name, "args": args, "kwargs": kwargs}
            child = lifecycle.queued_run(
                context.job_id,
                title or task.name,
                spec,
                queue,
                RunTrigger.SUBTASK,
                parent_run_id=context.id,
            )
            child.update(id=child_id, task_id=task_id)
            chunk.append(child)
        children.extend(chunk)
        dispatches.append(
            Dispatch(
                chunk[0]["id"],
                queue,
                task_id,
                timeout=context.timeout,
                batch=tuple(child["id"] for child in chunk),
            )
        )
    _write(lambda conn: lifecycle.add_subtasks(context.id, children, conn))
    send_runs(dispatches)


def _run_body(run: Run, job: Job, since=lifecycle.SINCE_UNKNOWN):
    """Call the task of a run in this worker; subtasks call their own task."""
    if run.parent_run_id is not None:
        spec = run.args or {}
        task = current_celery_app.tasks[spec["task"]]
        _release_session()
        return task(*spec.get("args", ()), **spec.get("kwargs", {}))
    reason = current_jobs.registry.unavailable_reason(job.task)
    if reason is not None:
        raise JobTypeUnavailableError(reason)
    kwargs = lifecycle.task_arguments(job, run, since)
    _release_session()
    return current_jobs.registry.get(job.task).task(**kwargs)


RETRIED = object()
"""Outcome of an attempt that failed and was queued again."""


def _execute_body(
    run: Run, job: Job | None, since=lifecycle.SINCE_UNKNOWN, timeout=None
):
    """Run the task; return (status, message, values), or RETRIED.

    Never raises an ``Exception``: a fault while handling the task's own
    failure (a broken ``str`` of its error, a session that cannot roll back)
    still gives an outcome, so that the run ends instead of waiting for the
    maintenance task to call it lost.
    """
    try:
        return _judge_body(run, job, since, timeout)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        _rollback()
        logger.exception("Run %s: its failure could not be handled.", run.id)
        return RunStatusEnum.FAILED, _failure_message(exc), {}


def _judge_body(run: Run, job: Job | None, since, timeout):
    try:
        _run_body(run, job, since)
    except RunCancelled:
        _rollback()
        return RunStatusEnum.CANCELLED, "Stopped by an administrator.", {}
    except (RunTimedOut, SoftTimeLimitExceeded):
        _rollback()
        logger.error("Run %s timed out after %s s.", run.id, timeout)
        return RunStatusEnum.FAILED, f"Timed out after {timeout} s.", {}
    except JobTypeUnavailableError as exc:
        _rollback()
        logger.error("Run %s cannot run: %s", run.id, exc)
        return RunStatusEnum.FAILED, str(exc), {}
    except TaskExecutionError as exc:
        # A partial success: what the task did is kept (InvenioRDM's meaning).
        _commit_or_rollback()
        message = _text(exc)
        logger.warning("Run %s partly failed: %s", run.id, message)
        errored = getattr(exc, "errored_entries_count", 0)
        return RunStatusEnum.PARTIAL_SUCCESS, message, {"errored": errored}
    except Exception as exc:  # noqa: BLE001 -- any failure ends the run
        _rollback()
        logger.exception("Run %s failed.", run.id)
        if run.parent_run_id is None and _retry(run, job, exc):
            return RETRIED
        return RunStatusEnum.FAILED, _failure_message(exc), {}
    except BaseException:
        # The worker is being shut down or the task terminated: record it,
        # and let the shutdown go on whatever recording does.
        _rollback()
        _finish_or_leave(
            run.id, RunStatusEnum.FAILED, "The worker stopped during the run."
        )
        raise
    _commit_task_work(run)
    return None


def _commit_task_work(run: Run):
    """Commit what the task left in the session.

    When the database went away meanwhile and the task left nothing to
    write, its outcome stands (the connection that died held nothing);
    a task whose writes are lost with the connection has failed.
    """
    wrote = db.session.info.get(SESSION_WROTE, False)
    try:
        _release_session()
    except sa.exc.SQLAlchemyError as exc:
        if wrote or not is_unreachable(exc):
            raise
        _rollback()
        logger.warning(
            "Run %s: its session's connection was lost; it held no work.", run.id
        )


def _commit_or_rollback():
    """Keep the work of a task that partly succeeded, if it can be kept."""
    try:
        db.session.commit()
    except Exception:  # noqa: BLE001 -- a broken transaction is dropped
        _rollback()


def _finish_or_leave(run_id, status, message=None, **values) -> bool:
    """End a run; when even that fails, log it and leave the run to the reaper."""
    try:
        return _finish(run_id, status, message, **values)
    except Exception:  # noqa: BLE001 -- nothing more can be done here
        _rollback()
        logger.exception(
            "Run %s: could not be ended as %s; the maintenance task will fail it.",
            run_id,
            status.name,
        )
        return False


def _job_context(run: Run, identity_id, request) -> dict:
    """The job context of a run (InvenioRDM's keys), set while it executes.

    Runs started by the system (the scheduler) act as the system user.
    """
    return {
        "run_id": str(run.id),
        "job_id": str(run.job_id),
        "identity_id": str(identity_id if identity_id is not None else system_user_id),
        "task_id": str(request.id) if request.id else None,
        "parent_task_id": str(request.parent_id) if request.parent_id else None,
    }


@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_run")
def execute_run(self, run_id, identity_id=None, kwargs=None):
    """Claim a queued run, run its task with its log captured, record the end.

    ``kwargs`` is in the messages InvenioRDM's package sends (its beat's and
    its services'), which may wait in the broker when this package takes
    over; as there, the run's stored arguments are what the task gets.

    Once claimed, the run always ends here: a fault anywhere after the claim
    ends it FAILED with that fault, rather than leaving it RUNNING until the
    maintenance task calls it lost.
    """
    run_uuid = uuid.UUID(str(run_id))
    worker = (self.request.hostname or socket.gethostname())[:255]
    try:
        claimed = _claim(run_uuid, worker)
    except sa.exc.SQLAlchemyError as exc:
        if not is_unreachable(exc):
            raise
        # Its message is used up: the maintenance task finds it missing
        # from the queue and sends it again once the database is back.
        logger.error("Run %s: not claimed, the database is unreachable.", run_uuid)
        return
    if not claimed:
        logger.info("Run %s is not queued any more; nothing to do.", run_uuid)
        return
    try:
        _execute_claimed(self.request, claimed, identity_id)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        _rollback()
        logger.exception("Run %s: failed outside its task.", run_uuid)
        _finish_or_leave(run_uuid, RunStatusEnum.FAILED, _failure_message(exc))


def _claim(run_id, worker):
    """Claim a queued run and read what running it takes: one statement.

    Returns ``(run, job, since)`` (see :func:`lifecycle.claim_and_read`),
    committed, the objects kept loaded; None when the run is not queued any
    more. Retried through a database outage.
    """

    def attempt():
        if db.engine.dialect.name == "postgresql":
            claimed = one_statement(
                db.engine,
                lambda conn: lifecycle.claim_and_read(run_id, worker, db.session, conn),
            )
        else:
            claimed = lifecycle.claim_and_read(run_id, worker, db.session)
        _release_session()
        return claimed

    return retry_through_outage(
        attempt,
        current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
        WORKER_OUTAGE,
        db.session.rollback,
    )


def _execute_claimed(request, claimed, identity_id):
    """Run a claimed run's task with its log captured, and record how it ended.

    Read now what the end needs: after the task the session's objects may
    be expired, and the database away.
    """
    config = current_app.config
    run, job, since = claimed
    run_uuid, parent_run_id = run.id, run.parent_run_id
    # Only a top-level run notifies (a subtask's end is its parent's news).
    notifications = job.notifications if parent_run_id is None else None
    job_context = _job_context(run, identity_id, request)
    with (
        set_job_context(job_context),
        capture_run_logs(db.engine, run.id, config) as log_buffer,
    ):
        context = _run_context(run, job.timeout, log_buffer).start()
        try:
            outcome = _execute_body(run, job, since, job.timeout)
        finally:
            _close_context(context, run_uuid)
    # The last counts are written by the statement that ends the run.
    last = _last_counts(context, outcome)
    if outcome is RETRIED:
        counts = lifecycle.counter_values(*last)
        if counts:
            _write(
                lambda conn: conn.execute(
                    sa.update(Run).where(Run.id == run_uuid).values(**counts)
                )
            )
        return
    status, message, _ = outcome or (RunStatusEnum.SUCCESS, None, {})
    if parent_run_id is None and status in (
        RunStatusEnum.SUCCESS,
        RunStatusEnum.PARTIAL_SUCCESS,
    ):
        if _finish(
            run_uuid, status, message, notifications, counts=last, without_subtasks=True
        ):
            return
        # Not ended: it has subtasks, and ends with them, no better than
        # its task did (or it is not running any more, and this is a no-op).
        counts = lifecycle.counter_values(*last)
        _write(
            lambda conn: lifecycle.mark_task_finished(
                run_uuid, message, connection=conn, **counts
            )
        )
        finish_parent(run_uuid, notifications)
        return
    _finish(run_uuid, status, message, notifications, counts=last)
    if parent_run_id is not None:
        _end_subtask(parent_run_id, succeeded=status is RunStatusEnum.SUCCESS)


def _last_counts(context, outcome) -> tuple:
    """A run's counts not written yet, with the entries its task failed, taken.

    ``(inserted, updated, errored, total, added)``, as
    :func:`lifecycle.counter_values` takes them.
    """
    counters = context.take_counters()
    errored = counters["errored"]
    if outcome is not None and outcome is not RETRIED:
        errored += outcome[2].get("errored", 0)
    return (
        counters["inserted"],
        counters["updated"],
        errored,
        counters["total"],
        counters["added"],
    )


def _run_context(run: Run, timeout, log_buffer) -> RunContext:
    """The context of a run about to execute here (``current_run``)."""
    config = current_app.config
    return RunContext(
        run.id,
        run.job_id,
        db.engine,
        heartbeat_seconds=config["JOBS_HEARTBEAT_SECONDS"],
        progress_interval=config["JOBS_PROGRESS_INTERVAL_SECONDS"],
        timeout=timeout,
        spawn=_subtask_sender(current_app._get_current_object(), run.queue),
        tick=log_buffer.flush,
        tick_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        subtask_batch=config["JOBS_SUBTASKS_PER_INSERT"],
    )


# -- running the subtasks of one message ------------------------------------------
@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_subtasks")
def execute_subtasks(self, run_ids, timeout=None, identity_id=None):
    """Claim the subtasks of one message and run them one after the other.

    One claim for all, and at the end one UPDATE per distinct outcome, one
    count on the parent and one look at whether the parent has ended: a few
    statements per message, however many subtasks it carries. Each subtask
    is a run of its own: its log, its counters, its stop.
    """
    worker = (self.request.hostname or socket.gethostname())[:255]
    ids = [uuid.UUID(str(run_id)) for run_id in run_ids]

    def claim():
        claimed = lifecycle.claim_subtasks(ids, worker, db.session)
        _release_session()
        return claimed

    try:
        runs = retry_through_outage(
            claim,
            current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
            WORKER_OUTAGE,
            db.session.rollback,
        )
    except sa.exc.SQLAlchemyError as exc:
        if not is_unreachable(exc):
            raise
        logger.error("Subtasks %s: not claimed, the database is unreachable.", ids)
        return
    outcomes = []
    heartbeat = current_app.config["JOBS_HEARTBEAT_SECONDS"]
    try:
        with KeepAlive(db.engine, [run.id for run in runs], heartbeat) as waiting:
            for run in runs:
                if not waiting.started(run.id):
                    stopped = (RunStatusEnum.CANCELLED, "Stopped before it started.")
                    outcomes.append((run, (*stopped, {})))
                    continue
                outcomes.append(
                    _execute_subtask(self.request, run, timeout, identity_id)
                )
    finally:
        _end_subtasks(outcomes)


def _execute_subtask(request, run: Run, timeout, identity_id):
    """Run one claimed subtask's task with its log captured.

    Returns ``(run, (status, message, values))``, its last counts in the
    values (written by the statement that ends it).
    """
    config = current_app.config
    with (
        set_job_context(_job_context(run, identity_id, request)),
        capture_run_logs(db.engine, run.id, config) as log_buffer,
    ):
        context = _run_context(run, timeout, log_buffer).start()
        try:
            outcome = _execute_body(run, None, timeout=timeout)
        finally:
            _close_context(context, run.id)
    status, message, _ = outcome or (RunStatusEnum.SUCCESS, None, {})
    return run, (status, message, {"counts": _last_counts(context, outcome)})


def _end_subtasks(outcomes):
    """Record how the subtasks of a message ended, count them on their parents.

    Subtasks that ended alike are ended by one UPDATE; each parent gets one
    count, and ends if that was its last subtask.
    """
    if not outcomes:
        return
    alike: dict = {}
    for run, (status, message, values) in outcomes:
        key = (run.parent_run_id, status, message, values.get("counts"))
        alike.setdefault(key, []).append(run.id)

    def write(conn):
        ended_by_parent: dict = {}
        for (parent_id, status, message, counts), run_ids in alike.items():
            values = lifecycle.counter_values(*counts) if counts else {}
            ended = lifecycle.finish_many(
                run_ids, status, message, connection=conn, **values
            )
            total, failed = ended_by_parent.get(parent_id, (0, 0))
            failed += ended if status is not RunStatusEnum.SUCCESS else 0
            ended_by_parent[parent_id] = (total + ended, failed)
        return [
            parent_id
            for parent_id, (ended, failed) in ended_by_parent.items()
            if parent_id is not None
            and ended
            and lifecycle.count_subtasks(parent_id, ended, failed, conn)
        ]

    try:
        ready = _write(write)
    except Exception:  # noqa: BLE001 -- the maintenance task fails them later
        _rollback()
        logger.exception("Subtasks %s: could not record their end.", alike)
        return
    for parent_id in ready:
        finish_parent(parent_id)


def _close_context(context, run_id):
    """Leave a run's context; a fault there must not lose the run's outcome.

    Its last counts stay in it, for the statement that ends the run.
    """
    try:
        context.close(flush=False)
    except Exception:  # noqa: BLE001 -- the outcome matters more
        logger.warning("Run %s: could not stop its heartbeat.", run_id, exc_info=True)


# -- maintenance -------------------------------------------------------------------
@shared_task(ignore_result=True, name="invenio_jobs.tasks.reap_runs")
def reap_runs():
    """Fail runs whose worker died, terminate runs that ignore a stop, resend lost ones.

    Each step is one query plus a bounded batch of conditional updates, so
    that several reapers at once (one per beat process) do no harm. While
    the database is unreachable it logs one line per outage and does
    nothing.
    """
    reaped = _maintenance(_reap)
    if not reaped:
        return reaped
    add_reaper_counts(db.engine, reaped)
    if any(reaped.values()):
        logger.info("Reaped runs: %s", reaped)
    return reaped


def _maintenance(step) -> dict:
    """Run a maintenance step; while the database is away, log it once, return {}."""
    try:
        result = step()
    except sa.exc.SQLAlchemyError as exc:
        _rollback()
        if not is_unreachable(exc):
            raise
        MAINTENANCE_OUTAGE.failed(exc, current_app.config["JOBS_MAINTENANCE_INTERVAL"])
        return {}
    MAINTENANCE_OUTAGE.recovered()
    return result


def _reap() -> dict:
    config = current_app.config
    now = utcnow()
    reaped = {"lost": 0, "terminated": 0, "resent": 0, "due": 0}

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
    alive = _live_workers({row.worker for row in stale}) if stale else set()
    for row in stale:
        last = row.heartbeat_at or row.started_at
        moved = _ended(lifecycle.mark_lost(row.id, last, row.worker in alive), row.id)
        reaped["lost"] += moved
        if moved and row.parent_run_id is not None:
            _end_subtask(row.parent_run_id, succeeded=False)

    grace_before = now - timedelta(seconds=config["JOBS_STOP_GRACE_SECONDS"])
    stubborn = db.session.execute(
        sa.select(Run.id, Run.task_id).where(
            Run.status == RunStatusEnum.CANCELLING,
            Run.stop_requested_at < grace_before,
        )
    ).all()
    for run_id, task_id in stubborn:
        if task_id:
            try:
                current_celery_app.control.revoke(task_id, terminate=True)
            except Exception:  # noqa: BLE001 -- the status is what matters
                logger.warning("Could not terminate task %s", task_id, exc_info=True)
        reaped["terminated"] += _ended(
            lifecycle.terminate(run_id, config["JOBS_STOP_GRACE_SECONDS"]), run_id
        )

    db.session.commit()
    reaped["due"] = send_due_runs(REAP_BATCH)
    reaped["resent"] = _resend_missing(now, config)
    for parent_id in db.session.scalars(
        sa.select(Run.id)
        .where(Run.status.in_(ENDING), Run.subtasks_closed.is_(True))
        .limit(REAP_BATCH)
    ).all():
        finish_parent(parent_id)
    return reaped


def _live_workers(workers) -> set:
    """Which of these Celery workers (``name@host``) answer a ping now."""
    names = sorted(w for w in workers if w and "@" in w)
    if not names:
        return set()
    try:
        replies = current_celery_app.control.ping(destination=names, timeout=1.0)
    except Exception:  # noqa: BLE001 -- unknown: call them lost
        return set()
    return {name for reply in replies for name in reply}


# -- messages that went missing ---------------------------------------------------
def _resend_missing(now, config) -> int:
    """Send again the queued runs whose message is missing from the broker.

    A run handed to the broker is only sent again when its queue holds
    fewer messages than there are runs waiting on it, after taking out
    the messages that workers hold: a backlog is never mistaken for lost
    messages. Then the oldest runs are sent again, no more than are
    missing, each at most once per interval (``JOBS_REDISPATCH_AFTER_SECONDS``,
    doubled with each sending: a run sent at ``d`` after being made at
    ``c`` waits ``d - c`` more).
    """
    after = timedelta(seconds=config["JOBS_REDISPATCH_AFTER_SECONDS"])
    candidates = [
        run
        for run in db.session.scalars(
            sa.select(Run)
            .options(joinedload(Run.job))  # the job gives each run's time limit
            .where(
                Run.status == RunStatusEnum.QUEUED,
                # Subtasks without a task id are sent by the module that made them.
                Run.task_id.is_not(None),
                Run.dispatched_at < now - after,
            )
            .order_by(Run.dispatched_at)
            .limit(REAP_BATCH)
        ).all()
        if now - run.dispatched_at >= max(after, run.dispatched_at - run.created)
    ]
    if not candidates:
        db.session.commit()
        return 0
    queues = sorted({run.queue for run in candidates})
    # Counted in messages: the subtasks of one message share its task id.
    waiting = dict(
        db.session.execute(
            sa.select(Run.queue, sa.func.count(Run.task_id.distinct()))
            .where(
                Run.status == RunStatusEnum.QUEUED,
                Run.task_id.is_not(None),
                Run.dispatched_at.is_not(None),
                Run.queue.in_(queues),
            )
            .group_by(Run.queue)
        )
        .tuples()
        .all()
    )
    db.session.commit()
    depths = broker_queue_depths(queues)
    if depths is None:
        return 0  # the broker cannot be asked: nothing could be sent anyway
    held = None
    lost = []
    for queue in queues:
        missing = waiting.get(queue, 0) - depths.get(queue, 0)
        if missing > 0 and held is None:
            held = _task_ids_held_by_workers()
        # Every message a worker holds may be one of this queue's: counting
        # them all can only send fewer, never more.
        missing -= len(held or ())
        if missing <= 0:
            continue
        messages: dict = {}
        for run in candidates:
            if run.queue == queue and run.task_id not in held:
                messages.setdefault(run.task_id, []).append(run)
        for runs in list(messages.values())[:missing]:
            lost.extend(runs)
    if not lost:
        return 0
    # Read in this order (runs, queue, workers), a message can only be
    # counted twice, never missed; a run a worker took since is left out.
    still_waiting = set(
        db.session.scalars(
            sa.select(Run.id).where(
                Run.id.in_([run.id for run in lost]),
                Run.status == RunStatusEnum.QUEUED,
            )
        ).all()
    )
    db.session.commit()
    dispatches = messages_of(
        [run for run in lost if run.id in still_waiting],
        lambda run: run.job.timeout,
    )
    if not dispatches:
        return 0
    sent = send_runs(dispatches)
    if sent:
        with side_connection(commit=True) as conn:
            lifecycle.mark_resent(sent, utcnow(), conn)
        logger.warning(
            "Sent %d run(s) again: their messages were missing from the broker.",
            len(sent),
        )
    return len(sent)


def broker_queue_depths(queues) -> dict | None:
    """The number of messages waiting in each queue; None if the broker is away.

    A queue the broker does not know holds no message; nor does any when
    tasks run eagerly (in tests, in a shell), with no broker between.
    """
    if current_celery_app.conf.task_always_eager:
        return dict.fromkeys(queues, 0)
    depths = {}
    try:
        with current_celery_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            for queue in queues:
                with connection.channel() as channel:
                    try:
                        _, count, _ = channel.queue_declare(queue=queue, passive=True)
                    except (ChannelError, *connection.channel_errors):
                        count = 0
                depths[queue] = count
    except Exception:  # noqa: BLE001 -- retried at the next maintenance
        logger.warning("Could not read the broker's queue lengths.", exc_info=True)
        return None
    return depths


def _task_ids_held_by_workers() -> set:
    """Task ids that workers have received and not yet run (or are running)."""
    if current_celery_app.conf.task_always_eager:
        return set()
    try:
        inspect = current_celery_app.control.inspect(timeout=1.0)
        held = set()
        for method in (inspect.reserved, inspect.active):
            for tasks in (method() or {}).values():
                for task in tasks:
                    request = task.get("request", task)
                    held.add(str(request.get("id")))
        return held
    except Exception:  # noqa: BLE001 -- unknown: assume none are held
        logger.warning("Could not ask the workers what they hold.", exc_info=True)
        return set()


STATUS_COLORS = {
    "SUCCESS": "#21ba45",
    "FAILED": "#db2828",
    "PARTIAL_SUCCESS": "#f2711c",
    "CANCELLED": "#767676",
}
"""The colour of each ending in the notification e-mails (grey for others)."""


def _status_info(job, run) -> dict:
    """The words and colour of a run's end, as the e-mail templates read them."""
    from invenio_i18n import gettext as _

    title, status = job.title, run.status.name
    headings = {
        "SUCCESS": _("Job completed"),
        "FAILED": _("Job failed"),
        "PARTIAL_SUCCESS": _("Job completed with errors"),
        "CANCELLED": _("Job stopped"),
    }
    messages = {
        "SUCCESS": _("The job '%(title)s' ran to the end without errors."),
        "FAILED": _("The job '%(title)s' stopped with an error."),
        "PARTIAL_SUCCESS": _("The job '%(title)s' ended, but some entries failed."),
        "CANCELLED": _("The job '%(title)s' was stopped before it ended."),
    }
    actions = {
        "SUCCESS": _("Open the run to see what it did."),
        "FAILED": _("Open the run to read the error and its log."),
        "PARTIAL_SUCCESS": _("Open the run to see which entries failed."),
        "CANCELLED": _("Open the run to see how far it got."),
    }
    heading = headings.get(status) or _("Job ended: %(status)s", status=status)
    message = messages.get(status) or _("The job '%(title)s' ended as %(status)s.")
    return {
        "title": heading,
        "summary": f"{heading}: {title}",
        "user_message": message % {"title": title, "status": status},
        "action": actions.get(status) or _("Open the run for the details."),
        "color": STATUS_COLORS.get(status, "#767676"),
    }


def _email_templates():
    """The app's templates, then the package's: the API app has no UI blueprint."""
    from jinja2 import ChoiceLoader, PackageLoader

    env = current_app.jinja_env
    package = PackageLoader("invenio_jobs", "templates/semantic-ui")
    return env.overlay(loader=ChoiceLoader([env.loader, package]))


@shared_task(ignore_result=True, name="invenio_jobs.tasks.send_run_notification")
def send_run_notification(run_id):
    """Email the job's subscribers that a run ended, with a link to it.

    The body comes from ``invenio_jobs/emails/run_notification.html`` and
    ``.txt`` (InvenioRDM's names, which instances override), with
    InvenioRDM's context: ``job``, ``run``, ``status_info``, ``run_url``,
    ``success_count`` and ``config``.
    """
    from flask_mail import Message

    run = db.session.get(Run, uuid.UUID(str(run_id)))
    if run is None:
        return
    job = run.job
    status_info = _status_info(job, run)
    success_count = None
    if run.status.name == "PARTIAL_SUCCESS" and run.total_entries:
        success_count = max(run.total_entries - (run.errored_entries or 0), 0)
    context = {
        "job": job,
        "run": run,
        "status_info": status_info,
        "status_color": status_info["color"],
        "title": status_info["title"],
        "run_url": f"{current_app.config.get('SITE_UI_URL', '')}"
        f"/administration/runs/{run.id}",
        "success_count": success_count,
        "config": current_app.config,
    }
    templates = _email_templates()
    html = templates.get_template("invenio_jobs/emails/run_notification.html")
    text = templates.get_template("invenio_jobs/emails/run_notification.txt")
    message = Message(
        subject=f"[{run.status.name}] {job.title}: {run.title or job.title}",
        recipients=list(job.notification_emails),
        body=text.render(context),
        html=html.render(context),
        sender=current_app.config["JOBS_NOTIFICATIONS_SENDER"]
        or current_app.config.get("MAIL_DEFAULT_SENDER"),
    )
    current_app.extensions["mail"].send(message)


@shared_task(ignore_result=True, name="invenio_jobs.tasks.prune_runs")
def prune_runs(batch_size=5000):
    """Delete old log lines, and the finished runs beyond each job's retention.

    Works in batches, each its own short transaction, so that the tables are
    never locked for long. Each job keeps its ``JOBS_RUNS_RETENTION`` newest
    finished runs, and always its last successful one (it is where the next
    run continues ``since``).
    """
    return _maintenance(lambda: _prune(batch_size))


def _prune(batch_size) -> dict:
    config = current_app.config
    pruned = {"logs": 0, "runs": 0}
    pruned["logs"] = delete_old_logs(
        config["JOBS_LOGGING_RETENTION_DAYS"], batch_size=batch_size
    )

    def newest_first(status_filter):
        """Top-level runs matching ``status_filter``, ranked per job, newest 1."""
        return (
            sa.select(
                Run.id,
                sa.func.row_number()
                .over(
                    partition_by=Run.job_id,
                    order_by=(Run.created.desc(), Run.id.desc()),
                )
                .label("rank"),
            )
            .where(Run.parent_run_id.is_(None), status_filter)
            .subquery()
        )

    ranked = newest_first(Run.status.in_(list(RunStatusEnum.finished())))
    successes = newest_first(Run.status == RunStatusEnum.SUCCESS)
    last_successes = sa.select(successes.c.id).where(successes.c.rank == 1)
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
