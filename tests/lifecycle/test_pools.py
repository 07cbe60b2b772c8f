# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Runs that wait for a slot of their job's pool (SQLite here).

``test_pools_postgresql.py`` runs the same tests on PostgreSQL, and adds
admissions from several connections at once.
"""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import command_of, count_queries, make_job, make_run, utc
from invenio_db import db as db_

from invenio_jobs import lifecycle
from invenio_jobs.models import Pool, Run, RunStatusEnum

pytestmark = pytest.mark.usefixtures("empty_tables")

S = RunStatusEnum
NOW = utc(2026, 3, 1, 12)
LEASE = 30


@pytest.fixture()
def harvest(app, db):
    """A pool of two slots, with two jobs in it."""
    db_.session.add(Pool(name="harvest", slots=2))
    db_.session.flush()
    first = make_job(db_.session, title="first", pool="harvest")
    second = make_job(db_.session, title="second", pool="harvest")
    db_.session.commit()
    return first, second


def waiting_run(job, minute, **values):
    """A run of ``job`` born ``minute`` minutes after ten, never sent."""
    born = utc(2026, 3, 1, 10, minute)
    values = {"created": born, "due_at": born + timedelta(seconds=5), **values}
    return make_run(db_.session, job, task_id=str(uuid.uuid4()), **values)


def admit(names=None, limit=100):
    """Admit with a connection of the session, committed."""
    rows = lifecycle.admit(NOW, LEASE, limit, db_.session.connection(), names)
    db_.session.commit()
    return [row.id for row in rows]


def slot_of(run_id):
    """The pool a run holds a slot in now."""
    db_.session.expire_all()
    return db_.session.get(Run, run_id).slot_pool


def test_the_oldest_waiting_runs_take_the_free_slots(harvest):
    first, second = harvest
    runs = [waiting_run(job, minute) for minute, job in enumerate([second, first] * 3)]
    db_.session.commit()

    assert admit() == [runs[0].id, runs[1].id]
    assert admit() == []  # full
    assert [slot_of(run.id) for run in runs] == ["harvest"] * 2 + [None] * 4


def test_an_admitted_run_is_due_at_the_end_of_its_lease(harvest):
    run = waiting_run(harvest[0], 0)
    db_.session.commit()

    admit()

    db_.session.expire_all()
    stored = db_.session.get(Run, run.id)
    assert stored.due_at == NOW + timedelta(seconds=LEASE)
    assert stored.dispatched_at is None


@pytest.mark.parametrize("ended", [S.SUCCESS, S.FAILED, S.CANCELLED])
def test_a_run_that_ends_frees_its_slot(harvest, ended):
    first, _ = harvest
    running = [waiting_run(first, minute) for minute in range(2)]
    later = waiting_run(first, 5)
    db_.session.commit()
    admit()
    lifecycle.claim(running[0].id, "w1")
    db_.session.commit()
    assert admit() == []

    lifecycle.transition(running[0].id, ended, [S.RUNNING])
    db_.session.commit()

    assert admit() == [later.id]


def test_a_run_queued_for_a_retry_gives_its_slot_back(harvest):
    first, _ = harvest
    running = [waiting_run(first, minute) for minute in range(2)]
    later = waiting_run(first, 5)
    db_.session.commit()
    admit()
    lifecycle.claim(running[0].id, "w1")
    db_.session.commit()

    lifecycle.retry(running[0].id, NOW + timedelta(minutes=5), "again")
    db_.session.commit()

    assert slot_of(running[0].id) is None
    # The retry waits for its back-off; the next run takes the slot.
    assert admit() == [later.id]


def test_a_retry_past_its_back_off_waits_in_its_place(harvest):
    first, _ = harvest
    retried = waiting_run(first, 0, attempt=2, due_at=NOW - timedelta(seconds=1))
    backing_off = waiting_run(first, 1, attempt=2, due_at=NOW + timedelta(minutes=1))
    newer = waiting_run(first, 2)
    db_.session.commit()

    assert admit() == [retried.id, newer.id]
    assert slot_of(backing_off.id) is None


def test_runs_sent_before_their_job_joined_the_pool_count(harvest):
    first, second = harvest
    other = make_job(db_.session, title="joins later")
    make_run(db_.session, other, status=S.RUNNING)
    make_run(db_.session, other, dispatched_at=NOW)  # sent, not claimed
    make_run(db_.session, other)  # not sent: holds nothing
    db_.session.commit()
    other.pool = "harvest"
    waiting = waiting_run(first, 0)
    db_.session.commit()

    assert lifecycle.usage(["harvest"], db_.session.connection()) == {"harvest": (2, 2)}
    assert admit() == []
    assert slot_of(waiting.id) is None


def test_subtasks_and_unpooled_runs_are_left_to_take_due(harvest):
    first, _ = harvest
    alone = make_job(db_.session, title="no pool")
    unpooled = waiting_run(alone, 0)
    parent = waiting_run(first, 1, status=S.RUNNING, slot_pool="harvest")
    child = waiting_run(first, 2, parent_run_id=parent.id)
    waiting = waiting_run(first, 3)
    db_.session.commit()

    taken = lifecycle.take_due(NOW, LEASE, 100, db_.session.connection())
    db_.session.commit()

    assert {row.id for row in taken} == {unpooled.id, child.id}
    assert waiting.id not in {row.id for row in taken}


def test_an_admitted_run_whose_sender_died_is_taken_again(harvest):
    first, _ = harvest
    run = waiting_run(first, 0)
    db_.session.commit()
    admit()

    later = NOW + timedelta(seconds=LEASE + 1)
    taken = lifecycle.take_due(later, LEASE, 100, db_.session.connection())
    db_.session.commit()

    assert [row.id for row in taken] == [run.id]
    assert slot_of(run.id) == "harvest"


def test_a_job_whose_pool_is_gone_runs_without_one(app, db):
    job = make_job(db_.session, pool="vanished")
    run = waiting_run(job, 0)
    db_.session.commit()

    taken = lifecycle.take_due(NOW, LEASE, 100, db_.session.connection())
    db_.session.commit()

    assert [row.id for row in taken] == [run.id]


def test_admission_is_limited_to_the_pools_named(harvest):
    db_.session.add(Pool(name="exports", slots=1))
    exporter = make_job(db_.session, title="export", pool="exports")
    exported = waiting_run(exporter, 0)
    harvested = waiting_run(harvest[0], 1)
    db_.session.commit()

    assert admit({"exports"}) == [exported.id]
    assert admit() == [harvested.id]


def test_usage_counts_the_busy_slots_of_each_pool(harvest):
    first, _ = harvest
    db_.session.add(Pool(name="idle", slots=3))
    waiting_run(first, 0)
    waiting_run(first, 1)
    db_.session.commit()
    admit()

    assert lifecycle.usage(
        ["harvest", "idle", "unknown"], db_.session.connection()
    ) == {
        "harvest": (2, 2),
        "idle": (0, 3),
    }


def test_admission_costs_two_statements_and_one_when_none_waits(harvest):
    first, second = harvest
    for minute in range(30):
        waiting_run([first, second][minute % 2], minute)
    db_.session.commit()
    connection = db_.session.connection()

    with count_queries(db_.engine) as busy_pool:
        lifecycle.admit(NOW, LEASE, 100, connection)
    with count_queries(db_.engine) as full_pool:
        lifecycle.admit(NOW, LEASE, 100, connection)
    db_.session.commit()
    db_.session.execute(sa.delete(Run))
    db_.session.commit()
    connection = db_.session.connection()
    with count_queries(db_.engine) as idle:
        lifecycle.admit(NOW, LEASE, 100, connection)
    db_.session.commit()

    assert [command_of(s) for s in busy_pool] == ["SELECT", "UPDATE"]
    assert [command_of(s) for s in full_pool] == ["SELECT", "UPDATE"]
    assert [command_of(s) for s in idle] == ["SELECT"]
