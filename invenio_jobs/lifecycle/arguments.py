# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What a run's task receives: its arguments through its job type's hook."""

from ..jobs import build_default_arguments, has_base_hook
from ..models import Job, Run, RunStatusEnum
from ..proxies import current_jobs
from .states import SINCE_UNKNOWN

Status = RunStatusEnum


def task_arguments(job: Job, run: Run, since=SINCE_UNKNOWN) -> dict:
    """The task's keyword arguments: the run's arguments through the job type.

    The job type's ``_build_task_arguments`` hook receives ``since`` as the
    administrator gave it (None: the hook defaults it to the start of the
    job's last successful run), the arguments the job type declares and the
    run's ``custom_args``; never the form's own markers. ``since`` read with
    the claim (:func:`claim_and_read`) saves the base hook its query.
    """
    job_type = current_jobs.registry.get(job.task)
    if since is SINCE_UNKNOWN or not has_base_hook(job_type):
        return build_default_arguments(job_type, job, run.args)
    return build_default_arguments(job_type, job, run.args, since, since_known=True)
