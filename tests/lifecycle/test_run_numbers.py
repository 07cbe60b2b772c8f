# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Each run of a job gets a short number (#1, #2 ...), given by its INSERT."""

import uuid

import sqlalchemy as sa
from helpers import count_queries, make_job
from invenio_access.permissions import system_identity

from invenio_jobs import lifecycle
from invenio_jobs.models import Run, RunTrigger
from invenio_jobs.proxies import current_runs_service


def insert(db, runs):
    """Insert :func:`lifecycle.queued_run` values as the scheduler does; their numbers.

    One SELECT of the jobs' highest numbers, then one INSERT of the batch.
    """
    from invenio_jobs.beat.statements import insert_runs as insert_runs_statement

    statement = insert_runs_statement(db.engine.dialect.name)
    inserted = set(
        db.session.scalars(statement, lifecycle.number_runs(runs, db.session)).all()
    )
    return [run["number"] for run in runs if run["id"] in inserted]


def test_runs_are_numbered_per_job_in_one_batch(app, db):
    """Runs of two jobs, several of a job in one batch: 1, 2, 3 per job."""
    first, second = make_job(db.session), make_job(db.session)

    def queued(job):
        return lifecycle.queued_run(job.id, None, {}, "celery", RunTrigger.SCHEDULED)

    with count_queries(db.engine) as statements:
        numbers = insert(db, [queued(first), queued(second), queued(first)])
    assert [s.split()[0] for s in statements] == ["SELECT", "INSERT"]
    assert numbers == [1, 1, 2]
    assert insert(db, [queued(first)]) == [3]
    assert insert(db, [queued(second)]) == [2]


def test_subtasks_have_no_number(app, db):
    """A subtask is shown under its parent, which has the number."""
    job = make_job(db.session)
    parent = lifecycle.queued_run(job.id, None, {}, "celery")
    insert(db, [parent])
    child = lifecycle.queued_run(
        job.id, None, {}, "celery", RunTrigger.SUBTASK, parent_run_id=parent["id"]
    )
    assert insert(db, [child]) == [None]
    assert insert(db, [lifecycle.queued_run(job.id, None, {}, "celery")]) == [2]


def test_run_now_gets_the_next_number_without_a_statement_of_its_own(app, db, users):
    """Run now: the run's JSON has its number; numbering costs no extra statement."""
    job = make_job(db.session, task="no_args")
    db.session.commit()
    with count_queries(db.engine) as statements:
        created = current_runs_service.create(system_identity, job.id, {})
    numbered = [s for s in statements if "max(numbered.number)" in s]
    assert len(numbered) == 1 and numbered[0].startswith("INSERT INTO jobs_run")
    assert created.to_dict()["number"] == 1
    again = current_runs_service.create(system_identity, job.id, {}).to_dict()
    assert again["number"] == 2
    stored = db.session.scalar(
        sa.select(Run.number).where(Run.id == uuid.UUID(again["id"]))
    )
    assert stored == 2


def test_numbering_works_with_the_schedulers_on_conflict_insert(app, db):
    """The beat's INSERT (ON CONFLICT on the fire time) numbers what it inserts."""
    from invenio_jobs.beat.statements import insert_runs as insert_runs_statement
    from invenio_jobs.models import utcnow

    job = make_job(db.session)
    fire = utcnow().replace(microsecond=0)

    def scheduled():
        return lifecycle.queued_run(
            job.id, None, {}, "celery", RunTrigger.SCHEDULED, scheduled_at=fire
        )

    statement = insert_runs_statement(db.engine.dialect.name)
    first = lifecycle.number_runs([scheduled()], db.session)
    assert len(db.session.scalars(statement, first).all()) == 1
    again = lifecycle.number_runs([scheduled()], db.session)
    assert db.session.scalars(statement, again).all() == []  # the same fire time
    assert insert(db, [lifecycle.queued_run(job.id, None, {}, "celery")]) == [2]


def test_scheduled_runs_are_numbered_after_the_jobs_other_runs(app, db):
    """A tick numbers its runs after the job's highest, in fire order."""
    from datetime import datetime, timedelta, timezone

    from invenio_jobs.models import Job
    from invenio_jobs.services.scheduler import RunScheduler

    job_id = uuid.uuid4()
    anchor = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    db.session.add(
        Job(
            id=job_id,
            title="Every minute",
            task="mock_controlled",
            active=True,
            schedule={"type": "interval", "minutes": 1},
            schedule_anchor=anchor,
            next_run_at=anchor + timedelta(minutes=1),
            misfire_policy="catch_up",
            allow_overlap=True,
        )
    )
    db.session.commit()
    manual = lifecycle.queued_run(job_id, None, {}, "celery")
    insert(db, [manual, {**manual, "id": uuid.uuid4()}])
    db.session.commit()

    scheduler = RunScheduler.__new__(RunScheduler)
    scheduler._unavailable_logged = set()
    scheduler.tick_jobs(now=anchor + timedelta(minutes=3, seconds=1))
    rows = db.session.execute(
        sa.select(Run.scheduled_at, Run.number)
        .where(Run.job_id == job_id, Run.scheduled_at.is_not(None))
        .order_by(Run.scheduled_at)
    ).all()
    assert [number for _, number in rows] == [3, 4, 5]
