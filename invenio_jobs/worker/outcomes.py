# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Performing a run's task and judging how it went.

``execute_body`` calls the task and turns whatever it did (returned, was
stopped, timed out, failed partly or wholly, was retried, was killed) into
an outcome ``(status, message, values)``; it never raises an ``Exception``,
so that a claimed run always ends.
"""

import traceback
from datetime import timedelta

import sqlalchemy as sa
from billiard.exceptions import SoftTimeLimitExceeded
from celery import current_app as current_celery_app
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..database import is_unreachable
from ..errors import TaskExecutionError
from ..lifecycle import EntryCounts
from ..models import Job, Run, RunStatusEnum, utcnow
from ..proxies import current_jobs
from ..runtime import RunCancelled, RunTimedOut
from .endings import finish_or_leave
from .session import (
    SESSION_WROTE,
    commit_or_rollback,
    release_session,
    rollback,
    watch_session_writes,
)

logger = get_task_logger(__name__)


class JobTypeUnavailableError(LookupError):
    """The job type of a run is not registered, or its module failed to load.

    Nothing can make such a run succeed: it is never retried.
    """


def text_of(exc: BaseException) -> str:
    """The message of an exception, even one whose ``str`` fails."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 -- a broken __str__ must not hide the failure
        return "(its message could not be read)"


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception."""
    return f"{type(exc).__name__}: {text_of(exc)}"


def failure_message(exc: BaseException) -> str:
    """A failed run's message: the error, then its traceback."""
    try:
        text = "".join(traceback.format_exception(exc)).rstrip()
    except Exception:  # noqa: BLE001 -- the error's name is still worth keeping
        text = ""
    return f"{describe(exc)}\n\n{text}".rstrip()


def run_body(run: Run, job: Job, since=lifecycle.SINCE_UNKNOWN):
    """Call the task of a run in this worker; subtasks call their own task."""
    if run.parent_run_id is not None:
        spec = run.args or {}
        task = current_celery_app.tasks[spec["task"]]
        release_session()
        return task(*spec.get("args", ()), **spec.get("kwargs", {}))
    reason = current_jobs.registry.unavailable_reason(job.task)
    if reason is not None:
        raise JobTypeUnavailableError(reason)
    kwargs = lifecycle.task_arguments(job, run, since)
    release_session()
    return current_jobs.registry.get(job.task).task(**kwargs)


RETRIED = object()
"""Outcome of an attempt that failed and was queued again."""


def execute_body(
    run: Run, job: Job | None, since=lifecycle.SINCE_UNKNOWN, timeout=None
):
    """Run the task; return (status, message, values), or RETRIED.

    Never raises an ``Exception``: a fault while handling the task's own
    failure (a broken ``str`` of its error, a session that cannot roll back)
    still gives an outcome, so that the run ends instead of waiting for the
    maintenance task to call it lost.
    """
    watch_session_writes()
    try:
        return _judge_body(run, job, since, timeout)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        rollback()
        logger.exception("Run %s: its failure could not be handled.", run.id)
        return RunStatusEnum.FAILED, failure_message(exc), {}


def _judge_body(run: Run, job: Job | None, since, timeout):
    try:
        run_body(run, job, since)
    except RunCancelled:
        rollback()
        return RunStatusEnum.CANCELLED, "Stopped by an administrator.", {}
    except (RunTimedOut, SoftTimeLimitExceeded):
        rollback()
        logger.error("Run %s timed out after %s s.", run.id, timeout)
        return RunStatusEnum.FAILED, f"Timed out after {timeout} s.", {}
    except JobTypeUnavailableError as exc:
        rollback()
        logger.error("Run %s cannot run: %s", run.id, exc)
        return RunStatusEnum.FAILED, str(exc), {}
    except TaskExecutionError as exc:
        # A partial success: what the task did is kept (InvenioRDM's meaning).
        commit_or_rollback()
        message = text_of(exc)
        logger.warning("Run %s partly failed: %s", run.id, message)
        errored = getattr(exc, "errored_entries_count", 0)
        return RunStatusEnum.PARTIAL_SUCCESS, message, {"errored": errored}
    except Exception as exc:  # noqa: BLE001 -- any failure ends the run
        rollback()
        logger.exception("Run %s failed.", run.id)
        if run.parent_run_id is None and retry(run, job, exc):
            return RETRIED
        return RunStatusEnum.FAILED, failure_message(exc), {}
    except BaseException:
        # The worker is being shut down or the task terminated: record it,
        # and let the shutdown go on whatever recording does.
        rollback()
        finish_or_leave(
            run.id, RunStatusEnum.FAILED, "The worker stopped during the run."
        )
        raise
    commit_task_work(run)
    return None


def commit_task_work(run: Run):
    """Commit what the task left in the session.

    When the database went away meanwhile and the task left nothing to
    write, its outcome stands (the connection that died held nothing);
    a task whose writes are lost with the connection has failed.
    """
    wrote = db.session.info.get(SESSION_WROTE, False)
    try:
        release_session()
    except sa.exc.SQLAlchemyError as exc:
        if wrote or not is_unreachable(exc):
            raise
        rollback()
        logger.warning(
            "Run %s: its session's connection was lost; it held no work.", run.id
        )


def last_counts(context, outcome) -> EntryCounts:
    """A run's counts not written yet, with the entries its task failed, taken.

    The count of a ``TaskExecutionPartialError`` sets the task's errored
    entries (see :meth:`RunContext.errored_still_to_count`): only what its
    progress did not count yet is added.
    """
    counts = context.take_counts()
    if outcome is not None and outcome is not RETRIED:
        declared = outcome[2].get("errored", 0)
        counts.add(errored=context.errored_still_to_count(declared))
    return counts


def close_context(context, run_id):
    """Leave a run's context; a fault there must not lose the run's outcome.

    Its last counts stay in it, for the statement that ends the run.
    """
    try:
        context.close(flush=False)
    except Exception:  # noqa: BLE001 -- the outcome matters more
        logger.warning("Run %s: could not stop its heartbeat.", run_id, exc_info=True)


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: the back-off, doubled each time, capped."""
    config = current_app.config
    base = config["JOBS_RETRY_BACKOFF_SECONDS"]
    return min(base * 2 ** (attempt - 1), config["JOBS_RETRY_BACKOFF_MAX_SECONDS"])


def retry(run: Run, job: Job, exc: BaseException) -> bool:
    """Queue the run again after a retryable failure; False when out of tries.

    Never raises: a fault while deciding or queueing the retry is logged and
    the run fails with its own error, instead of staying RUNNING.
    """
    try:
        return _queue_retry(run, job, exc)
    except Exception:  # noqa: BLE001 -- the run must still end
        rollback()
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
    delay = retry_delay(run.attempt)
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
