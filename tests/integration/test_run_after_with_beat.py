# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs that run after other jobs, with real beat and worker processes.

A → B → C run in order, once each per end of A; "all of" waits for every
job; a cycle is refused; beats at once and a killed worker neither
duplicate nor lose a run started by an end; a job type that asks for the
run it follows receives it.
"""

import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import module_settings, wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from marshmallow import ValidationError

from invenio_jobs.models import Run, RunStatusEnum, RunTrigger
from invenio_jobs.proxies import current_jobs_service, current_runs_service

Status = RunStatusEnum

STALE = 3
SETTINGS = dict(
    JOBS_STALE_AFTER_SECONDS=STALE,
    JOBS_HEARTBEAT_SECONDS=1,
    JOBS_MAINTENANCE_INTERVAL=1,
)
app_config = module_settings(SETTINGS)


@pytest.fixture(scope="module")
def extra_entry_points():
    """The test job types and the one that asks for its predecessor."""
    from follower_app import ENTRY_POINTS

    return ENTRY_POINTS


def job(title, task="mock_controlled", run_args=None, **values) -> str:
    """A job made through the service; its id."""
    data = {"title": title, "task": task, "run_args": run_args or {}, **values}
    return current_jobs_service.create(system_identity, data).id


def after(*job_ids, **values) -> dict:
    """A ``run_after`` body."""
    return {"jobs": [{"id": str(each)} for each in job_ids], **values}


def runs_of(job_id) -> list:
    """The top-level runs of a job, oldest first, as stored now."""
    db.session.remove()
    return db.session.scalars(
        sa.select(Run)
        .where(Run.job_id == uuid.UUID(str(job_id)), Run.parent_run_id.is_(None))
        .order_by(Run.number)
    ).all()


def run_now(job_id, **args) -> str:
    """Start a run of a job now (with the job's arguments unless given); its id."""
    data = {"args": args} if args else {}
    return current_runs_service.create(system_identity, job_id, data).id


def ended(job_id, count, timeout=60):
    """Wait until the job has ``count`` ended runs; its runs."""

    def done():
        runs = runs_of(job_id)
        finished = [run for run in runs if run.status.is_finished]
        return runs if len(finished) >= count else None

    return wait_until(done, timeout=timeout, message=f"{count} ended runs")


def test_a_then_b_then_c_run_in_order_once_per_end_of_a(
    app, start_worker, start_beat, tmp_path
):
    """Two ends of A: two runs of B, each after one of them; two of C after B's."""
    start_worker(**SETTINGS)
    start_beat(**SETTINGS)
    a = job("Import ROR", run_args={"marker": str(tmp_path / "a")})
    b = job("Relink", run_after=after(a))
    c = job("Reindex", run_after=after(b))

    first = run_now(a)
    ended(c, 1)
    second = run_now(a)
    runs_c = ended(c, 2)
    time.sleep(3)  # no more come

    runs_a, runs_b, runs_c = runs_of(a), runs_of(b), runs_of(c)
    assert [run.status for run in runs_a + runs_b + runs_c] == [Status.SUCCESS] * 6
    assert [str(run.after_run_id) for run in runs_b] == [first, second]
    assert [run.after_run_id for run in runs_c] == [run.id for run in runs_b]
    assert {run.trigger for run in runs_b + runs_c} == {RunTrigger.AFTER}
    for before, later in zip(runs_a, runs_b):
        assert later.started_at >= before.finished_at
    for before, later in zip(runs_b, runs_c):
        assert later.started_at >= before.finished_at
    read = current_runs_service.read(system_identity, b, str(runs_b[0].id)).to_dict()
    assert read["trigger"] == "after"
    assert read["after"]["number"] == 1 and read["after"]["job_title"] == "Import ROR"


def test_all_of_waits_for_both_jobs(app, start_worker, start_beat):
    """B after all of A1 and A2: A1's end alone starts nothing; A2's then starts B."""
    start_worker(**SETTINGS)
    start_beat(**SETTINGS)
    a1, a2 = job("A1"), job("A2")
    b = job("B", run_after=after(a1, a2, mode="all"))

    run_now(a1)
    ended(a1, 1)
    time.sleep(3)  # a few beat looks
    assert runs_of(b) == []
    last = run_now(a2)
    (run,) = ended(b, 1)
    assert run.status is Status.SUCCESS and str(run.after_run_id) == last


def test_a_cycle_is_refused(app):
    """A → B, then A after B: refused, naming the cycle; A unchanged."""
    a = job("A")
    b = job("B", run_after=after(a))
    with pytest.raises(ValidationError) as error:
        current_jobs_service.update(system_identity, a, {"run_after": after(b)})
    assert "A → B → A" in str(error.value.messages)
    assert current_jobs_service.read(system_identity, a)["run_after"] is None


def test_three_beats_and_a_killed_worker_neither_duplicate_nor_lose_a_run(
    app, start_worker, start_beat, tmp_path
):
    """A's worker killed mid-run: the reapers of three beats fail A once; the
    cleanup job that runs after A's failures starts once. An end recorded
    by a process that died before starting what follows is caught up once.
    """
    marker = tmp_path / "cleanup"
    worker = start_worker(**SETTINGS)
    for _ in range(3):
        start_beat(**SETTINGS)
    a = job("A", run_args={"sleep": 120, "steps": 1200})
    cleanup = job(
        "Cleanup",
        run_args={"marker": str(marker)},
        run_after={"jobs": [{"id": a, "statuses": ["FAILED"]}]},
    )
    run_id = run_now(a)
    wait_until(lambda: (runs_of(a)[0].heartbeat_at is not None), message="A running")
    worker.kill()
    start_worker(**SETTINGS)
    (lost,) = ended(a, 1, timeout=STALE + 30)
    assert lost.status is Status.FAILED and lost.message.startswith("Worker lost")
    (run,) = ended(cleanup, 1)
    assert run.status is Status.SUCCESS and str(run.after_run_id) == run_id

    # An end whose recorder died before starting what follows (written here
    # as it would be): the beats' maintenance starts the follower once.
    lonely = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(a),
        number=99,
        status=Status.FAILED,
        queue="celery",
        args={},
        started_at=lost.finished_at,
        finished_at=runs_of(cleanup)[0].finished_at,
    )
    db.session.add(lonely)
    db.session.commit()
    lonely_id = str(lonely.id)
    ended(cleanup, 2)
    time.sleep(4)  # several maintenance passes of three beats
    runs = runs_of(cleanup)
    assert [str(each.after_run_id) for each in runs] == [run_id, lonely_id]
    assert len(marker.read_text().splitlines()) == 2


def test_a_job_type_that_asks_receives_the_run_it_follows(
    app, start_worker, start_beat, tmp_path
):
    """``mock_follower`` names ``predecessor``: it gets the run's id, number,
    status, arguments and ``since``; a job type that does not ask is called
    as always (B of the first test)."""
    marker = tmp_path / "follower"
    start_worker(app_module="follower_app", **SETTINGS)
    start_beat(app_module="follower_app", **SETTINGS)
    a = job("A", run_args={"marker": str(tmp_path / "a")})
    follower = job(
        "Follower",
        task="mock_follower",
        run_args={"marker": str(marker)},
        run_after=after(a),
    )
    first = run_now(a)
    ended(follower, 1)
    second = run_now(a)
    ended(follower, 2)
    runs_a = runs_of(a)
    lines = marker.read_text().splitlines()
    assert lines[0].split() == [first, "1", "SUCCESS", str(tmp_path / "a"), "-"]
    # The second run of A continued since the first's start.
    assert lines[1].split() == [
        second,
        "2",
        "SUCCESS",
        str(tmp_path / "a"),
        runs_a[0].started_at.isoformat(),
    ]


def test_a_delay_holds_the_run_in_the_database_until_it_is_due(
    app, start_worker, start_beat
):
    """B 4 s after A: queued at A's end, sent by the beat once due, not before."""
    start_worker(**SETTINGS)
    start_beat(**SETTINGS)
    a = job("A")
    b = job("B", run_after=after(a, delay_seconds=4))
    run_now(a)
    (end,) = ended(a, 1)
    (run,) = ended(b, 1)
    assert run.status is Status.SUCCESS
    # Sent once due (the due time is cleared by the send).
    assert run.dispatched_at - end.finished_at >= timedelta(seconds=4)
    assert run.started_at - end.finished_at >= timedelta(seconds=4)


def test_a_run_that_ends_with_its_subtasks_starts_what_runs_after_it(
    app, start_worker, start_beat
):
    """A fans out; its last subtask ends it: B starts, by the worker that ended
    it (the catch-up is switched off here)."""
    no_catch_up = dict(SETTINGS, JOBS_RUN_AFTER_CATCH_UP_SECONDS=0)
    start_worker(**no_catch_up)
    start_beat(**no_catch_up)
    a = job("Fan out", task="mock_fan_out", run_args={"children": 2})
    b = job("B", run_after=after(a))
    first = run_now(a)
    (end,) = ended(a, 1)
    assert end.status is Status.SUCCESS and end.total_subtasks == 2
    (run,) = ended(b, 1)
    assert str(run.after_run_id) == first
