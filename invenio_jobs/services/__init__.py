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

__all__ = (
    "JobsService",
    "JobsServiceConfig",
    "LogsService",
    "LogsServiceConfig",
    "RunsService",
    "RunsServiceConfig",
    "TasksService",
    "TasksServiceConfig",
)
