# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Capture of a run's log records into the ``jobs_run_log`` table, and the job context.

The rooms, from the job's thread to the table:

- ``jobs``: the job context (which run the current code works for);
- ``handler``: the root handler, and the captures of a run and of the
  tasks it sent;
- ``buffer``: a run's pending lines, and the chunks a writer takes;
- ``writer``: who stores them (one thread per process, or the job's own
  thread on SQLite);
- ``celery_signals`` and ``process``: the job context in the tasks a run
  sends, and what a process does at fork and exit; installed by the
  extension's ``finalize_app``, not by importing this package;
- ``tasks``: deleting old lines.
"""

from .handler import RunLogHandler, capture_run_logs, install_handler
from .jobs import EMPTY_JOB_CTX, job_context, set_job_context, with_job_context

__all__ = (
    "EMPTY_JOB_CTX",
    "RunLogHandler",
    "capture_run_logs",
    "install_handler",
    "job_context",
    "set_job_context",
    "with_job_context",
)
