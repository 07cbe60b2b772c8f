# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Proxies to the job system of the current application."""

from flask import current_app
from werkzeug.local import LocalProxy

current_jobs = LocalProxy(lambda: current_app.extensions["invenio-jobs"])
"""The :class:`~invenio_jobs.ext.InvenioJobs` extension of the current app."""

current_jobs_service = LocalProxy(lambda: current_jobs.jobs_service)
"""The jobs service."""

current_runs_service = LocalProxy(lambda: current_jobs.runs_service)
"""The runs service."""

current_tasks_service = LocalProxy(lambda: current_jobs.tasks_service)
"""The service listing registered job types."""

current_jobs_logs_service = LocalProxy(lambda: current_jobs.logs_service)
"""The run logs service."""
