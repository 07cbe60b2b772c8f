# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The lost-message scenarios, played on whichever broker the module gives.

Each starts real worker and beat processes, kills one of them at the worst
moment, and checks that every run reaches its true end within the bound
the README gives, its body run once.
"""

import time
import uuid
from datetime import timedelta

import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

UNSENT_AFTER = 2
REDISPATCH_AFTER = 4
MAINTENANCE_INTERVAL = 2

SETTINGS = dict(
    JOBS_UNSENT_AFTER_SECONDS=UNSENT_AFTER,
    JOBS_REDISPATCH_AFTER_SECONDS=REDISPATCH_AFTER,
    JOBS_MAINTENANCE_INTERVAL=MAINTENANCE_INTERVAL,
    JOBS_SCHEDULER_MAX_INTERVAL=0.5,
    JOBS_HEARTBEAT_SECONDS=1,
    JOBS_STALE_AFTER_SECONDS=4,
)
"""The settings of every process of a scenario (and of the test's app)."""

BOUND = REDISPATCH_AFTER + 2 * MAINTENANCE_INTERVAL
"""The README's bound: a run whose message was lost starts within
``JOBS_REDISPATCH_AFTER_SECONDS`` plus two maintenance intervals of the loss."""

SLACK = 4
"""What two busy cores add to a bound: process wake-ups, a worker's poll."""


def runs_of(job_ids) -> list:
    """The runs of these jobs, as stored now."""
    db.session.remove()
    return db.session.scalars(sa.select(Run).where(Run.job_id.in_(job_ids))).all()


def executions(marker) -> int:
    """Task bodies run, over every worker process (one marker line each)."""
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def controlled_job(title, marker, **values) -> uuid.UUID:
    """A job whose runs append a line to ``marker`` each time their body runs."""
    data = {
        "title": title,
        "task": "mock_controlled",
        "run_args": {"marker": str(marker)},
        **values,
    }
    return uuid.UUID(current_jobs_service.create(system_identity, data).id)


def beat_killed_between_commit_and_send(
    start_worker, start_beat, tmp_path, monkeypatch, kills=3
):
    """A beat dies after committing runs, before sending them, ``kills`` times.

    Six jobs fire every two seconds, so that the queue is never idle; a
    healthy beat runs throughout. Every run the dying beats committed
    starts once, within the lease plus the bound.
    """
    killed_file = tmp_path / "killed-runs"
    monkeypatch.setenv("JOBS_TEST_KILLED_RUNS", str(killed_file))
    marker = tmp_path / "marker"
    start_worker(concurrency=2, **SETTINGS)
    start_beat(**SETTINGS)
    every_two_seconds = {"type": "interval", "seconds": 2}
    job_ids = [
        controlled_job(f"Busy {n}", marker, schedule=every_two_seconds)
        for n in range(6)
    ]
    for _ in range(kills):
        dying = start_beat(app_module="beat_dies_before_sending", **SETTINGS)
        wait_until(
            lambda: dying.popen.poll() is not None,
            timeout=60,
            message="the beat was killed before sending",
        )
        assert dying.popen.returncode == -9, dying.log[-3000:]
    for job_id in job_ids:
        current_jobs_service.update(
            system_identity, str(job_id), {"active": False, "schedule": None}
        )
    killed = {uuid.UUID(line) for line in killed_file.read_text().split()}
    assert len(killed) >= kills

    def all_ended():
        runs = runs_of(job_ids)
        return all(run.status in RunStatusEnum.finished() for run in runs) and runs

    runs = wait_until(all_ended, timeout=120, interval=1, message="every run ended")
    by_id = {run.id: run for run in runs}
    assert killed <= set(by_id)
    for run_id in killed:
        run = by_id[run_id]
        assert run.status is RunStatusEnum.SUCCESS, (run.status, run.message)
        waited = run.started_at - run.created
        assert waited <= timedelta(seconds=UNSENT_AFTER + BOUND + SLACK), waited
    assert {run.status for run in runs} == {RunStatusEnum.SUCCESS}
    # Each run's body ran once: as many executions as runs.
    assert executions(marker) == len(runs)
    return runs


def worker_killed_holding_prefetched_runs(start_worker, start_beat, tmp_path):
    """The only worker of a queue dies holding runs; a fresh one takes over.

    20 short runs wait on one queue; its worker (two processes, each
    prefetching) is SIGKILLed once two have started. The runs it was
    running end FAILED (its worker was lost); every other run ends
    SUCCESS within the bound of the kill, and no body runs twice. Returns
    the runs and the worker that ran the maintenance task.
    """
    marker = tmp_path / "marker"
    maintenance = start_worker(concurrency=1, queues="celery", **SETTINGS)
    start_beat(**SETTINGS)
    victim = start_worker(concurrency=2, queues="low", **SETTINGS)
    job_id = controlled_job("Short runs", marker, default_queue="low")
    for _ in range(20):
        current_runs_service.create(
            system_identity, str(job_id), {"args": {"marker": str(marker), "sleep": 1}}
        )

    def two_started():
        return sum(run.started_at is not None for run in runs_of([job_id])) >= 2

    wait_until(two_started, timeout=60, message="two runs started")
    victim.kill()
    killed_at = time.time()
    running_at_kill = {
        run.id for run in runs_of([job_id]) if run.status is RunStatusEnum.RUNNING
    }
    start_worker(concurrency=2, queues="low", **SETTINGS)

    def all_ended():
        runs = runs_of([job_id])
        return all(run.status in RunStatusEnum.finished() for run in runs) and runs

    runs = wait_until(all_ended, timeout=120, interval=1, message="every run ended")
    # The fresh worker runs up to 20 one-second runs two at a time.
    work = 20 * 1 / 2
    for run in runs:
        ended_after = run.finished_at.timestamp() - killed_at
        assert ended_after <= BOUND + work + SLACK, (run.status, ended_after)
        if run.id in running_at_kill:
            assert run.status is RunStatusEnum.FAILED
            assert run.message.startswith("Worker lost")
        else:
            assert run.status is RunStatusEnum.SUCCESS, (run.status, run.message)
    # No body ran twice: one execution per run that started.
    assert executions(marker) == sum(run.started_at is not None for run in runs)
    return runs, maintenance
