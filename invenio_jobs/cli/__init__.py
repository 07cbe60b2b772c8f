# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs ...``: the job system from a shell, through the services.

Every command acts as the system process (``system_identity``) through the
same services as the REST API, so that the CLI validates and records exactly
what the API would. Listings print rich tables for people and, with
``--json``, the API's JSON for scripts. Bad input is one line on stderr and
exit code 2, with nothing changed.

InvenioRDM's spellings work with their meaning: ``create --task``, ``log``
(a run's summary and lines; ours is ``logs``) and ``schedule --schedule``
(a cron schedule, confirmed after its next fire times; ours is ``update
--cron``).
"""

from .access_commands import access
from .base import jobs, parse_value
from .code_commands import export, import_
from .job_commands import create, delete, list_jobs, types, update
from .log_commands import log
from .pool_commands import pools
from .run_commands import run_now, runs
from .schedule_commands import schedule
from .scheduling_commands import pause, resume, window_add, window_delete, windows

# InvenioRDM's Python names of the commands, for code that imports them
# (``from invenio_jobs.cli import create_job``); same commands, same spellings;
# ``list_jobs`` is the same name in both.
list_job_types = types
create_job = create
update_job = update
delete_job = delete
list_job_runs = runs
create_run_for_job = run_now
print_run_log = log
schedule_job = schedule

__all__ = (
    "access",
    "create_job",
    "create_run_for_job",
    "delete_job",
    "jobs",
    "list_job_runs",
    "list_job_types",
    "list_jobs",
    "parse_value",
    "pools",
    "print_run_log",
    "schedule_job",
    "update_job",
)
