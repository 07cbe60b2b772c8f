# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs that run after other jobs: the runs a run's end starts, once each."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import service_job

from invenio_jobs import lifecycle
from invenio_jobs.models import Run, RunStatusEnum, RunTrigger, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")

Status = RunStatusEnum


def ended_run(db, job_id, status=Status.SUCCESS, finished_at=None, **values):
    """A top-level run of ``job_id`` that ended with ``status``; its id."""
    now = finished_at or utcnow()
    run = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(str(job_id)),
        status=status,
        queue="celery",
        args=values.pop("args", {}),
        started_at=now - timedelta(seconds=1),
        finished_at=now,
        **values,
    )
    db.session.add(run)
    db.session.commit()
    return run.id


def after(*job_ids, mode="any", delay=0, statuses=None):
    """A ``run_after`` body."""
    links = [{"id": str(job_id)} for job_id in job_ids]
    if statuses:
        for link in links:
            link["statuses"] = statuses
    return {"jobs": links, "mode": mode, "delay_seconds": delay}


def start(db, run_id, **kwargs):
    started = lifecycle.start_after(run_id, db.session.connection(), **kwargs)
    db.session.commit()
    return started


def runs_of(db, job_id):
    return db.session.scalars(
        sa.select(Run).where(Run.job_id == uuid.UUID(str(job_id)))
    ).all()


def test_an_end_starts_one_run_of_each_job_after_it(app, db):
    """B and C run after A: A's success starts one run each, once however often asked."""
    a = service_job("no_args", title="A")
    b = service_job("no_args", title="B", run_after=after(a))
    c = service_job("no_args", title="C", run_after=after(a, delay=60))
    end = ended_run(db, a)

    started = start(db, end)
    assert {run["job_id"] for run in started} == {uuid.UUID(b), uuid.UUID(c)}
    assert start(db, end) == [] and start(db, end, catching_up=True) == []

    (run_b,) = runs_of(db, b)
    (run_c,) = runs_of(db, c)
    assert run_b.trigger == RunTrigger.AFTER and run_b.after_run_id == end
    assert run_b.status == Status.QUEUED and run_b.dispatched_at is None
    assert run_b.number == 1
    assert run_c.due_at - run_b.due_at >= timedelta(seconds=59)


def test_only_the_statuses_of_the_link_count(app, db):
    """By default a failure starts nothing; a link that names FAILED runs on failures."""
    a = service_job("no_args", title="A")
    b = service_job("no_args", title="B", run_after=after(a))
    on_failure = service_job(
        "no_args", title="Cleanup", run_after=after(a, statuses=["FAILED"])
    )
    start(db, ended_run(db, a, Status.FAILED))
    assert runs_of(db, b) == []
    assert len(runs_of(db, on_failure)) == 1
    start(db, ended_run(db, a, Status.PARTIAL_SUCCESS))
    assert len(runs_of(db, b)) == 1


def test_inactive_jobs_and_subtasks_start_nothing(app, db):
    """An inactive job does not run after others; a subtask's end is no job's end."""
    a = service_job("no_args", title="A")
    b = service_job("no_args", title="B", run_after=after(a), active=False)
    c = service_job("no_args", title="C", run_after=after(a))
    parent = ended_run(db, a)
    child = ended_run(db, a, parent_run_id=parent)
    assert start(db, child) == []
    start(db, parent)
    assert runs_of(db, b) == [] and len(runs_of(db, c)) == 1


def test_all_of_waits_for_every_job_since_the_last_run(app, db):
    """B runs after all of A1 and A2: once both ended since B's last run."""
    a1 = service_job("no_args", title="A1")
    a2 = service_job("no_args", title="A2")
    b = service_job("no_args", title="B", run_after=after(a1, a2, mode="all"))

    assert start(db, ended_run(db, a1)) == []
    (started,) = start(db, ended_run(db, a2))
    assert started["job_id"] == uuid.UUID(b)
    # A new round: A2 again alone starts nothing, then A1 completes it.
    assert start(db, ended_run(db, a2)) == []
    assert len(start(db, ended_run(db, a1))) == 1
    assert len(runs_of(db, b)) == 2


def test_a_catch_up_skips_ends_older_than_the_link(app, db):
    """A new link does not start runs for ends that came before it."""
    a = service_job("no_args", title="A")
    old_end = ended_run(db, a, finished_at=utcnow() - timedelta(minutes=5))
    b = service_job("no_args", title="B", run_after=after(a))
    assert start(db, old_end, catching_up=True) == []
    assert runs_of(db, b) == []
    assert len(start(db, ended_run(db, a), catching_up=True)) == 1


def test_recent_ends_are_those_of_jobs_run_after(app, db):
    """The catch-up looks only at ends of jobs that others run after."""
    a = service_job("no_args", title="A")
    lonely = service_job("no_args", title="Alone")
    service_job("no_args", title="B", run_after=after(a))
    end = ended_run(db, a)
    ended_run(db, lonely)
    now = utcnow()
    window = (now - timedelta(hours=1), now + timedelta(seconds=1))
    ends = lifecycle.chaining.recent_ends(*window, db.session.connection())
    assert ends == [end]
    # Once it started its runs, it is not looked at again.
    start(db, end)
    assert lifecycle.chaining.recent_ends(*window, db.session.connection()) == []
