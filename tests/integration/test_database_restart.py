# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A restart or outage of PostgreSQL loses no run's outcome.

The module runs on a PostgreSQL cluster of its own, which the tests restart
and stop under a real worker and beat: the run ends with what its task
reached, the processes recover without a restart and log one line per
outage, and the API answers 503 (with ``Retry-After``) while the database
is away and 200 after.
"""

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from conftest import module_server, wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from own_services import PostgresCluster

from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.tasks import reap_runs

SETTINGS = dict(
    JOBS_HEARTBEAT_SECONDS=1,
    JOBS_STALE_AFTER_SECONDS=20,
    JOBS_MAINTENANCE_INTERVAL=2,
    JOBS_OUTCOME_WRITE_SECONDS=15,
)
UNREACHABLE = "the database is unreachable"


cluster = module_server(PostgresCluster)


@pytest.fixture(scope="module")
def db_uri(cluster):
    """The app, its worker and its beat use the module's cluster."""
    yield cluster.url


@pytest.fixture(autouse=True)
def cluster_running(cluster):
    """Whatever a test did, the next one finds the database up."""
    yield
    if not cluster.is_running():
        cluster.start()


def fresh_session():
    """Drop the test's session; its connection may have died in a restart."""
    try:
        db.session.remove()
    except sa.exc.OperationalError:
        db.session.remove()  # the dead connection is invalidated by now


def run_of(run_id) -> Run:
    """The run as stored now (a fresh session each time)."""
    fresh_session()
    return db.session.get(Run, uuid.UUID(str(run_id)))


def wait_status(run_id, status, timeout=60):
    """Wait until the run has ``status``; return it."""
    return wait_until(
        lambda: (run := run_of(run_id)).status is status and run,
        timeout=timeout,
        message=f"run {status.name}",
    )


def run_now(**args) -> str:
    """A run of a new controlled job, started now; its id."""
    job_id = current_jobs_service.create(
        system_identity,
        {"title": "Sleeper", "task": "mock_controlled", "run_args": {}},
    ).id
    return current_runs_service.create(system_identity, job_id, {"args": args}).id


def test_a_restart_during_the_task_keeps_its_outcome(cluster, start_worker):
    """PostgreSQL restarts while the task sleeps: the run ends SUCCESS."""
    worker = start_worker(**SETTINGS)
    run_id = run_now(sleep=6, steps=1)
    wait_status(run_id, RunStatusEnum.RUNNING)
    cluster.restart()
    restarted = time.time()
    run = wait_status(run_id, RunStatusEnum.SUCCESS, timeout=40)
    assert run.message is None
    # The heartbeat went on after the restart, on a new connection.
    assert run.heartbeat_at.timestamp() > restarted
    assert "Worker lost" not in worker.log

    # The same worker runs the next run without being restarted.
    assert wait_status(run_now(), RunStatusEnum.SUCCESS).message is None


def test_an_outage_when_the_task_ends(cluster, start_worker, start_beat, admin_client):
    """The task ends while the database is down: its outcome is written after.

    Meanwhile the API answers 503 with Retry-After; the worker and the beat
    each log one line for the outage, and the beat's scheduled runs resume.
    """
    worker = start_worker(**SETTINGS)
    beat = start_beat(JOBS_SCHEDULER_MAX_INTERVAL=0.5, **SETTINGS)
    ticking = current_jobs_service.create(
        system_identity,
        {
            "title": "Every second",
            "task": "mock_controlled",
            "default_queue": "low",  # no worker takes it: the runs pile up
            "allow_overlap": True,
            "schedule": {"type": "interval", "seconds": 1},
        },
    ).id

    def scheduled_runs():
        fresh_session()
        return db.session.query(Run).filter(Run.job_id == uuid.UUID(ticking)).count()

    wait_until(lambda: scheduled_runs() >= 1, message="the beat at work")
    run_id = run_now(sleep=3, steps=1)
    wait_status(run_id, RunStatusEnum.RUNNING)

    cluster.stop()
    stopped = time.monotonic()
    answer = admin_client.get("/jobs")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json["status"] == 503
    assert "database" in answer.json["message"]
    time.sleep(max(0.0, stopped + 8 - time.monotonic()))  # the task ends meanwhile
    cluster.start()

    run = wait_status(run_id, RunStatusEnum.SUCCESS, timeout=40)
    assert run.message is None
    assert admin_client.get("/jobs").status_code == 200

    before = scheduled_runs()
    wait_until(lambda: scheduled_runs() >= before + 2, message="fires resume")
    assert db.session.get(Job, uuid.UUID(ticking)).next_run_at is not None

    # One line per outage and per part: the task's worker process, the
    # maintenance tasks (in each pool process that ran one), the beat.
    assert beat.log.count(f"Job scheduler: {UNREACHABLE}") == 1, beat.log[-3000:]
    assert worker.log.count(f"Worker: {UNREACHABLE}") == 1, worker.log[-3000:]
    assert worker.log.count(f"Maintenance task: {UNREACHABLE}") <= 2
    for process in (worker, beat):
        assert "reachable again" in process.log
        assert "Traceback" not in process.log, process.log[-3000:]


def test_an_outage_longer_than_the_stale_time(cluster, start_worker):
    """Past the stale time the reaper decides, and says the database was lost."""
    worker = start_worker(
        **{**SETTINGS, "JOBS_OUTCOME_WRITE_SECONDS": 3, "JOBS_MAINTENANCE_INTERVAL": 60}
    )
    run_id = run_now(sleep=2, steps=1)
    wait_status(run_id, RunStatusEnum.RUNNING)
    cluster.stop()
    time.sleep(10)  # the task ends, the worker gives up writing its outcome
    cluster.start()
    worker.wait_for_log("could not be ended", timeout=30)

    # Its last heartbeat is now older than the stale time.
    assert run_of(run_id).status is RunStatusEnum.RUNNING
    db.session.query(Run).filter(Run.id == uuid.UUID(run_id)).update(
        {Run.heartbeat_at: datetime.now(timezone.utc) - timedelta(hours=1)}
    )
    db.session.commit()
    assert reap_runs.apply().get()["lost"] == 1
    run = run_of(run_id)
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("Lost its database: the worker is alive")
