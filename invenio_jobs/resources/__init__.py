# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""REST resources of the job system."""

from .config import (
    JobsResourceConfig,
    LogsResourceConfig,
    PoolsResourceConfig,
    RunsResourceConfig,
    TasksResourceConfig,
)
from .resources import (
    JobsResource,
    LogsResource,
    PoolsResource,
    RunsResource,
    TasksResource,
)

JobLogResource = LogsResource
"""InvenioRDM's name of :class:`LogsResource`."""

JobLogResourceConfig = LogsResourceConfig
"""InvenioRDM's name of :class:`LogsResourceConfig`."""

__all__ = (
    "JobLogResource",
    "JobLogResourceConfig",
    "JobsResource",
    "JobsResourceConfig",
    "LogsResource",
    "LogsResourceConfig",
    "PoolsResource",
    "PoolsResourceConfig",
    "RunsResource",
    "RunsResourceConfig",
    "TasksResource",
    "TasksResourceConfig",
)
