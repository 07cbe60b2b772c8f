# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery tasks of the job system: ``execute_run`` runs one run of a job.

A run is claimed with one conditional UPDATE (QUEUED -> RUNNING): a message
delivered twice, or a run stopped before a worker took it, runs nothing.
Whatever the task does, the run ends with a status, a message and
``finished_at``.
"""

import socket
import traceback
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from celery import shared_task
from celery.utils.log import get_task_logger
from invenio_db import db

from .errors import TaskExecutionPartialError
from .models import Job, Run, RunStatusEnum, transition_run
from .proxies import current_jobs

logger = get_task_logger(__name__)

ENDING = (RunStatusEnum.RUNNING, RunStatusEnum.CANCELLING)


def _now():
    return datetime.now(timezone.utc)


def last_success_start(job_id, exclude_run_id=None):
    """When the job's last successful run started (UTC), or None."""
    statement = (
        sa.select(Run.started_at)
        .where(Run.job_id == job_id, Run.status == RunStatusEnum.SUCCESS)
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


def _finish(run_id, status, message=None, **values):
    moved = transition_run(
        run_id, ENDING, status, finished_at=_now(), message=message, **values
    )
    db.session.commit()
    return moved


def _failure_message(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc)).rstrip()
    return f"{type(exc).__name__}: {exc}\n\n{text}"


@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_run")
def execute_run(self, run_id, identity_id=None):
    """Claim a queued run, run its job type's task, and record how it ended."""
    run_uuid = uuid.UUID(str(run_id))
    now = _now()
    claimed = transition_run(
        run_uuid,
        [RunStatusEnum.QUEUED],
        RunStatusEnum.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=socket.gethostname()[:255],
        task_id=self.request.id or None,
    )
    db.session.commit()
    if not claimed:
        logger.info("Run %s was not queued any more; nothing to do.", run_uuid)
        return

    run = db.session.get(Run, run_uuid)
    job = run.job
    try:
        if job.task not in current_jobs.registry:
            raise LookupError(f"Job type '{job.task}' is not registered.")
        kwargs = build_arguments(job, run)
        job_type = current_jobs.registry.get(job.task)
        job_type.task(**kwargs)
    except TaskExecutionPartialError as exc:
        db.session.rollback()
        values = {}
        if exc.errored_entries is not None:
            values["errored_entries"] = exc.errored_entries
        _finish(run_uuid, RunStatusEnum.PARTIAL_SUCCESS, str(exc), **values)
    except Exception as exc:  # noqa: BLE001 -- any failure ends the run FAILED
        db.session.rollback()
        logger.exception("Run %s failed", run_uuid)
        _finish(run_uuid, RunStatusEnum.FAILED, _failure_message(exc))
    else:
        db.session.commit()
        _finish(run_uuid, RunStatusEnum.SUCCESS)
