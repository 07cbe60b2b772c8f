# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job context travels with the Celery tasks a run sends.

When a task is sent during a run, the job context goes into the message's
``context`` header (InvenioRDM's header). The worker that executes it
restores the context before the task starts, with the task's own id and its
parent's, and captures the task's log lines into the run's log; both are
undone when the task ends. A task called eagerly inside a run keeps the
run's context as it is. The job system's own tasks carry nothing: a run
sent by a run is a run of its own.

These are the handlers; ``process`` connects them to Celery's signals.
"""

import uuid

from flask import current_app, has_app_context
from invenio_db import db

from .handler import join_run_logs, leave_run_logs
from .jobs import EMPTY_JOB_CTX, job_context

HEADER = "context"
"""The message header that carries the job context (InvenioRDM's name)."""

_RESTORED = "_invenio_jobs_restored"
"""Attribute of a task's request holding what :func:`restore_context` set."""

_OWN_TASKS = "invenio_jobs."


def capture_context(sender=None, headers=None, **kwargs):
    """Put the job context into the headers of a task sent during a run."""
    context = job_context.get()
    if context is EMPTY_JOB_CTX or headers is None or HEADER in headers:
        return
    if str(sender or "").startswith(_OWN_TASKS):
        return
    headers[HEADER] = dict(context)


def restore_context(task=None, **kwargs):
    """Restore the job context a task was sent with, and join the run's log."""
    if task is None or job_context.get() is not EMPTY_JOB_CTX:
        return
    request = task.request
    carried = getattr(request, HEADER, None)
    if not isinstance(carried, dict) or not carried.get("run_id"):
        return
    context = dict(carried)
    context["task_id"] = str(request.id) if request.id else None
    context["parent_task_id"] = str(request.parent_id) if request.parent_id else None
    token = job_context.set(context)
    setattr(request, _RESTORED, (token, _join_logs(task, context["run_id"])))


def _join_logs(task, run_id):
    """Bind the task's log lines to the run's log; None when there is no app."""
    flask_app = current_app._get_current_object() if has_app_context() else None
    flask_app = flask_app or getattr(task.app, "flask_app", None)
    if flask_app is None:
        return None
    try:
        with flask_app.app_context():
            return join_run_logs(db.engine, uuid.UUID(str(run_id)), flask_app.config)
    except Exception:  # noqa: BLE001 -- logging never fails a task
        return None


def cleanup_context(task=None, **kwargs):
    """Undo what :func:`restore_context` did, when the task ends."""
    request = getattr(task, "request", None)
    restored = getattr(request, _RESTORED, None)
    if restored is None:
        return
    token, logs = restored
    setattr(request, _RESTORED, None)
    if logs is not None:
        leave_run_logs(logs)
    try:
        job_context.reset(token)
    except ValueError:  # ended in another context: leave no run behind
        job_context.set(EMPTY_JOB_CTX)
