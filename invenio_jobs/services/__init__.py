# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Services of the job system."""

from .config import (
    JobsServiceConfig,
    LogsServiceConfig,
    RunsServiceConfig,
    TasksServiceConfig,
)
from .job_types import TasksService
from .jobs import JobsService
from .logs import LogsService
from .runs import RunsService

JobLogService = LogsService
"""InvenioRDM's name of :class:`LogsService`."""

JobLogServiceConfig = LogsServiceConfig
"""InvenioRDM's name of :class:`LogsServiceConfig`."""

__all__ = (
    "JobLogService",
    "JobLogServiceConfig",
    "JobsService",
    "JobsServiceConfig",
    "LogsService",
    "LogsServiceConfig",
    "RunsService",
    "RunsServiceConfig",
    "TasksService",
    "TasksServiceConfig",
)
