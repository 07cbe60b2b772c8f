# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alerts: each kind fires once when its condition starts and once when it ends."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import count_queries, make_job, make_run

from invenio_jobs.models import AlertDelivery, AlertState, RunStatusEnum, utcnow
from invenio_jobs.tasks import reap_runs
from invenio_jobs.worker import alerts

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]

S, F, R, Q = (
    RunStatusEnum.SUCCESS,
    RunStatusEnum.FAILED,
    RunStatusEnum.RUNNING,
    RunStatusEnum.QUEUED,
)


def _ago(**kwargs):
    return utcnow() - timedelta(**kwargs)


def _run(db, job, status, minutes_ago, took=None, **values):
    """A top-level run created and started ``minutes_ago``, lasting ``took`` s."""
    when = _ago(minutes=minutes_ago)
    finished = None
    if status.is_finished:
        finished = when + timedelta(seconds=took or 1)
    values = {"started_at": when, "finished_at": finished, **values}
    run = make_run(db.session, job, status=status, created=when, **values)
    db.session.commit()
    return run


def _job(db, **settings):
    job = make_job(
        db.session, alerts={"emails": ["ops@example.org"], **settings}, active=True
    )
    db.session.commit()
    return job


def _deliveries(db, job):
    rows = db.session.execute(
        sa.select(AlertDelivery.kind, AlertDelivery.event, AlertDelivery.status)
        .where(AlertDelivery.job_id == job.id)
        .order_by(AlertDelivery.created)
    ).all()
    return [tuple(row) for row in rows]


def _evaluate_twice(app):
    """Evaluate; a second pass right after must change nothing."""
    with app.extensions["mail"].record_messages() as outbox:
        first = alerts.evaluate()
        assert alerts.evaluate() == {}
    return first, [m.subject for m in outbox]


def test_failures_in_a_row_fire_once_and_recover_once(app, db):
    """Two failures in a row open the alert; a success ends it; each e-mailed once."""
    job = _job(db, failures_in_row=2)
    _run(db, job, S, 30)
    _run(db, job, F, 20)
    assert _evaluate_twice(app) == ({}, [])

    _run(db, job, F, 10)
    counts, subjects = _evaluate_twice(app)
    assert counts == {"failures_started": 1}
    assert subjects == ["[failures: started] A job"]

    _run(db, job, S, 1)
    counts, subjects = _evaluate_twice(app)
    assert counts == {"failures_recovered": 1}
    assert subjects == ["[failures: recovered] A job"]
    assert _deliveries(db, job) == [
        ("failures", "started", "delivered"),
        ("failures", "recovered", "delivered"),
    ]


def test_late_when_the_beat_has_not_fired_or_no_worker_took_the_run(app, db):
    """A fire time 20 minutes past with a 15-minute limit is late, either way."""
    job = _job(db, late_minutes=15)
    job.next_run_at = _ago(minutes=20)
    db.session.commit()
    assert _evaluate_twice(app)[0] == {"late_started": 1}

    # The beat made the run; it waits for a worker: still late, not again.
    job.next_run_at = utcnow() + timedelta(hours=1)
    run = _run(db, job, Q, 20, started_at=None, scheduled_at=_ago(minutes=20))
    db.session.commit()
    assert _evaluate_twice(app)[0] == {}

    run.status, run.started_at = R, utcnow()
    db.session.commit()
    assert _evaluate_twice(app)[0] == {"late_recovered": 1}


def test_no_success_within_hours(app, db):
    """No success for longer than the limit fires; a new success ends it."""
    job = _job(db, no_success_hours=1)
    job.created = _ago(hours=3)
    _run(db, job, S, 150)
    db.session.commit()
    assert _evaluate_twice(app)[0] == {"no_success_started": 1}
    _run(db, job, S, 2)
    assert _evaluate_twice(app)[0] == {"no_success_recovered": 1}


def test_a_job_without_runs_is_measured_from_its_creation(app, db):
    """A new job has its whole limit before it has no success for too long."""
    _job(db, no_success_hours=1)
    assert _evaluate_twice(app)[0] == {}


def test_too_long_by_minutes(app, db):
    """A run longer than the limit fires; its end is the all-clear."""
    job = _job(db, too_long_minutes=10)
    run = _run(db, job, R, 30)
    assert _evaluate_twice(app)[0] == {"too_long_started": 1}
    run.status, run.finished_at = S, utcnow()
    db.session.commit()
    assert _evaluate_twice(app)[0] == {"too_long_recovered": 1}


def test_too_long_against_the_median_of_the_last_successes(app, db):
    """Median 60 s (not the mean, which one slow run would raise): 3 x is 3 min."""
    job = _job(db, too_long_factor=3)
    for minutes, took in ((100, 60), (90, 50), (80, 3000), (70, 70)):
        _run(db, job, S, minutes, took=took)
    run = _run(db, job, R, 2)
    assert _evaluate_twice(app)[0] == {}
    run.started_at = _ago(minutes=4)
    db.session.commit()
    assert _evaluate_twice(app)[0] == {"too_long_started": 1}


def test_all_clear_is_not_sent_when_the_job_does_not_want_it(app, db):
    """``recovered: false`` closes the alert without telling anyone."""
    job = _job(db, failures_in_row=1, recovered=False)
    _run(db, job, F, 5)
    _evaluate_twice(app)
    _run(db, job, S, 1)
    assert _evaluate_twice(app) == ({"failures_recovered": 1}, [])
    assert _deliveries(db, job) == [("failures", "started", "delivered")]


def test_an_alert_fires_again_when_its_condition_comes_back(app, db):
    """Start, end, start: the row is reopened, a second 'started' is sent."""
    job = _job(db, failures_in_row=1)
    _run(db, job, F, 30)
    _evaluate_twice(app)
    _run(db, job, S, 20)
    _evaluate_twice(app)
    _run(db, job, F, 10)
    assert _evaluate_twice(app)[0] == {"failures_started": 1}
    state = db.session.get(AlertState, (job.id, "failures"))
    db.session.refresh(state)
    assert state.ended_at is None


def test_a_removed_setting_closes_its_alert_silently(app, db):
    """Switching a watch off is no all-clear."""
    job = _job(db, failures_in_row=1)
    _run(db, job, F, 5)
    _evaluate_twice(app)
    job.alerts = {"emails": ["ops@example.org"]}
    db.session.commit()
    assert _evaluate_twice(app) == ({"failures_recovered": 1}, [])


def test_the_maintenance_task_evaluates_alerts(app, db):
    """``reap_runs`` opens the alerts as well."""
    job = _job(db, failures_in_row=1)
    _run(db, job, F, 5)
    reap_runs.apply().get()
    assert alerts.open_alert_counts()["failures"] == 1


def test_a_pass_costs_the_same_statements_for_ten_times_the_jobs(app, db):
    """Two statements per kind, and one to read the changed jobs: never per job."""

    def jobs_that_all_alert(count):
        for _ in range(count):
            job = make_job(
                db.session,
                alerts={
                    "late_minutes": 1,
                    "no_success_hours": 1,
                    "too_long_minutes": 1,
                    "failures_in_row": 1,
                },
                next_run_at=_ago(minutes=5),
                created=_ago(hours=2),
            )
            make_run(db.session, job, status=F, started_at=_ago(minutes=3))
            make_run(db.session, job, status=R, started_at=_ago(minutes=3))
        db.session.commit()

    def statements():
        with count_queries(db.engine) as sent:
            counts = alerts.evaluate()
        return counts, [s for s in sent if "jobs_" in s]

    jobs_that_all_alert(3)
    few_counts, few = statements()
    db.session.execute(sa.delete(AlertState))
    db.session.commit()
    jobs_that_all_alert(27)
    many_counts, many = statements()
    assert few_counts["late_started"] == 3 and many_counts["late_started"] == 30
    assert len(few) == len(many) == 2 * len(alerts.KINDS) + 1


def test_two_maintenance_processes_at_once_open_an_alert_once(app, db):
    """The second one's insert waits for the first one's row, then changes nothing.

    The first pass holds its transaction open while the second one runs: the
    second does not see the uncommitted row, tries to insert it, waits on
    the key, and its upsert's condition then finds the alert open.
    """
    import threading

    job = _job(db, failures_in_row=1)
    _run(db, job, F, 5)
    now = utcnow()
    opened, first_done = {}, threading.Event()

    def first():
        with app.app_context():
            opened["first"] = alerts._open("failures", now)
            first_done.set()
            time.sleep(1)  # the second pass runs meanwhile, and waits
            db.session.commit()
            db.session.remove()

    def second():
        first_done.wait()
        with app.app_context():
            opened["second"] = alerts._open("failures", now)
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [row.job_id for row in opened["first"]] == [job.id]
    assert opened["second"] == []
