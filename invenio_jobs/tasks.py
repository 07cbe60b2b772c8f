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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from billiard.exceptions import SoftTimeLimitExceeded
from celery import current_app as current_celery_app
from celery import shared_task
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db
from sqlalchemy.orm import joinedload

from .errors import TaskExecutionPartialError
from .logging import capture_run_logs
from .models import Job, Run, RunLog, RunStatusEnum, delete_runs, transition_run
from .proxies import current_jobs
from .runtime import RunCancelled, RunContext, RunTimedOut, side_connection

logger = get_task_logger(__name__)

ENDING = (RunStatusEnum.RUNNING, RunStatusEnum.CANCELLING)
REAP_BATCH = 500


def _now():
    return datetime.now(timezone.utc)


# -- sending runs to workers ---------------------------------------------------
@dataclass(frozen=True)
class Dispatch:
    """What it takes to send one queued run to a worker."""

    run_id: uuid.UUID
    queue: str
    task_id: str
    identity_id: object = None
    countdown: float = 0
    timeout: int | None = None

    @classmethod
    def of(cls, run: Run, job: Job | None = None, identity_id=None, countdown=0):
        """The dispatch of a run (the job gives the time limit)."""
        job = job or run.job
        return cls(
            run_id=run.id,
            queue=run.queue,
            task_id=run.task_id,
            identity_id=identity_id,
            countdown=countdown,
            timeout=job.timeout if job is not None else None,
        )


def send_runs(dispatches) -> list:
    """Send ``execute_run`` for committed queued runs; return the ids sent.

    A run whose message cannot be sent (broker down) stays QUEUED: the
    maintenance task sends it again later, under the same run id.
    ``dispatched_at`` is written through a connection of its own, so that
    sending never commits the caller's session.
    """
    sent = []
    grace = current_app.config["JOBS_STOP_GRACE_SECONDS"]
    for item in dispatches:
        options = {}
        if item.timeout:
            options = {
                "soft_time_limit": item.timeout,
                "time_limit": item.timeout + grace,
            }
        try:
            execute_run.apply_async(
                args=(str(item.run_id), item.identity_id),
                queue=item.queue,
                task_id=item.task_id,
                countdown=item.countdown or None,
                **options,
            )
        except Exception:  # noqa: BLE001 -- the reaper sends it again
            logger.warning(
                "Could not send run %s; will retry.", item.run_id, exc_info=True
            )
            continue
        sent.append((item.run_id, item.countdown))
    now = _now()
    by_delay = {}
    for run_id, countdown in sent:
        by_delay.setdefault(countdown or 0, []).append(run_id)
    if by_delay:
        # One UPDATE per distinct delay: usually a single one for a batch.
        with side_connection(commit=True) as conn:
            for countdown, run_ids in by_delay.items():
                conn.execute(
                    sa.update(Run)
                    .where(Run.id.in_(run_ids), Run.status == RunStatusEnum.QUEUED)
                    .values(dispatched_at=now + timedelta(seconds=countdown))
                )
    return [run_id for run_id, _ in sent]


# -- running a run -------------------------------------------------------------
def last_success_start(job_id, exclude_run_id=None):
    """When the job's last successful run started (UTC), or None."""
    statement = (
        sa.select(Run.started_at)
        .where(
            Run.job_id == job_id,
            Run.status == RunStatusEnum.SUCCESS,
            Run.parent_run_id.is_(None),
        )
        .order_by(Run.started_at.desc().nulls_last())
        .limit(1)
    )
    if exclude_run_id is not None:
        statement = statement.where(Run.id != exclude_run_id)
    return db.session.scalar(statement)


def build_arguments(job: Job, run: Run) -> dict:
    """The task's keyword arguments: the run's arguments through the job type."""
    job_type = current_jobs.registry.get(job.task)
    loaded = job_type.arguments_schema().load(run.args or {})
    since = loaded.pop("since", None)
    if since is None:
        since = last_success_start(job.id, exclude_run_id=run.id)
    return job_type.build_task_arguments(job_obj=job, since=since, **loaded)


def _failure_message(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc)).rstrip()
    return f"{type(exc).__name__}: {exc}\n\n{text}"


def _finish(run_id, status, message=None, from_statuses=ENDING, **values) -> bool:
    """End a run (conditionally), commit, and notify whom the job asks to."""
    moved = transition_run(
        run_id, from_statuses, status, finished_at=_now(), message=message, **values
    )
    db.session.commit()
    if moved:
        notify_run_end(run_id)
    return moved


def notify_run_end(run_id):
    """Send the job's notification email when the run ended in a status it watches."""
    row = db.session.execute(
        sa.select(Run.status, Job.notification_emails, Job.notification_statuses)
        .join(Job, Job.id == Run.job_id)
        .where(Run.id == run_id)
    ).first()
    if row is None:
        return
    status, emails, statuses = row
    if emails and status.name in (statuses or []):
        try:
            send_run_notification.delay(str(run_id))
        except Exception:  # noqa: BLE001 -- a notification never fails a run
            logger.warning("Could not send notification of %s", run_id, exc_info=True)


def _retry_delay(attempt: int) -> float:
    config = current_app.config
    base = config["JOBS_RETRY_BACKOFF_SECONDS"]
    return min(base * 2 ** (attempt - 1), config["JOBS_RETRY_BACKOFF_MAX_SECONDS"])


def _retry(run: Run, job: Job, exc: BaseException) -> bool:
    """Queue the run again after a retryable failure; False when out of tries."""
    job_type = current_jobs.registry.get(job.task)
    if not job_type.retry_on or not isinstance(exc, job_type.retry_on):
        return False
    if run.attempt > (job.max_retries or 0):
        return False
    delay = _retry_delay(run.attempt)
    attempt = run.attempt
    moved = transition_run(
        run.id,
        [RunStatusEnum.RUNNING],
        RunStatusEnum.QUEUED,
        attempt=attempt + 1,
        task_id=str(uuid.uuid4()),
        dispatched_at=_now() + timedelta(seconds=delay),
        message=(
            f"Attempt {attempt} failed ({type(exc).__name__}: {exc}); "
            f"retrying in {delay:g} s."
        ),
    )
    db.session.commit()
    if moved:
        db.session.refresh(run)
        send_runs([Dispatch.of(run, job, countdown=delay)])
    return moved


def _finish_parent(parent_id):
    """End a parent run once its task and all its subtasks have ended.

    Called by the parent when its task returns and by each subtask when it
    ends; the conditional UPDATE lets exactly one of them end the parent.
    """
    c = Run.__table__.c
    with side_connection(commit=True) as conn:
        moved = conn.execute(
            sa.update(Run.__table__)
            .where(
                c.id == parent_id,
                c.status.in_([s.value for s in ENDING]),
                c.task_finished_at.is_not(None),
                c.completed_subtasks + c.errored_subtasks >= c.total_subtasks,
            )
            .values(
                status=sa.case(
                    (c.errored_subtasks == 0, RunStatusEnum.SUCCESS.value),
                    (c.completed_subtasks == 0, RunStatusEnum.FAILED.value),
                    else_=RunStatusEnum.PARTIAL_SUCCESS.value,
                ),
                finished_at=_now(),
                updated=_now(),
            )
        ).rowcount
    if moved:
        notify_run_end(parent_id)
    return bool(moved)


def _spawn_subtask(context, task, args, kwargs, title):
    """Insert a child run, count it on the parent, and send it."""
    parent = db.session.get(Run, context.id)
    child_id = uuid.uuid4()
    child = dict(
        id=child_id,
        job_id=context.job_id,
        parent_run_id=context.id,
        status=RunStatusEnum.QUEUED,
        title=title or task.name,
        args={"task": task.name, "args": list(args), "kwargs": dict(kwargs)},
        queue=parent.queue,
        task_id=str(uuid.uuid4()),
        trigger="subtask",
    )
    with side_connection(commit=True) as conn:
        conn.execute(sa.insert(Run), [child])
        conn.execute(
            sa.update(Run)
            .where(Run.id == context.id)
            .values(total_subtasks=Run.total_subtasks + 1)
        )
    send_runs(
        [Dispatch(child_id, parent.queue, child["task_id"], timeout=context.timeout)]
    )
    return child_id


def _run_body(run: Run, job: Job):
    """Call the task of a run in this worker; subtasks call their own task."""
    if run.parent_run_id is not None:
        spec = run.args or {}
        task = current_celery_app.tasks[spec["task"]]
        return task(*spec.get("args", ()), **spec.get("kwargs", {}))
    if job.task not in current_jobs.registry:
        raise LookupError(f"Job type '{job.task}' is not registered.")
    kwargs = build_arguments(job, run)
    return current_jobs.registry.get(job.task).task(**kwargs)


def _count_on_parent(run: Run, succeeded: bool):
    column = "completed_subtasks" if succeeded else "errored_subtasks"
    with side_connection(commit=True) as conn:
        conn.execute(
            sa.update(Run)
            .where(Run.id == run.parent_run_id)
            .values({column: getattr(Run, column) + 1})
        )
    _finish_parent(run.parent_run_id)


RETRIED = object()
"""Outcome of an attempt that failed and was queued again."""


def _execute_body(run: Run, job: Job):
    """Run the task; return (status, message, values), or RETRIED."""
    try:
        _run_body(run, job)
    except RunCancelled:
        db.session.rollback()
        return RunStatusEnum.CANCELLED, "Stopped by an administrator.", {}
    except (RunTimedOut, SoftTimeLimitExceeded):
        db.session.rollback()
        logger.error("Run %s timed out after %s s.", run.id, job.timeout)
        return RunStatusEnum.FAILED, f"Timed out after {job.timeout} s.", {}
    except TaskExecutionPartialError as exc:
        db.session.rollback()
        logger.warning("Run %s partly failed: %s", run.id, exc)
        values = {}
        if exc.errored_entries is not None:
            values["errored_entries"] = exc.errored_entries
        return RunStatusEnum.PARTIAL_SUCCESS, str(exc), values
    except Exception as exc:  # noqa: BLE001 -- any failure ends the run
        db.session.rollback()
        logger.exception("Run %s failed.", run.id)
        if run.parent_run_id is None and _retry(run, job, exc):
            return RETRIED
        return RunStatusEnum.FAILED, _failure_message(exc), {}
    except BaseException:
        # The worker is being shut down or the task terminated: record it.
        db.session.rollback()
        _finish(run.id, RunStatusEnum.FAILED, "The worker stopped during the run.")
        raise
    db.session.commit()
    return None


@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_run")
def execute_run(self, run_id, identity_id=None):
    """Claim a queued run, run its task with its log captured, record the end."""
    config = current_app.config
    run_uuid = uuid.UUID(str(run_id))
    now = _now()
    claimed = transition_run(
        run_uuid,
        [RunStatusEnum.QUEUED],
        RunStatusEnum.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=socket.gethostname()[:255],
    )
    db.session.commit()
    if not claimed:
        logger.info("Run %s is not queued any more; nothing to do.", run_uuid)
        return

    run = db.session.get(Run, run_uuid)
    job = run.job
    with capture_run_logs(db.engine, run.id, config) as log_buffer:
        context = RunContext(
            run.id,
            job.id,
            db.engine,
            heartbeat_seconds=config["JOBS_HEARTBEAT_SECONDS"],
            progress_interval=config["JOBS_PROGRESS_INTERVAL_SECONDS"],
            timeout=job.timeout,
            spawn=_spawn_subtask,
            tick=log_buffer.flush,
            tick_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        ).start()
        try:
            outcome = _execute_body(run, job)
        finally:
            context.close()
    if outcome is RETRIED:
        return
    if outcome is None:  # the task returned
        db.session.refresh(run)
        if run.total_subtasks and run.parent_run_id is None:
            transition_run(run.id, ENDING, run.status, task_finished_at=_now())
            db.session.commit()
            _finish_parent(run.id)
            return
        outcome = (RunStatusEnum.SUCCESS, None, {})
    status, message, values = outcome
    _finish(run_uuid, status, message, **values)
    if run.parent_run_id is not None:
        _count_on_parent(run, succeeded=status is RunStatusEnum.SUCCESS)


# -- maintenance -------------------------------------------------------------------
@shared_task(ignore_result=True, name="invenio_jobs.tasks.reap_runs")
def reap_runs():
    """Fail runs whose worker died, terminate runs that ignore a stop, resend lost ones.

    Each step is one query plus a bounded batch of conditional updates, so
    that several reapers at once (one per beat process) do no harm.
    """
    config = current_app.config
    now = _now()
    reaped = {"lost": 0, "terminated": 0, "resent": 0}

    stale_before = now - timedelta(seconds=config["JOBS_STALE_AFTER_SECONDS"])
    stale = db.session.scalars(
        sa.select(Run.id)
        .where(
            Run.status.in_(ENDING),
            Run.task_finished_at.is_(None),
            sa.func.coalesce(Run.heartbeat_at, Run.started_at, Run.created)
            < stale_before,
        )
        .limit(REAP_BATCH)
    ).all()
    for run_id in stale:
        run = db.session.get(Run, run_id)
        last = run.heartbeat_at or run.started_at
        moved = _finish(
            run_id,
            RunStatusEnum.FAILED,
            f"Worker lost: no heartbeat since {last.isoformat() if last else 'start'}.",
        )
        reaped["lost"] += moved
        if moved and run.parent_run_id is not None:
            _count_on_parent(run, succeeded=False)

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
        reaped["terminated"] += _finish(
            run_id,
            RunStatusEnum.CANCELLED,
            f"Terminated: did not stop within {config['JOBS_STOP_GRACE_SECONDS']} s.",
            from_statuses=[RunStatusEnum.CANCELLING],
        )

    resend_before = now - timedelta(seconds=config["JOBS_REDISPATCH_AFTER_SECONDS"])
    lost = db.session.scalars(
        sa.select(Run)
        .options(joinedload(Run.job))  # the job gives each run's time limit
        .where(
            Run.status == RunStatusEnum.QUEUED,
            sa.func.coalesce(Run.dispatched_at, Run.created) < resend_before,
        )
        .order_by(Run.created)
        .limit(REAP_BATCH)
    ).all()
    dispatches = [Dispatch.of(run) for run in lost]
    db.session.commit()
    reaped["resent"] = len(send_runs(dispatches))
    for parent_id in db.session.scalars(
        sa.select(Run.id)
        .where(Run.status.in_(ENDING), Run.task_finished_at.is_not(None))
        .limit(REAP_BATCH)
    ).all():
        _finish_parent(parent_id)
    if any(reaped.values()):
        logger.info("Reaped runs: %s", reaped)
    return reaped


@shared_task(ignore_result=True, name="invenio_jobs.tasks.send_run_notification")
def send_run_notification(run_id):
    """Email the job's subscribers that a run ended, with a link to it."""
    from flask_mail import Message

    run = db.session.get(Run, uuid.UUID(str(run_id)))
    if run is None:
        return
    job = run.job
    duration = run.duration
    ui = current_app.config.get("SITE_UI_URL", "")
    link = f"{ui}/administration/jobs/{job.id}/runs/{run.id}"
    subject = f"[{run.status.name}] {job.title}: {run.title or job.title}"
    lines = [
        f"Job: {job.title}",
        f"Run: {run.title or run.id}",
        f"Status: {run.status.name}",
        f"Started: {run.started_at.isoformat() if run.started_at else '-'}",
        f"Finished: {run.finished_at.isoformat() if run.finished_at else '-'}",
        f"Duration: {duration.total_seconds():.1f} s" if duration else "Duration: -",
        "",
        (run.message or "").strip(),
        "",
        f"See the run: {link}",
    ]
    message = Message(
        subject=subject,
        recipients=list(job.notification_emails),
        body="\n".join(lines),
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
    config = current_app.config
    cutoff = _now() - timedelta(days=config["JOBS_LOGGING_RETENTION_DAYS"])
    pruned = {"logs": 0, "runs": 0}
    while True:
        ids = db.session.scalars(
            sa.select(RunLog.id)
            .where(RunLog.timestamp < cutoff)
            .order_by(RunLog.id)
            .limit(batch_size)
        ).all()
        if not ids:
            break
        db.session.execute(sa.delete(RunLog).where(RunLog.id.in_(ids)))
        db.session.commit()
        pruned["logs"] += len(ids)

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
