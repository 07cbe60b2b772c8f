# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What a run executes in: its job context and its ``current_run``.

The job context (InvenioRDM's keys) travels in the headers of every task the
run sends; ``current_run`` reports progress, notices a stop and spawns
subtasks, which are stored and sent here in batches.
"""

import socket
import uuid

from celery.utils.log import get_task_logger
from flask import current_app, has_app_context
from invenio_access.permissions import system_user_id
from invenio_db import db

from .. import lifecycle
from ..lifecycle import Dispatch
from ..models import Run, RunTrigger
from ..runtime import RunContext
from .dispatch import send_runs
from .endings import write_run

logger = get_task_logger(__name__)


def worker_name(request=None) -> str:
    """The name a run records as its worker: the Celery worker's, else the host's.

    Cut to the ``worker`` column's length.
    """
    hostname = getattr(request, "hostname", None)
    return (hostname or socket.gethostname())[:255]


def acting_user_id(run: Run, identity_id):
    """Whom a run executes as: its job's ``run_as`` user, else who sent it.

    ``identity_id`` is the one its message carries (who pressed "Run now");
    None for the scheduler's runs, which act as the system.
    """
    return run.run_as_id if run.run_as_id is not None else identity_id


def job_context(run: Run, identity_id, request) -> dict:
    """The job context of a run (InvenioRDM's keys), set while it executes.

    ``identity_id`` is :func:`acting_user_id`'s; runs started by the system
    (the scheduler) without a ``run_as`` user act as the system user.
    """
    return {
        "run_id": str(run.id),
        "job_id": str(run.job_id),
        "identity_id": str(identity_id if identity_id is not None else system_user_id),
        "task_id": str(request.id) if request.id else None,
        "parent_task_id": str(request.parent_id) if request.parent_id else None,
    }


def run_context(run: Run, timeout, log_buffer, identity_id=None) -> RunContext:
    """The context of a run about to execute here (``current_run``).

    ``identity_id`` is whom it executes as (``current_run.identity``).
    """
    config = current_app.config
    return RunContext(
        run.id,
        run.job_id,
        db.engine,
        identity_id=identity_id,
        heartbeat_seconds=config["JOBS_HEARTBEAT_SECONDS"],
        progress_interval=config["JOBS_PROGRESS_INTERVAL_SECONDS"],
        timeout=timeout,
        spawn=subtask_sender(current_app._get_current_object(), run.queue),
        tick=log_buffer.flush,
        tick_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        subtask_batch=config["JOBS_SUBTASKS_PER_INSERT"],
    )


def subtask_sender(app, queue):
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
    write_run(lambda conn: lifecycle.add_subtasks(context.id, children, conn))
    send_runs(dispatches)
