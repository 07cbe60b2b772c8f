# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The metrics from the maintained totals equal the metrics read from every run.

The same runs are read both ways, the old (every run, kept in
``metrics_from_runs``) and the new (``jobs_run_total`` plus the runs not
ended yet), and every sample of the run families is compared: counts and
buckets exactly, sums of seconds to the last float digits (a float sum
depends on its order). Runs are inserted ended, end through the life
cycle's own statements (a worker's end, the reaper's, a stop), end twice,
are retried, change after their end and are rolled back.
"""

import random
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import count_queries, delete_jobs_and_runs, make_job, make_run, utc
from metrics_from_runs import assert_same_metrics as assert_same
from metrics_from_runs import read_both
from prometheus_client.parser import text_string_to_metric_families

from invenio_jobs.lifecycle import states
from invenio_jobs.models import Job, Run, RunStatusEnum, RunTotal, RunTotalChange
from invenio_jobs.run_totals import fill_totals, fold_changes
from invenio_jobs.tasks import prune_runs, reap_runs

Status = RunStatusEnum
BASE = utc(2026, 3, 1, 12)
TOKEN = "totals-scrape-token"


@pytest.fixture(autouse=True)
def empty_after(app, database):
    """Each test commits for real; it leaves no jobs, runs or totals behind."""
    app.config["JOBS_METRICS_TOKEN"] = TOKEN
    yield
    delete_jobs_and_runs(database)


def _jobs(session):
    """Three jobs, two of them of the same task."""
    return [
        make_job(session, title="Harvest", task="mock_no_args"),
        make_job(session, title="Harvest again", task="mock_no_args"),
        make_job(session, title="Export", task="mock_chatty"),
    ]


EDGES = [0, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400]
"""Seconds on every bucket bound, where a rounding would show."""


def _seconds(rng) -> float:
    """A duration or lag: on a bound, near one, or anywhere (sometimes < 0)."""
    pick = rng.random()
    if pick < 0.3:
        return float(rng.choice(EDGES))
    if pick < 0.5:
        return rng.choice(EDGES) + rng.choice((-1, 1)) * 0.000001
    if pick < 0.55:
        return -rng.uniform(0, 30)
    return round(rng.uniform(0, 100_000), 6)


def _times(rng) -> dict:
    """Fire time, start and end of a run, each sometimes missing."""
    scheduled = BASE + timedelta(seconds=rng.randrange(0, 86400 * 30))
    started = scheduled + timedelta(seconds=_seconds(rng))
    finished = started + timedelta(seconds=_seconds(rng))
    return {
        "scheduled_at": scheduled if rng.random() < 0.7 else None,
        "started_at": started if rng.random() < 0.9 else None,
        "finished_at": finished if rng.random() < 0.9 else None,
    }


def test_random_runs_and_changes_read_the_same(app, database):
    """Hundreds of runs inserted and changed at random: both readings agree."""
    session = database.session
    rng = random.Random(31)
    jobs = _jobs(session)
    runs = []
    for _ in range(300):
        job = rng.choice(jobs)
        parent = rng.choice(runs) if runs and rng.random() < 0.15 else None
        run = make_run(
            session,
            job,
            status=rng.choice(list(Status)),
            parent_run_id=parent,
            **_times(rng),
        )
        runs.append(run.id)
    session.commit()
    assert_same(session)

    for _ in range(400):
        values = {}
        change = rng.random()
        if change < 0.5:
            values["status"] = rng.choice(list(Status))
        elif change < 0.85:
            values.update(_times(rng))
        elif change < 0.95:
            values["job_id"] = rng.choice(jobs).id
        else:
            values["parent_run_id"] = rng.choice([None, rng.choice(runs)])
        session.execute(
            sa.update(Run).where(Run.id == rng.choice(runs)).values(**values)
        )
        if rng.random() < 0.01:  # the maintenance task folds now and then
            fold_changes(session.connection())
    session.commit()
    assert_same(session)
    fold_changes(session.connection())
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(RunTotalChange)) == 0
    assert_same(session)


def test_the_life_cycle_s_ends_read_the_same(app, database):
    """Claims, ends, retries, stops, the reaper's ends, ends twice: still equal."""
    session = database.session
    harvest, _, export = _jobs(session)
    now = BASE
    queued = [
        make_run(session, harvest, scheduled_at=now - timedelta(seconds=i))
        for i in range(6)
    ]
    subtask = make_run(session, export, parent_run_id=queued[0].id)
    session.commit()

    for run in queued:
        assert states.claim(run.id, "worker@a")
    assert states.claim(subtask.id, "worker@b")
    session.commit()
    before = assert_same(session)  # running runs' lags are read live

    assert states.finish(queued[0].id, Status.SUCCESS)
    assert states.finish(queued[1].id, Status.PARTIAL_SUCCESS)
    assert states.mark_lost(queued[2].id, now)
    # A retry goes back to the queue, and is claimed and ends later.
    assert states.transition(queued[3].id, Status.QUEUED, due_at=now)
    assert states.transition(queued[4].id, Status.CANCELLING)
    assert states.finish(subtask.id, Status.FAILED)
    session.commit()
    assert_same(session)

    # The worker and the reaper both end the same run: it counts once.
    assert not states.finish(queued[0].id, Status.FAILED)
    assert not states.mark_lost(queued[0].id, now)
    assert states.claim(queued[3].id, "worker@c")
    assert states.finish(queued[3].id, Status.SUCCESS)
    assert states.terminate(queued[4].id, 5)
    assert states.finish_many([queued[5].id], Status.FAILED, "gone") == 1
    session.commit()
    after = assert_same(session)
    success = (
        "invenio_jobs_runs_total",
        (("status", "success"), ("task", "mock_no_args")),
    )
    assert before.get(success) is None
    assert after[success] == 2

    # An ended run's end written again (a late worker's overwrite): moved, not added.
    session.execute(
        sa.update(Run)
        .where(Run.id == queued[0].id)
        .values(finished_at=now + timedelta(hours=2), status=Status.FAILED)
    )
    session.commit()
    assert_same(session)


def test_a_rolled_back_end_adds_nothing(app, database):
    """The totals change in the run's statement: a rollback takes both back."""
    session = database.session
    job = make_job(session, task="mock_no_args")
    run = make_run(session, job, status=Status.RUNNING, started_at=BASE)
    session.commit()
    assert states.finish(run.id, Status.SUCCESS)
    session.flush()
    assert session.scalar(sa.select(sa.func.sum(RunTotalChange.runs))) == 1
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(RunTotalChange)) == 0
    assert_same(session)


def test_pruned_runs_and_deleted_jobs_stay_counted(app, database):
    """Counters never go down: pruning runs (or deleting their job) keeps their totals.

    Pruning keeps each job's last success, so its gauge stays; the gauge of
    a deleted job goes with it.
    """
    session = database.session
    harvest, _, export = _jobs(session)
    for job in (harvest, export):
        for minutes in range(3):
            start = BASE + timedelta(minutes=minutes)
            make_run(
                session,
                job,
                status=Status.SUCCESS,
                started_at=start,
                finished_at=start + timedelta(seconds=20),
            )
    session.commit()
    before = assert_same(session)

    kept = app.config["JOBS_RUNS_RETENTION"]
    app.config["JOBS_RUNS_RETENTION"] = 1
    try:
        assert prune_runs()["runs"] == 4
    finally:
        app.config["JOBS_RUNS_RETENTION"] = kept
    session.execute(sa.delete(Job).where(Job.id == export.id))
    session.commit()
    old, new = read_both(session)
    runs = (
        "invenio_jobs_runs_total",
        (("status", "success"), ("task", "mock_no_args")),
    )
    assert old[runs] == 1  # today's reading fell with the pruned runs
    last_success = "invenio_jobs_last_success_timestamp_seconds"
    assert {k: v for k, v in new.items() if k[0] != last_success} == {
        k: v for k, v in before.items() if k[0] != last_success
    }
    shown = [k for k in new if k[0] == last_success]
    assert [dict(k[1])["job"] for k in shown] == ["Harvest"]
    assert new[shown[0]] == before[shown[0]]


def test_filling_the_totals_gives_the_runs_figures(app, database):
    """What the migration does on an upgraded instance: one pass fills them."""
    session = database.session
    rng = random.Random(7)
    jobs = _jobs(session)
    for _ in range(120):
        make_run(
            session, rng.choice(jobs), status=rng.choice(list(Status)), **_times(rng)
        )
    session.commit()
    session.execute(sa.delete(RunTotal))
    session.execute(sa.delete(RunTotalChange))
    session.commit()
    old, new = read_both(session)
    assert new != old
    with database.engine.begin() as connection:
        fill_totals(connection)
    assert_same(session)


def _scrape_statements(client, engine) -> list:
    with count_queries(engine) as statements:
        res = client.get("/jobs/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200, res.data
    return [s for s in statements if "jobs_" in s]


def test_a_scrape_sends_the_same_few_statements_at_any_number_of_runs(
    app, database, client
):
    """Five statements, none reading the ended runs, for 10 runs or for 400."""
    session = database.session
    job = make_job(session, task="mock_no_args")

    def add_runs(count):
        session.execute(
            sa.insert(Run),
            [
                {
                    "id": uuid.uuid4(),
                    "job_id": job.id,
                    "queue": "celery",
                    "status": Status.SUCCESS,
                    "started_at": BASE,
                    "finished_at": BASE + timedelta(seconds=i % 90),
                }
                for i in range(count)
            ],
        )
        session.commit()

    add_runs(10)
    few = _scrape_statements(client, database.engine)
    add_runs(390)
    many = _scrape_statements(client, database.engine)
    assert len(few) == len(many) == 5
    runs_read = [s for s in many if "jobs_run " in s or "jobs_run\n" in s]
    assert len(runs_read) == 2  # the live part and the queued/running counts
    for statement in runs_read:
        assert "status IN" in statement or "status in" in statement.lower()
    text = client.get(
        "/jobs/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    ).get_data(as_text=True)
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    key = ("invenio_jobs_runs_total", (("status", "success"), ("task", "mock_no_args")))
    assert found[key] == 400


def test_a_totals_table_made_over_kept_runs_counts_them(app, database):
    """``create_all`` over an older database (the demo's) fills the new totals.

    Dropping the table takes its triggers along; making it again makes them
    and counts the runs already kept, and the next end is counted too.
    """
    session = database.session
    rng = random.Random(3)
    jobs = _jobs(session)
    for _ in range(60):
        make_run(
            session, rng.choice(jobs), status=rng.choice(list(Status)), **_times(rng)
        )
    running = make_run(session, jobs[0], status=Status.RUNNING, started_at=BASE).id
    later = jobs[1].id
    session.commit()
    session.remove()
    RunTotalChange.__table__.drop(database.engine)
    RunTotal.__table__.drop(database.engine)
    try:
        assert states.finish(running, Status.SUCCESS)  # nothing keeps totals
        session.commit()
    finally:
        database.create_all()
    assert_same(session)
    late = make_run(
        session, session.get(Job, later), status=Status.RUNNING, started_at=BASE
    )
    session.commit()
    assert states.finish(late.id, Status.FAILED)
    session.commit()
    assert_same(session)


def test_the_maintenance_task_folds_the_changes(app, database):
    """Each pass folds the ends since the last one; the figures stay the same."""
    session = database.session
    job = make_job(session, task="mock_no_args")
    for i in range(5):
        run = make_run(session, job, status=Status.RUNNING, started_at=BASE)
        assert states.finish(run.id, Status.SUCCESS if i else Status.FAILED)
    session.commit()
    before = assert_same(session)
    changes = sa.select(sa.func.count()).select_from(RunTotalChange)
    assert session.scalar(changes) == 5

    reap_runs()
    session.expire_all()
    assert session.scalar(changes) == 0
    folded = {
        total.status: total.runs for total in session.scalars(sa.select(RunTotal))
    }
    assert folded == {Status.SUCCESS: 4, Status.FAILED: 1}
    assert assert_same(session) == before
