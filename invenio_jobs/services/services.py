# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The services under InvenioRDM's import path ``invenio_jobs.services.services``."""

from . import JobLogService
from .job_types import TasksService
from .jobs import JobsService
from .runs import RunsService

__all__ = ("JobLogService", "JobsService", "RunsService", "TasksService")
