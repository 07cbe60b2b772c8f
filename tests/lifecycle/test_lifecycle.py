# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's state machine, walked arrow by arrow (SQLite here).

``test_lifecycle_postgresql.py`` runs the same tests on PostgreSQL.
"""

import itertools

import pytest
from helpers import make_job, make_run
from invenio_db import db as db_

from invenio_jobs import lifecycle
from invenio_jobs.lifecycle import ENDED, TRANSITIONS, sources_of, transition
from invenio_jobs.models import Run, RunStatusEnum, RunTrigger, utcnow

ALL_PAIRS = list(itertools.product(RunStatusEnum, RunStatusEnum))

S = RunStatusEnum
NAMED_STEPS = {
    # step: (its call on a run id, the statuses it leaves, the one it reaches)
    "claim": (lambda r: lifecycle.claim(r, "w1"), {S.QUEUED}, S.RUNNING),
    "cancel": (lambda r: lifecycle.cancel(r, "stop"), {S.QUEUED}, S.CANCELLED),
    "request_stop": (lifecycle.request_stop, {S.RUNNING}, S.CANCELLING),
    "retry": (
        lambda r: lifecycle.retry(r, utcnow(), "again") is not None,
        {S.RUNNING},
        S.QUEUED,
    ),
    "finish": (
        lambda r: lifecycle.finish(r, S.SUCCESS),
        {S.RUNNING, S.CANCELLING},
        S.SUCCESS,
    ),
    "mark_lost": (
        lambda r: lifecycle.mark_lost(r, None),
        {S.RUNNING, S.CANCELLING},
        S.FAILED,
    ),
    "terminate": (lambda r: lifecycle.terminate(r, 30), {S.CANCELLING}, S.CANCELLED),
}


@pytest.fixture()
def job(app, db):
    """A job to hang runs on."""
    job = make_job(db_.session)
    db_.session.commit()
    return job


def status_of(run_id):
    """The status stored now."""
    db_.session.expire_all()
    return db_.session.get(Run, run_id).status


@pytest.mark.parametrize(
    "from_status,to_status", ALL_PAIRS, ids=[f"{a.name}-{b.name}" for a, b in ALL_PAIRS]
)
def test_every_arrow_moves_and_every_other_is_refused(job, from_status, to_status):
    """Allowed arrows move the run; the UPDATE of any other matches no row."""
    run = make_run(db_.session, job, status=from_status)
    db_.session.commit()
    allowed = to_status in TRANSITIONS[from_status]
    # Asked as the table allows (from every source of to_status), the
    # conditional UPDATE itself must refuse what the table refuses.
    moved = transition(run.id, to_status)
    db_.session.commit()
    assert moved is allowed
    assert status_of(run.id) is (to_status if allowed else from_status)


@pytest.mark.parametrize("from_status", list(RunStatusEnum), ids=lambda s: s.name)
def test_an_arrow_the_table_lacks_cannot_even_be_asked_for(job, from_status):
    """Asking for a missing arrow is a programming error, caught before SQL."""
    for to_status in RunStatusEnum:
        if to_status in TRANSITIONS[from_status]:
            continue
        with pytest.raises(ValueError):
            transition(job.id, to_status, [from_status])


@pytest.mark.parametrize("step", sorted(NAMED_STEPS))
def test_each_named_step_moves_only_from_its_statuses(job, step):
    """Each step of the life cycle follows the table, and nothing else."""
    call, sources, target = NAMED_STEPS[step]
    assert sources <= sources_of(target)
    for from_status in RunStatusEnum:
        run = make_run(db_.session, job, status=from_status)
        db_.session.commit()
        moved = call(run.id)
        db_.session.commit()
        assert moved is (from_status in sources), (step, from_status)
        assert status_of(run.id) is (target if moved else from_status)


def test_ended_runs_never_move(job):
    """No arrow leaves an ended status."""
    assert all(not TRANSITIONS[status] for status in ENDED)
    assert set(TRANSITIONS) == set(RunStatusEnum)


def test_a_parent_ends_once_with_its_last_subtask(job):
    """finish_parent waits for the task and every subtask, then ends it once."""
    parent = make_run(db_.session, job, status=S.RUNNING)
    db_.session.commit()
    conn = db_.session.connection()
    children = [
        lifecycle.add_subtask(parent.id, job.id, "celery", f"part {i}", {}, conn)
        for i in range(3)
    ]
    assert all(child["trigger"] is RunTrigger.SUBTASK for child in children)
    lifecycle.mark_task_finished(parent.id)
    lifecycle.count_subtask(parent.id, True, conn)
    lifecycle.count_subtask(parent.id, False, conn)
    assert not lifecycle.finish_parent(parent.id, conn)  # one still running
    lifecycle.count_subtask(parent.id, True, conn)
    assert lifecycle.finish_parent(parent.id, conn)
    assert not lifecycle.finish_parent(parent.id, conn)  # already ended
    db_.session.commit()
    assert status_of(parent.id) is S.PARTIAL_SUCCESS


def test_a_queued_run_is_born_with_its_trigger_stored_as_a_word(job):
    """queued_run's values make a QUEUED run; the trigger reads back as a member."""
    values = lifecycle.queued_run(job.id, "T", {"a": 1}, "low", RunTrigger.CATCH_UP)
    db_.session.add(Run(**values))
    db_.session.commit()
    db_.session.expire_all()
    run = db_.session.get(Run, values["id"])
    assert run.status is S.QUEUED and run.trigger is RunTrigger.CATCH_UP
    assert (
        db_.session.execute(
            db_.select(Run.__table__.c.trigger).where(Run.id == run.id)
        ).scalar_one()
        == "catch_up"
    )


def test_entry_counts_keep_one_shape_from_the_task_to_the_update():
    """Counts added, a total set, counts taken and put back: one shape throughout."""
    counts = lifecycle.EntryCounts()
    counts.add(inserted=2, errored=1, added=5)
    assert counts.shape() == (
        ("inserted", "errored", "added"),
        {"add_inserted": 2, "add_errored": 1, "add_total": 5},
    )
    counts.set_total(10)
    counts.add(added=3)
    assert counts.shape()[1]["set_total"] == 13
    later = lifecycle.EntryCounts()
    later.add(updated=1)
    later.restore(counts)  # a write that failed gives its counts back
    assert later.key() == (2, 1, 1, 3, 10)
    assert sorted(later.assignments()) == [
        "errored_entries",
        "inserted_entries",
        "total_entries",
        "updated_entries",
    ]
    assert lifecycle.EntryCounts().assignments() == {}
