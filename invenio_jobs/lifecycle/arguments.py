# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What a run's task receives: its arguments through its job type's hook."""

import sqlalchemy as sa
from invenio_db import db

from ..jobs import (
    PredecessorRun,
    asks_for_predecessor,
    build_default_arguments,
    has_base_hook,
)
from ..models import Job, Run, RunStatusEnum, last_success_order, last_success_where
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
    extra = {}
    if run.after_run_id is not None and asks_for_predecessor(job_type):
        extra["predecessor"] = predecessor_of(run.after_run_id)
    if since is SINCE_UNKNOWN or not has_base_hook(job_type):
        return build_default_arguments(job_type, job, run.args, **extra)
    return build_default_arguments(
        job_type, job, run.args, since, since_known=True, **extra
    )


def predecessor_of(run_id) -> PredecessorRun | None:
    """The run whose end started a run, as its job type receives it; None if deleted."""
    runs = Run.__table__
    row = db.session.execute(
        sa.select(
            runs.c.id,
            runs.c.job_id,
            runs.c.number,
            runs.c.status,
            runs.c.args,
            runs.c.started_at,
            runs.c.finished_at,
        ).where(runs.c.id == run_id)
    ).first()
    if row is None:
        return None
    args = row.args or {}
    since = args.get("since")
    if since is None and row.started_at is not None:
        since = db.session.scalar(
            sa.select(runs.c.started_at)
            .where(
                runs.c.job_id == row.job_id,
                runs.c.started_at < row.started_at,
                *last_success_where(runs.c),
            )
            .order_by(*last_success_order(runs.c))
            .limit(1)
        )
    return PredecessorRun(
        id=row.id,
        job_id=row.job_id,
        number=row.number,
        status=row.status.name,
        args=args,
        since=since,
        finished_at=row.finished_at,
    )
