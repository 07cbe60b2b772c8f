# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Marshmallow schemas: what clients may send, and what they get back.

Loading validates everything a client can type and names the field that is
wrong; dumping gives the InvenioRDM JSON shape of jobs and runs.
"""

from .fields import (
    MAX_TIMEOUT,
    NotificationEmail,
    ScheduleField,
    load_task_arguments,
    parse_custom_args,
    schedule_error_message,
    validate_queue,
)
from .jobs import EMPTY_AS_NULL, JobSchema
from .logs import (
    LOG_LEVELS,
    MAX_LOG_ID,
    CursorField,
    LogFilterSchema,
    LogsSearchParamsSchema,
    LogsTailParamsSchema,
    levels_from,
)
from .params import (
    JOBS_SORT_KEYS,
    JOBS_SORT_OPTIONS,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    RUNS_SORT_OPTIONS,
    SORT_DIRECTIONS,
    JobsSearchParamsSchema,
    RunsSearchParamsSchema,
    SearchParamsSchema,
)
from .pools import MAX_SLOTS, POOL_NAME, PoolSchema, find_pool, validate_pool
from .runs import SYSTEM_STARTER, RunCreateSchema, RunSchema, dump_user, started_by_of

__all__ = (
    "CursorField",
    "EMPTY_AS_NULL",
    "JOBS_SORT_KEYS",
    "JOBS_SORT_OPTIONS",
    "JobSchema",
    "JobsSearchParamsSchema",
    "LOG_LEVELS",
    "LogFilterSchema",
    "LogsSearchParamsSchema",
    "LogsTailParamsSchema",
    "MAX_LOG_ID",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "MAX_SLOTS",
    "MAX_TIMEOUT",
    "NotificationEmail",
    "POOL_NAME",
    "PoolSchema",
    "RUNS_SORT_OPTIONS",
    "RunCreateSchema",
    "RunSchema",
    "RunsSearchParamsSchema",
    "SORT_DIRECTIONS",
    "SYSTEM_STARTER",
    "ScheduleField",
    "SearchParamsSchema",
    "dump_user",
    "levels_from",
    "load_task_arguments",
    "parse_custom_args",
    "schedule_error_message",
    "started_by_of",
    "find_pool",
    "validate_pool",
    "validate_queue",
)
