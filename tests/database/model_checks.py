# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Model checks shared by the SQLite and the PostgreSQL test modules."""

import pytest
from helpers import make_job, make_run, utc
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from invenio_jobs.models import Job, Run, RunLog, RunStatusEnum, delete_runs


def check_second_run_for_same_fire_time_is_refused(db):
    """The database refuses two runs of one job for one fire time."""
    job = make_job(db.session)
    fire = utc(2026, 11, 29, 2, 30)
    make_run(db.session, job, scheduled_at=fire, trigger="scheduled")
    db.session.commit()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            make_run(db.session, job, scheduled_at=fire, trigger="scheduled")
    runs = db.session.scalars(select(Run).where(Run.job_id == job.id)).all()
    assert len(runs) == 1


def check_manual_runs_may_share_a_null_fire_time(db):
    """Manual runs have no fire time; any number of them is allowed."""
    job = make_job(db.session)
    for _ in range(3):
        make_run(db.session, job)
    db.session.commit()
    assert job.runs.count() == 3


def check_status_is_stored_as_its_letter(db):
    """Statuses are single letters in the table, as InvenioRDM stores them."""
    job = make_job(db.session)
    run = make_run(db.session, job, status=RunStatusEnum.PARTIAL_SUCCESS)
    db.session.commit()
    letter = db.session.execute(
        text("SELECT status FROM jobs_run WHERE id = :id"),
        {"id": run.id.hex if db.engine.name == "sqlite" else run.id},
    ).scalar_one()
    assert letter == "P"
    db.session.expire_all()
    assert db.session.get(Run, run.id).status is RunStatusEnum.PARTIAL_SUCCESS


def check_deleting_a_job_deletes_its_runs_and_logs(db):
    """Runs go with their job in the database itself; log lines with ``delete_runs``.

    The log lines have no foreign key (its check doubled what storing a line
    cost): a raw DELETE of the job leaves them, ``delete_runs``, which the
    deletion of a job calls first, takes them.
    """
    job = make_job(db.session)
    kept, deleted = make_run(db.session, job), make_run(db.session, job)
    for run in (kept, deleted):
        db.session.add(
            RunLog(run_id=run.id, timestamp=utc(2026, 1, 1), level="INFO", message="x")
        )
    db.session.commit()
    job_id, kept_id, deleted_id = job.id, kept.id, deleted.id
    db.session.expunge_all()
    delete_runs([deleted_id])
    db.session.commit()
    assert [line.run_id for line in db.session.scalars(select(RunLog))] == [kept_id]
    db.session.execute(Job.__table__.delete().where(Job.id == job_id))
    db.session.commit()
    assert db.session.scalars(select(Run).where(Run.job_id == job_id)).first() is None
