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
from flask import current_app
from invenio_access.permissions import system_user_id
from invenio_db import db
from sqlalchemy.orm import joinedload

from . import lifecycle
from .errors import TaskExecutionError
from .lifecycle import ENDING, Dispatch, side_connection
from .logging import capture_run_logs, set_job_context
from .logging.tasks import delete_old_logs
from .models import Job, Run, RunStatusEnum, delete_runs, utcnow
from .proxies import current_jobs
from .runtime import RunCancelled, RunContext, RunTimedOut

logger = get_task_logger(__name__)

REAP_BATCH = 500


# -- sending runs to workers ---------------------------------------------------
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
    now = utcnow()
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


def _ended(moved: bool, run_id) -> bool:
    """Commit a step that may have ended a run; notify whom the job asks to."""
    db.session.commit()
    if moved:
        try:
            notify_run_end(run_id)
        except Exception:  # noqa: BLE001 -- the run has ended: keep it so
            _rollback()
            logger.warning("Could not notify the end of %s", run_id, exc_info=True)
    return moved


def _finish(run_id, status, message=None, **values) -> bool:
    """End a run that this worker holds, commit, notify."""
    return _ended(lifecycle.finish(run_id, status, message, **values), run_id)


def notify_run_end(run_id):
    """Send the job's notification email when the run ended in a status it watches."""
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
    if task_id is not None:
        send_runs(
            [Dispatch(run.id, run.queue, task_id, countdown=delay, timeout=job.timeout)]
        )
    return task_id is not None


def finish_parent(parent_id) -> bool:
    """End a parent run if its task and all its subtasks have ended; notify."""
    with side_connection(commit=True) as conn:
        moved = lifecycle.finish_parent(parent_id, conn)
    if moved:
        notify_run_end(parent_id)
    return moved


def _end_subtask(run: Run, succeeded: bool):
    """Count an ended subtask on its parent, which may end with it."""
    with side_connection(commit=True) as conn:
        lifecycle.count_subtask(run.parent_run_id, succeeded, conn)
    finish_parent(run.parent_run_id)


def _spawn_subtask(context, task, args, kwargs, title):
    """Insert a child run, count it on the parent, and send it."""
    queue = db.session.scalar(sa.select(Run.queue).where(Run.id == context.id))
    spec = {"task": task.name, "args": list(args), "kwargs": dict(kwargs)}
    with side_connection(commit=True) as conn:
        child = lifecycle.add_subtask(
            context.id, context.job_id, queue, title or task.name, spec, conn
        )
    send_runs([Dispatch.of(child, timeout=context.timeout)])
    return child["id"]


def _run_body(run: Run, job: Job):
    """Call the task of a run in this worker; subtasks call their own task."""
    if run.parent_run_id is not None:
        spec = run.args or {}
        task = current_celery_app.tasks[spec["task"]]
        return task(*spec.get("args", ()), **spec.get("kwargs", {}))
    reason = current_jobs.registry.unavailable_reason(job.task)
    if reason is not None:
        raise JobTypeUnavailableError(reason)
    kwargs = lifecycle.task_arguments(job, run)
    return current_jobs.registry.get(job.task).task(**kwargs)


RETRIED = object()
"""Outcome of an attempt that failed and was queued again."""


def _execute_body(run: Run, job: Job):
    """Run the task; return (status, message, values), or RETRIED.

    Never raises an ``Exception``: a fault while handling the task's own
    failure (a broken ``str`` of its error, a session that cannot roll back)
    still gives an outcome, so that the run ends instead of waiting for the
    maintenance task to call it lost.
    """
    try:
        return _judge_body(run, job)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        _rollback()
        logger.exception("Run %s: its failure could not be handled.", run.id)
        return RunStatusEnum.FAILED, _failure_message(exc), {}


def _judge_body(run: Run, job: Job):
    try:
        _run_body(run, job)
    except RunCancelled:
        _rollback()
        return RunStatusEnum.CANCELLED, "Stopped by an administrator.", {}
    except (RunTimedOut, SoftTimeLimitExceeded):
        _rollback()
        logger.error("Run %s timed out after %s s.", run.id, job.timeout)
        return RunStatusEnum.FAILED, f"Timed out after {job.timeout} s.", {}
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
    db.session.commit()
    return None


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
def execute_run(self, run_id, identity_id=None):
    """Claim a queued run, run its task with its log captured, record the end.

    Once claimed, the run always ends here: a fault anywhere after the claim
    ends it FAILED with that fault, rather than leaving it RUNNING until the
    maintenance task calls it lost.
    """
    run_uuid = uuid.UUID(str(run_id))
    claimed = lifecycle.claim(run_uuid, worker=socket.gethostname()[:255])
    db.session.commit()
    if not claimed:
        logger.info("Run %s is not queued any more; nothing to do.", run_uuid)
        return
    try:
        _execute_claimed(self.request, run_uuid, identity_id)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        _rollback()
        logger.exception("Run %s: failed outside its task.", run_uuid)
        _finish_or_leave(run_uuid, RunStatusEnum.FAILED, _failure_message(exc))


def _execute_claimed(request, run_uuid, identity_id):
    """Run a claimed run's task with its log captured, and record how it ended."""
    config = current_app.config
    run = db.session.get(Run, run_uuid)
    job = run.job
    job_context = _job_context(run, identity_id, request)
    with (
        set_job_context(job_context),
        capture_run_logs(db.engine, run.id, config) as log_buffer,
    ):
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
            _close_context(context, run_uuid)
    if outcome is RETRIED:
        return
    if outcome is None:  # the task returned
        outcome = (RunStatusEnum.SUCCESS, None, {})
    status, message, values = outcome
    parent_run_id = run.parent_run_id
    errored = values.pop("errored", 0)
    if status in (RunStatusEnum.SUCCESS, RunStatusEnum.PARTIAL_SUCCESS):
        db.session.refresh(run)
        if run.total_subtasks and parent_run_id is None:
            # It ends with its subtasks, no better than its task did.
            lifecycle.mark_task_finished(run.id, message, errored)
            db.session.commit()
            finish_parent(run.id)
            return
    if errored:
        values["errored_entries"] = Run.errored_entries + errored
    _finish(run_uuid, status, message, **values)
    if parent_run_id is not None:
        _end_subtask(run, succeeded=status is RunStatusEnum.SUCCESS)


def _close_context(context, run_id):
    """Stop a run's heartbeat; a fault there must not lose the run's outcome."""
    try:
        context.close()
    except Exception:  # noqa: BLE001 -- the outcome matters more
        logger.warning("Run %s: could not stop its heartbeat.", run_id, exc_info=True)


# -- maintenance -------------------------------------------------------------------
@shared_task(ignore_result=True, name="invenio_jobs.tasks.reap_runs")
def reap_runs():
    """Fail runs whose worker died, terminate runs that ignore a stop, resend lost ones.

    Each step is one query plus a bounded batch of conditional updates, so
    that several reapers at once (one per beat process) do no harm.
    """
    config = current_app.config
    now = utcnow()
    reaped = {"lost": 0, "terminated": 0, "resent": 0}

    stale_before = now - timedelta(seconds=config["JOBS_STALE_AFTER_SECONDS"])
    stale = db.session.scalars(
        sa.select(Run.id)
        .where(
            Run.status.in_(ENDING),
            Run.subtasks_closed.is_(False),
            sa.func.coalesce(Run.heartbeat_at, Run.started_at, Run.created)
            < stale_before,
        )
        .limit(REAP_BATCH)
    ).all()
    for run_id in stale:
        run = db.session.get(Run, run_id)
        last = run.heartbeat_at or run.started_at
        moved = _ended(lifecycle.mark_lost(run_id, last), run_id)
        reaped["lost"] += moved
        if moved and run.parent_run_id is not None:
            _end_subtask(run, succeeded=False)

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

    resend_before = now - timedelta(seconds=config["JOBS_REDISPATCH_AFTER_SECONDS"])
    lost = db.session.scalars(
        sa.select(Run)
        .options(joinedload(Run.job))  # the job gives each run's time limit
        .where(
            Run.status == RunStatusEnum.QUEUED,
            # Subtasks without a task id are sent by the module that made them.
            Run.task_id.is_not(None),
            sa.func.coalesce(Run.dispatched_at, Run.created) < resend_before,
        )
        .order_by(Run.created)
        .limit(REAP_BATCH)
    ).all()
    dispatches = [Dispatch.of(run, timeout=run.job.timeout) for run in lost]
    db.session.commit()
    reaped["resent"] = len(send_runs(dispatches))
    for parent_id in db.session.scalars(
        sa.select(Run.id)
        .where(Run.status.in_(ENDING), Run.subtasks_closed.is_(True))
        .limit(REAP_BATCH)
    ).all():
        finish_parent(parent_id)
    if any(reaped.values()):
        logger.info("Reaped runs: %s", reaped)
    return reaped


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
