# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's whole life in real worker processes: stop, crashes, lost messages.

Each test starts its own Celery worker process against Redis and
PostgreSQL. The maintenance task ``reap_runs`` is called from the test
process, standing for the periodic one that beat sends.
"""

import time
import uuid

import pytest
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from kombu.exceptions import OperationalError

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.tasks import execute_run, reap_runs

STALE = 3
GRACE = 3
WORKER_SETTINGS = dict(
    JOBS_HEARTBEAT_SECONDS=1,
    JOBS_STOP_GRACE_SECONDS=GRACE,
    JOBS_PROGRESS_INTERVAL_SECONDS=0.2,
    JOBS_RETRY_BACKOFF_SECONDS=1,
)


@pytest.fixture(scope="module")
def app_config(app_config):
    """Short maintenance delays, so that the tests take seconds."""
    app_config.update(
        JOBS_STALE_AFTER_SECONDS=STALE,
        JOBS_REDISPATCH_AFTER_SECONDS=2,
        JOBS_SEND_RETRY_SECONDS=1,
        JOBS_STOP_GRACE_SECONDS=GRACE,
    )
    return app_config


def run_of(run_id) -> Run:
    """The run as stored now (a fresh session each time)."""
    db.session.remove()
    return db.session.get(Run, uuid.UUID(str(run_id)))


def wait_status(run_id, *statuses, timeout=30):
    """Wait until the run is in one of the statuses; return it."""
    return wait_until(
        lambda: (run := run_of(run_id)).status in statuses and run,
        timeout=timeout,
        message=f"run in {[s.name for s in statuses]}",
    )


def new_job(**overrides) -> str:
    """A controlled job; returns its id."""
    data = {"title": "Controlled", "task": "mock_controlled", "run_args": {}}
    data.update(overrides)
    return current_jobs_service.create(system_identity, data).id


def run_now(job_id, **args) -> str:
    """Start a run; returns its id."""
    return current_runs_service.create(system_identity, job_id, {"args": args}).id


def lines(path):
    """Executions recorded by the controlled task."""
    return path.read_text().splitlines() if path.exists() else []


def test_since_is_the_last_success_in_a_worker(app, start_worker, tmp_path):
    """The second run continues from the first run's start."""
    start_worker(**WORKER_SETTINGS)
    marker = tmp_path / "marker"
    job_id = new_job()
    first = run_now(job_id, marker=str(marker))
    first_start = wait_status(first, RunStatusEnum.SUCCESS).started_at
    second = run_now(job_id, marker=str(marker))
    wait_status(second, RunStatusEnum.SUCCESS)
    assert lines(marker)[1].split()[0] == first_start.isoformat()


def test_progress_and_stop_of_a_running_run(app, start_worker):
    """A running run reports progress, and stops as CANCELLED within the grace."""
    start_worker(**WORKER_SETTINGS)
    run_id = run_now(new_job(), sleep=60, steps=600)
    wait_until(lambda: run_of(run_id).inserted_entries >= 5, message="progress visible")
    assert run_of(run_id).total_entries == 600
    job_id = str(run_of(run_id).job_id)
    asked = time.monotonic()
    stopped = current_runs_service.stop(system_identity, job_id, run_id)
    assert stopped.data["status"] == "CANCELLING"
    run = wait_status(run_id, RunStatusEnum.CANCELLED, timeout=GRACE + 5)
    assert time.monotonic() - asked <= GRACE + 2
    assert run.message == "Stopped by an administrator."
    assert run.inserted_entries < 600


def test_a_run_that_ignores_stop_is_terminated(app, start_worker, tmp_path):
    """A task that never checks is terminated after the grace, and the worker goes on."""
    worker = start_worker(**WORKER_SETTINGS)
    job_id = new_job()
    run_id = run_now(job_id, sleep=120, steps=1)
    wait_status(run_id, RunStatusEnum.RUNNING)
    current_runs_service.stop(system_identity, job_id, run_id)

    def reaped():
        reap_runs.apply()
        return run_of(run_id).status is RunStatusEnum.CANCELLED

    wait_until(reaped, timeout=GRACE + 10, interval=0.5, message="terminated")
    assert run_of(run_id).message.startswith("Terminated")
    wait_until(lambda: "Terminating" in worker.log or "terminat" in worker.log.lower())
    marker = tmp_path / "after"
    after = run_now(job_id, marker=str(marker))
    wait_status(after, RunStatusEnum.SUCCESS)


def test_a_killed_worker_is_found_by_the_reaper(app, start_worker):
    """SIGKILL in the middle of a run: FAILED "Worker lost" within the stale time."""
    worker = start_worker(**WORKER_SETTINGS)
    run_id = run_now(new_job(), sleep=120, steps=1200)
    first = wait_status(run_id, RunStatusEnum.RUNNING).heartbeat_at
    wait_until(lambda: run_of(run_id).heartbeat_at > first, message="heartbeat")
    worker.kill()
    killed = time.monotonic()

    def reaped():
        reap_runs.apply()
        return run_of(run_id).status is RunStatusEnum.FAILED

    wait_until(reaped, timeout=STALE + 10, interval=0.5, message="reaped")
    assert time.monotonic() - killed <= STALE + 1 + 0.5 + 2  # beat, reaper, slack
    assert run_of(run_id).message.startswith("Worker lost")


def test_a_lost_message_is_sent_again_and_runs_once(
    app, start_worker, tmp_path, monkeypatch
):
    """Broker down when the run was created: re-sent later, completed once."""
    marker = tmp_path / "marker"
    job_id = new_job()

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to broker: Connection refused.")

    monkeypatch.setattr(execute_run, "apply_async", broker_down)
    run_id = run_now(job_id, marker=str(marker))
    monkeypatch.undo()
    run = run_of(run_id)
    assert run.status is RunStatusEnum.QUEUED
    assert run.dispatched_at is None  # it waits in the database, due again soon
    assert run.due_at is not None

    start_worker(**WORKER_SETTINGS)
    time.sleep(1.5)
    reaped = reap_runs.apply().get()
    assert (reaped["due"], reaped["resent"]) == (1, 0)
    wait_status(run_id, RunStatusEnum.SUCCESS)
    assert reap_runs.apply().get()["due"] == 0
    time.sleep(1)
    assert len(lines(marker)) == 1


def test_the_same_run_delivered_twice_runs_once(app, start_worker, tmp_path):
    """Two messages for one run: the second finds it claimed and does nothing."""
    marker = tmp_path / "marker"
    run_id = run_now(new_job(), marker=str(marker), sleep=1, steps=1)
    execute_run.apply_async(args=(run_id, None), queue="celery")
    worker = start_worker(**WORKER_SETTINGS)
    wait_status(run_id, RunStatusEnum.SUCCESS)
    wait_until(lambda: "not queued any more" in worker.log, message="skipped")
    assert len(lines(marker)) == 1


def test_timeout_in_a_worker(app, start_worker):
    """A task that overruns the job's timeout is stopped by the soft time limit."""
    start_worker(**WORKER_SETTINGS)
    run_id = run_now(new_job(timeout=2), sleep=30, steps=1)
    run = wait_status(run_id, RunStatusEnum.FAILED, timeout=15)
    assert run.message == "Timed out after 2 s."


def test_retries_with_back_off_in_a_worker(app, start_worker, start_beat, tmp_path):
    """Attempts 1 and 2 fail, 3 succeeds; waits of 1 s then 2 s between them.

    Each retry waits in the database and the beat sends it when it is due.
    """
    start_worker(**WORKER_SETTINGS)
    start_beat(JOBS_SCHEDULER_MAX_INTERVAL=0.5)
    marker = tmp_path / "marker"
    run_id = run_now(new_job(max_retries=2), flaky=2, marker=str(marker))
    run = wait_status(run_id, RunStatusEnum.SUCCESS, timeout=30)
    assert run.attempt == 3
    times = [float(line.split()[1]) for line in lines(marker)]
    assert len(times) == 3
    assert times[1] - times[0] >= 1
    assert times[2] - times[1] >= 2


def test_subtasks_in_workers(app, start_worker):
    """A fanned-out run ends when its subtasks, run by workers, end."""
    start_worker(concurrency=3, **WORKER_SETTINGS)
    job_id = new_job(task="mock_fan_out")
    run_id = run_now(job_id, children=4, fail_child=2)
    run = wait_status(run_id, RunStatusEnum.PARTIAL_SUCCESS, timeout=30)
    assert (run.total_subtasks, run.completed_subtasks, run.failed_subtasks) == (
        4,
        4,
        1,
    )
