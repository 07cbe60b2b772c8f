# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Database models: jobs, their runs and the runs' log lines, and what surrounds them.

One import path for every model (``invenio_jobs.models``), which is also the
``invenio_db.models`` entry point: importing it registers every table.
"""

from .jobs import (
    LAST_SUCCESS,
    Job,
    Run,
    RunLog,
    delete_runs,
    last_success_order,
    last_success_where,
)
from .operations import (
    AlertDelivery,
    AlertState,
    Counter,
    JobEvent,
    MaintenanceWindow,
    Pause,
    Pool,
    delete_alerts,
)
from .totals import DURATION_BOUNDS, LAG_BOUNDS, RunTotal, RunTotalChange
from .types import JSON, RunStatusEnum, RunTrigger, RunTriggerType, UTCDateTime, utcnow

__all__ = (
    "DURATION_BOUNDS",
    "LAG_BOUNDS",
    "JSON",
    "LAST_SUCCESS",
    "AlertDelivery",
    "AlertState",
    "Counter",
    "Job",
    "JobEvent",
    "MaintenanceWindow",
    "Pause",
    "Pool",
    "Run",
    "RunLog",
    "RunTotal",
    "RunTotalChange",
    "RunStatusEnum",
    "RunTrigger",
    "RunTriggerType",
    "UTCDateTime",
    "delete_alerts",
    "delete_runs",
    "last_success_order",
    "last_success_where",
    "utcnow",
)
