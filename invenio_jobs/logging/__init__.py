# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Capture of a run's log records into the ``jobs_run_log`` table, and the job context.

Importing the package connects the Celery signal handlers that carry the
job context into the tasks a run sends.
"""

from . import celery_signals
from .handler import RunLogHandler, capture_run_logs, install_handler
from .jobs import EMPTY_JOB_CTX, job_context, set_job_context, with_job_context

celery_signals.connect()

__all__ = (
    "EMPTY_JOB_CTX",
    "RunLogHandler",
    "capture_run_logs",
    "install_handler",
    "job_context",
    "set_job_context",
    "with_job_context",
)
