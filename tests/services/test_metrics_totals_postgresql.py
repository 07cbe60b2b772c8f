# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The run totals on PostgreSQL: the same comparisons, and ends that race.

Workers end runs on connections of their own, at the same time: each end
adds to its job's row under the row's lock, so none is lost, and a run
that two processes end at once (a worker and the reaper) counts once.
"""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import make_job, make_run
from test_metrics_totals import *  # noqa: F401,F403 -- the same tests
from test_metrics_totals import BASE, Status, assert_same

from invenio_jobs.lifecycle import states
from invenio_jobs.models import RunTotal, RunTotalChange
from invenio_jobs.run_totals import fold_changes

pytestmark = pytest.mark.postgresql

WORKERS = 8
"""Threads ending runs at once, each on its own connection."""


def _at_once(engine, work):
    """Run ``work(connection, i)`` in threads released together; commit each."""
    start = threading.Barrier(WORKERS)
    errors = []

    def one(i):
        try:
            with engine.connect() as connection:
                start.wait()
                work(connection, i)
                connection.commit()
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _running_runs(session, count):
    job = make_job(session, task="mock_no_args")
    runs = [
        make_run(
            session,
            job,
            status=Status.RUNNING,
            started_at=BASE + timedelta(seconds=i),
            scheduled_at=BASE - timedelta(minutes=i),
        ).id
        for i in range(count)
    ]
    session.commit()
    return job, runs


def test_workers_ending_runs_at_once_lose_no_end(app, database):
    """Eight connections end forty runs of one job at once: forty counted."""
    session = database.session
    job, runs = _running_runs(session, WORKERS * 5)

    def end_five(connection, i):
        for run_id in runs[i * 5 : (i + 1) * 5]:
            assert states.finish(run_id, Status.SUCCESS, connection=connection)
            connection.commit()

    _at_once(database.engine, end_five)
    assert_same(session)
    fold_changes(session.connection())
    session.commit()
    total = session.get(RunTotal, (job.id, Status.SUCCESS))
    assert total.runs == total.duration_count == total.lag_count == WORKERS * 5
    assert_same(session)


def test_a_run_ended_by_several_at_once_counts_once(app, database):
    """A worker's end and the reapers' race on one run: one of them moves it."""
    session = database.session
    job, (run_id,) = _running_runs(session, 1)
    moved = []

    def end(connection, i):
        status = Status.SUCCESS if i % 2 else Status.FAILED
        moved.append(states.finish(run_id, status, connection=connection))

    _at_once(database.engine, end)
    assert sum(moved) == 1
    session.expire_all()
    counted = session.scalar(
        sa.select(sa.func.sum(RunTotalChange.runs)).where(
            RunTotalChange.job_id == job.id
        )
    )
    assert counted == 1
    assert_same(session)


def test_folds_at_once_with_ends_fold_each_change_once(app, database):
    """Maintenance passes of several beats fold while workers end runs.

    Each change is added once: a fold deletes what it adds, and another
    fold at the same time waits for those rows and finds them gone.
    """
    session = database.session
    _, runs = _running_runs(session, WORKERS * 10)

    def end_or_fold(connection, i):
        if i % 2:
            for _ in range(10):
                fold_changes(connection)
                connection.commit()
            return
        for run_id in runs[i * 10 : (i + 1) * 10] + runs[(i + 1) * 10 : (i + 2) * 10]:
            assert states.finish(run_id, Status.SUCCESS, connection=connection)
            connection.commit()

    _at_once(database.engine, end_or_fold)
    fold_changes(session.connection())
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(RunTotalChange)) == 0
    assert session.scalar(sa.select(sa.func.sum(RunTotal.runs))) == WORKERS * 10
    assert_same(session)
