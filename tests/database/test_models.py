# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Models on SQLite: constraints, defaults and the helpers job types use."""

import model_checks
from helpers import make_job, make_run, utc

from invenio_jobs.models import RunStatusEnum


def test_second_run_for_same_fire_time_is_refused(app, db):
    """Unique (job_id, scheduled_at) holds on SQLite."""
    model_checks.check_second_run_for_same_fire_time_is_refused(db)


def test_manual_runs_may_share_a_null_fire_time(app, db):
    """Many manual runs of one job are allowed."""
    model_checks.check_manual_runs_may_share_a_null_fire_time(db)


def test_status_is_stored_as_its_letter(app, db):
    """The status column holds InvenioRDM's letters."""
    model_checks.check_status_is_stored_as_its_letter(db)


def test_new_job_and_run_defaults(app, db):
    """A job starts active and unscheduled; a run starts QUEUED and manual."""
    job = make_job(db.session)
    run = make_run(db.session, job)
    db.session.commit()
    assert job.active is True
    assert job.next_run_at is None
    assert job.run_args == {}
    assert job.misfire_policy == "coalesce"
    assert job.allow_overlap is False
    assert run.status is RunStatusEnum.QUEUED
    assert run.trigger == "manual"
    assert run.attempt == 1
    assert run.inserted_entries == 0
    assert run.created.tzinfo is not None


def test_last_runs_gives_latest_run_per_status(app, db):
    """``job.last_runs["success"]`` is what InvenioRDM job types read."""
    job = make_job(db.session)
    make_run(
        db.session,
        job,
        status=RunStatusEnum.SUCCESS,
        started_at=utc(2026, 1, 1),
        created=utc(2026, 1, 1),
    )
    newest = make_run(
        db.session,
        job,
        status=RunStatusEnum.SUCCESS,
        started_at=utc(2026, 2, 1),
        created=utc(2026, 2, 1),
    )
    make_run(db.session, job, status=RunStatusEnum.FAILED, created=utc(2026, 3, 1))
    db.session.commit()
    last = job.last_runs
    assert last["success"].id == newest.id
    assert last["success"].started_at == utc(2026, 2, 1)
    assert last["cancelled"] is None
    assert job.last_run.status is RunStatusEnum.FAILED


def test_status_groups():
    """Active and finished statuses split the enum in two."""
    assert set(RunStatusEnum.active()) | set(RunStatusEnum.finished()) == set(
        RunStatusEnum
    )
    assert RunStatusEnum.SUCCESS.is_finished
    assert not RunStatusEnum.CANCELLING.is_finished
