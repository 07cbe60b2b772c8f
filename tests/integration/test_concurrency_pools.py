# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Concurrency pools with real beat and worker processes, PostgreSQL and Redis.

The worker has more processes than the pool has slots, so only the pool
can hold the runs back; a sampler in the test reads how many runs are
RUNNING, many times a second, for the whole test.
"""

import threading
import uuid

import pytest
import sqlalchemy as sa
from conftest import module_settings, wait_until
from flask import current_app
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Pool, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

SETTINGS = dict(
    JOBS_SCHEDULER_MAX_INTERVAL=1,
    JOBS_MAINTENANCE_INTERVAL=1,
    JOBS_HEARTBEAT_SECONDS=1,
    JOBS_STALE_AFTER_SECONDS=3,
    JOBS_UNSENT_AFTER_SECONDS=5,
    JOBS_REDISPATCH_AFTER_SECONDS=30,
)

app_config = module_settings(SETTINGS)

S = RunStatusEnum


def pools_service():
    """The pools service of the app."""
    return current_app.extensions["invenio-jobs"].pools_service


def new_job(title, pool):
    """A controlled job in ``pool``; its id."""
    data = {"title": title, "task": "mock_controlled", "run_args": {}, "pool": pool}
    return current_jobs_service.create(system_identity, data).id


def run_now(job_id, **args):
    """Start a run as an administrator would; its id."""
    return current_runs_service.create(system_identity, job_id, {"args": args}).id


def runs_of(run_ids) -> list:
    """The runs as stored now, in the order given."""
    db.session.remove()
    found = {
        run.id: run
        for run in db.session.scalars(
            sa.select(Run).where(Run.id.in_([uuid.UUID(str(r)) for r in run_ids]))
        )
    }
    return [found[uuid.UUID(str(run_id))] for run_id in run_ids]


class RunningSampler(threading.Thread):
    """Counts the RUNNING runs of some jobs, every 20 ms, until stopped."""

    def __init__(self, app, job_ids):
        """Sample these jobs' runs."""
        super().__init__(daemon=True)
        self.app = app
        self.job_ids = [uuid.UUID(str(job_id)) for job_id in job_ids]
        self.samples = []
        self.done = threading.Event()

    def run(self):
        """Sample on a connection of its own."""
        query = (
            sa.select(sa.func.count())
            .select_from(Run)
            .where(
                Run.job_id.in_(self.job_ids),
                Run.status.in_([S.RUNNING, S.CANCELLING]),
            )
        )
        with self.app.app_context():
            with db.engine.connect() as connection:
                while not self.done.wait(0.02):
                    self.samples.append(connection.scalar(query))
                    connection.rollback()

    def stop(self) -> list:
        """Stop sampling; the samples."""
        self.done.set()
        self.join(10)
        return self.samples


@pytest.fixture()
def harvest(app):
    """The pool ``harvest`` of two slots; deleted with the jobs afterwards."""
    pools_service().create(system_identity, {"name": "harvest", "slots": 2})
    yield "harvest"
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.delete(Run.__table__))
        connection.execute(sa.text("DELETE FROM jobs_job"))
        connection.execute(sa.delete(Pool.__table__))


def test_two_slots_six_runs_of_three_jobs(app, harvest, start_worker, start_beat):
    """Never more than 2 RUNNING; all 6 succeed, admitted in the order they came."""
    start_worker(concurrency=4, **SETTINGS)
    start_beat(**SETTINGS)
    jobs = [new_job(f"harvest {n}", harvest) for n in range(3)]
    sampler = RunningSampler(app, jobs)
    sampler.start()
    run_ids = [run_now(jobs[n % 3], sleep=1.5, steps=3) for n in range(6)]

    wait_until(
        lambda: all(run.status is S.SUCCESS for run in runs_of(run_ids)),
        timeout=60,
        message="all six runs ended SUCCESS",
    )
    samples = sampler.stop()

    assert max(samples) == 2  # the pool was used to the full, never beyond
    runs = runs_of(run_ids)
    assert [run.status for run in runs] == [S.SUCCESS] * 6
    assert all(run.slot_pool == harvest for run in runs)
    sent = [run.dispatched_at for run in runs]
    assert sent == sorted(sent)  # first come, first served
    # With two slots, the k-th run (k >= 3) starts after k - 2 runs ended.
    ends = sorted(run.finished_at for run in runs)
    for place, run in enumerate(runs[2:], start=2):
        assert run.started_at >= ends[place - 2]


def test_a_killed_worker_does_not_keep_its_slot(app, harvest, start_worker, start_beat):
    """SIGKILL while holding a slot: the reaper ends the run, the next one starts."""
    pools_service().update(system_identity, harvest, {"slots": 1})
    worker = start_worker(concurrency=2, **SETTINGS)
    start_beat(**SETTINGS)
    job = new_job("harvest", harvest)
    held, waiting = run_now(job, sleep=120, steps=1), run_now(job, sleep=0.2)

    wait_until(
        lambda: runs_of([held])[0].status is S.RUNNING, message="first run running"
    )
    waits = current_runs_service.read(system_identity, job, waiting).data
    assert waits["status"] == "QUEUED"
    assert waits["pool_wait"]["text"] == "waiting for pool harvest (1 of 1 busy)"
    assert runs_of([waiting])[0].dispatched_at is None  # not on the broker
    worker.kill()
    start_worker(concurrency=2, **SETTINGS)

    wait_until(
        lambda: runs_of([waiting])[0].status is S.SUCCESS,
        timeout=60,
        message="the waiting run ran after the reaper freed the slot",
    )
    lost = runs_of([held])[0]
    assert lost.status is S.FAILED
    assert lost.message.startswith("Worker lost")
    assert runs_of([waiting])[0].started_at >= lost.finished_at
    pool = pools_service().read(system_identity, harvest).data
    assert pool["busy"] == 0
    assert pool["waiting"] == 0
