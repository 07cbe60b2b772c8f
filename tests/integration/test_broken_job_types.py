# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A worker and a beat with a job type module that fails to import, for real.

Both processes start (``broken_plugin_app``); jobs of the broken and of a
removed job type create no runs, a run of a removed job type that was
already queued ends FAILED with the reason, and the other jobs run.
"""

import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity

from invenio_jobs.lifecycle import Dispatch
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.tasks import send_runs

APP = "broken_plugin_app"
NOT_REGISTERED = "Job type 'vanished' is not registered (was it removed or renamed?)"


def scheduled_job(database, task, seconds=1):
    """A job firing every ``seconds``, stored with ``task`` as its type; its id."""
    data = {
        "title": task,
        "task": "no_args",
        "schedule": {"type": "interval", "seconds": seconds},
        "allow_overlap": True,
    }
    job_id = uuid.UUID(current_jobs_service.create(system_identity, data).id)
    with database.engine.begin() as conn:
        conn.execute(sa.update(Job).where(Job.id == job_id).values(task=task))
    return job_id


def statuses(database, job_id):
    """The statuses of a job's runs."""
    with database.engine.connect() as conn:
        return conn.scalars(sa.select(Run.status).where(Run.job_id == job_id)).all()


def test_processes_start_and_run_the_others_despite_a_broken_module(
    app, database, start_worker, start_beat
):
    """Runs of working job types end SUCCESS; broken and removed ones get none."""
    worker = start_worker(app_module=APP)
    beat = start_beat(app_module=APP, max_interval=1)
    working = scheduled_job(database, "no_args")
    broken = scheduled_job(database, "mock_broken")
    vanished = scheduled_job(database, "vanished")
    wait_until(
        lambda: statuses(database, working).count(RunStatusEnum.SUCCESS) >= 2,
        timeout=60,
        message="two successful runs of the working job",
    )
    beat.stop()
    assert statuses(database, broken) == []
    assert statuses(database, vanished) == []
    now = datetime.now(timezone.utc)
    with database.engine.connect() as conn:
        next_runs = dict(
            conn.execute(
                sa.select(Job.id, Job.next_run_at).where(Job.id.in_([broken, vanished]))
            ).all()
        )
    assert all(
        t is not None and t > now - timedelta(seconds=5) for t in next_runs.values()
    )
    for process in (worker, beat):
        assert "mock_broken = mock_module.broken_jobs:BrokenJob" in process.log
        assert "invenio_jobs_tests_dependency_not_installed" in process.log
    assert beat.log.count("Job type 'vanished' is not registered") == 1


def test_a_queued_run_of_a_removed_job_type_fails_at_once(app, database, start_worker):
    """The worker ends it FAILED with the reason; no retry, no "worker lost"."""
    start_worker(app_module=APP)
    job_id = scheduled_job(database, "vanished", seconds=3600)
    run_id, task_id = uuid.uuid4(), str(uuid.uuid4())
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(Run).values(
                id=run_id,
                job_id=job_id,
                queue="celery",
                task_id=task_id,
                status=RunStatusEnum.QUEUED,
            )
        )
    assert send_runs([Dispatch(run_id, "celery", task_id)]) == [run_id]

    def ended():
        with database.engine.connect() as conn:
            row = conn.execute(
                sa.select(Run.status, Run.message, Run.finished_at).where(
                    Run.id == run_id
                )
            ).first()
        return (
            row if row.status is not RunStatusEnum.QUEUED and row.finished_at else None
        )

    status, message, finished_at = wait_until(ended, timeout=60, message="run ended")
    assert status is RunStatusEnum.FAILED
    assert message == NOT_REGISTERED
