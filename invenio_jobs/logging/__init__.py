# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Capture of a run's log records into the ``jobs_run_log`` table."""

from .handler import RunLogHandler, capture_run_logs, install_handler

__all__ = ("RunLogHandler", "capture_run_logs", "install_handler")
