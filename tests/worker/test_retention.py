# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Retention: old log lines and runs beyond each job's limit are pruned."""

import uuid
from datetime import datetime, timedelta, timezone

from helpers import make_job
from sqlalchemy import select

from invenio_jobs.models import Run, RunLog, RunStatusEnum
from invenio_jobs.tasks import prune_runs


def _run(db, job, status, minutes_ago, **kwargs):
    when = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    run = Run(
        id=uuid.uuid4(),
        job_id=job.id,
        queue="celery",
        status=status,
        created=when,
        updated=when,
        **{"started_at": when, **kwargs},
    )
    db.session.add(run)
    db.session.flush()
    return run


def test_prune_keeps_newest_runs_and_the_last_success(app, db):
    """Beyond JOBS_RUNS_RETENTION finished runs go; the last success stays."""
    app.config["JOBS_RUNS_RETENTION"] = 3
    job = make_job(db.session)
    other = make_job(db.session, title="Other")
    success = _run(db, job, RunStatusEnum.SUCCESS, 100)
    old_failures = [_run(db, job, RunStatusEnum.FAILED, 90 - i) for i in range(4)]
    child = _run(db, job, RunStatusEnum.SUCCESS, 89, parent_run_id=old_failures[0].id)
    newest = [_run(db, job, RunStatusEnum.FAILED, 10 - i) for i in range(3)]
    running = _run(db, job, RunStatusEnum.RUNNING, 200)
    kept_other = [_run(db, other, RunStatusEnum.SUCCESS, i) for i in range(3)]
    db.session.add(
        RunLog(
            run_id=old_failures[0].id,
            timestamp=datetime.now(timezone.utc),
            level="INFO",
            message="goes with its run",
        )
    )
    db.session.commit()
    child_id = child.id

    result = prune_runs.apply().get()
    assert result["runs"] == 4
    left = set(db.session.scalars(select(Run.id)).all())
    expected = {success.id, running.id} | {r.id for r in newest + kept_other}
    assert left == expected
    assert child_id not in left
    assert db.session.scalars(select(RunLog)).all() == []
    app.config["JOBS_RUNS_RETENTION"] = 500


def test_prune_keeps_a_retried_last_success(app, db):
    """The last success is the one that started last, not the one made last.

    A run retried after a failure keeps its ``created`` and starts again
    later; the next run continues ``since`` that start, so prune must keep
    it even when successes made after it started before it.
    """
    app.config["JOBS_RUNS_RETENTION"] = 1
    job = make_job(db.session)
    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    retried = _run(db, job, RunStatusEnum.SUCCESS, 60, started_at=started, attempt=2)
    earlier = _run(
        db, job, RunStatusEnum.SUCCESS, 30, started_at=started - timedelta(minutes=20)
    )
    newest = _run(db, job, RunStatusEnum.FAILED, 1)
    db.session.commit()
    retried_id, earlier_id, newest_id = retried.id, earlier.id, newest.id

    prune_runs.apply().get()
    left = set(db.session.scalars(select(Run.id).where(Run.job_id == job.id)).all())
    assert left == {retried_id, newest_id}
    assert earlier_id not in left
    app.config["JOBS_RUNS_RETENTION"] = 500


def test_prune_deletes_log_lines_older_than_retention(app, db):
    """Log lines older than JOBS_LOGGING_RETENTION_DAYS go, newer ones stay."""
    job = make_job(db.session)
    run = _run(db, job, RunStatusEnum.SUCCESS, 1)
    now = datetime.now(timezone.utc)
    days = app.config["JOBS_LOGGING_RETENTION_DAYS"]
    for age in (days + 1, days + 30, 1, 0):
        db.session.add(
            RunLog(
                run_id=run.id,
                timestamp=now - timedelta(days=age),
                level="INFO",
                message=f"{age} days old",
            )
        )
    db.session.commit()
    result = prune_runs.apply(kwargs={"batch_size": 1}).get()
    assert result == {"logs": 2, "runs": 0, "history": 0}
    kept = sorted(db.session.scalars(select(RunLog.message)).all())
    assert kept == ["0 days old", "1 days old"]


def test_prune_deletes_history_older_than_its_retention(app, db):
    """``JOBS_HISTORY_RETENTION_DAYS``: older entries go, of deleted jobs too."""
    from invenio_jobs.models import JobEvent

    app.config["JOBS_HISTORY_RETENTION_DAYS"] = 30
    job = make_job(db.session)
    gone = uuid.uuid4()  # a deleted job: its entries have no job row
    now = datetime.now(timezone.utc)
    for job_id, age in ((job.id, 31), (job.id, 29), (gone, 400), (gone, 1)):
        db.session.add(
            JobEvent(
                job_id=job_id,
                action="updated",
                source="api",
                details={"age": age},
                created=now - timedelta(days=age),
            )
        )
    db.session.commit()
    result = prune_runs.apply(kwargs={"batch_size": 1}).get()
    assert result == {"logs": 0, "runs": 0, "history": 2}
    kept = db.session.scalars(select(JobEvent.details)).all()
    assert sorted(details["age"] for details in kept) == [1, 29]
    db.session.execute(JobEvent.__table__.delete())
    db.session.commit()
