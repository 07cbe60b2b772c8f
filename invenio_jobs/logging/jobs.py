# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job context: which run the current code works for.

InvenioRDM's names. During a run, :data:`job_context` holds a dict with the
run's ``run_id``, ``job_id`` and ``identity_id``, the Celery ``task_id``
and ``parent_task_id``; outside a run it holds :data:`EMPTY_JOB_CTX`.
Modules read it to count their work on the run (invenio-vocabularies counts
subtasks and entries this way). It travels in the headers of every Celery
task a run sends and is restored in the worker that executes it (see
``celery_signals``), and threads started with ``contextvars.copy_context()``
keep it.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

EMPTY_JOB_CTX = object()
"""The value of :data:`job_context` outside a run."""

job_context: ContextVar = ContextVar("job_context", default=EMPTY_JOB_CTX)
"""The context of the run the current code works for, or :data:`EMPTY_JOB_CTX`."""


@contextmanager
def set_job_context(data):
    """Set the job context for the block; the previous one comes back after it."""
    token = job_context.set(data)
    try:
        yield job_context
    finally:
        job_context.reset(token)


def with_job_context(base_context):
    """Decorate a function so that it runs with this job context.

    ``with_job_context(EMPTY_JOB_CTX)`` keeps a function that starts runs
    from passing on the context of the run that calls it.
    """

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            with set_job_context(base_context):
                return func(*args, **kwargs)

        return wrapper

    return decorator


def current_job_context() -> dict | None:
    """The job context as a dict, or None outside a run."""
    value = job_context.get()
    return None if value is EMPTY_JOB_CTX else value
