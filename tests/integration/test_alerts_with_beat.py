# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alerts with a real beat and worker, PostgreSQL and Redis, and HTTP receivers.

The beat sends the maintenance task every second; the worker evaluates the
alerts there and delivers them to HTTP servers of the test, which check
each signature. Each alert kind must reach its receiver once when its
condition starts and once when it ends, and nothing more.
"""

import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alert_receiver import Receiver
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Job, Run, RunStatusEnum, utcnow
from invenio_jobs.proxies import current_jobs_service, current_runs_service

SECRET = "integration secret"

SETTINGS = dict(
    JOBS_MAINTENANCE_INTERVAL=1,
    JOBS_ALERT_WEBHOOK_SECRET=SECRET,
    JOBS_ALERT_RETRY_SECONDS=1,
)


@pytest.fixture()
def receivers():
    """Receivers started by the test, stopped after it."""
    started = []

    def start(answers=()):
        receiver = Receiver(answers)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


def _job(title, receiver, queue="celery", **alerts):
    data = {
        "title": title,
        "task": "mock_controlled",
        "default_queue": queue,
        "alerts": {**alerts, "webhooks": [{"url": receiver.url}]},
    }
    return uuid.UUID(current_jobs_service.create(system_identity, data).id)


def _run(job_id, **args):
    return current_runs_service.create(system_identity, str(job_id), {"args": args}).id


def _ended(run_id, status=RunStatusEnum.SUCCESS):
    def check():
        db.session.remove()
        return db.session.get(Run, uuid.UUID(str(run_id))).status is status

    wait_until(check, timeout=60, message=f"run {run_id} {status.name}")


def _told(receiver, *events, timeout=60):
    """Wait until ``receiver`` has answered ``events`` first (signatures checked)."""
    wait_until(
        lambda: receiver.events(SECRET)[: len(events)] == list(events),
        timeout=timeout,
        message=f"{events} told",
    )


def test_each_alert_kind_fires_once_and_recovers_once(
    app, start_worker, start_beat, receivers
):
    """Failures, no success, too long and late: started, recovered, nothing else."""
    failures_to, no_success_to = receivers([500, 500]), receivers()
    too_long_to, late_to = receivers(), receivers()
    failures = _job("Fails", failures_to, failures_in_row=2)
    no_success = _job("Never succeeds", no_success_to, no_success_hours=1)
    too_long = _job("Slow", too_long_to, too_long_factor=5)
    late = _job("Waits", late_to, queue="low", late_minutes=1)
    with db.session.begin_nested():
        db.session.get(Job, no_success).created = utcnow() - timedelta(hours=2)
        # A fire two minutes ago whose run no worker has taken: the queue
        # "low" has none yet. Due, the maintenance task sends it there.
        db.session.add(
            Run(
                job_id=late,
                queue="low",
                status=RunStatusEnum.QUEUED,
                scheduled_at=utcnow() - timedelta(minutes=2),
                trigger="scheduled",
                number=1,
                due_at=utcnow(),
                task_id=str(uuid.uuid4()),
            )
        )
    db.session.commit()

    start_worker(queues="celery", **SETTINGS)
    start_beat(**SETTINGS)

    for _ in range(2):
        _ended(_run(failures, fail=True), RunStatusEnum.FAILED)
    for _ in range(2):
        _ended(_run(too_long))

    # 500, 500, then the third try of the same delivery arrives.
    _told(failures_to, ("failures", "started"))
    assert len(failures_to.received) == 3
    assert len({h["X-Invenio-Jobs-Delivery"] for h, _ in failures_to.received}) == 1
    _told(no_success_to, ("no_success", "started"))
    _told(late_to, ("late", "started"))

    def late_run():
        with db.engine.connect() as conn:
            return conn.execute(sa.select(Run).where(Run.job_id == late)).one()

    wait_until(lambda: late_run().dispatched_at, message="the late run sent")
    # The beat is up (it took the maintenance task to get here): a slow run.
    slow = _run(too_long, sleep=12, steps=1)
    _told(too_long_to, ("too_long", "started"))

    _ended(_run(failures))
    _ended(_run(no_success))
    _ended(slow)
    start_worker(queues="low", **SETTINGS)

    _told(failures_to, ("failures", "started"), ("failures", "recovered"))
    _told(no_success_to, ("no_success", "started"), ("no_success", "recovered"))
    _told(too_long_to, ("too_long", "started"), ("too_long", "recovered"))
    _told(late_to, ("late", "started"), ("late", "recovered"))

    # Several more maintenance passes tell no one anything more.
    time.sleep(4)
    for receiver, kind in (
        (failures_to, "failures"),
        (no_success_to, "no_success"),
        (too_long_to, "too_long"),
        (late_to, "late"),
    ):
        assert receiver.events(SECRET) == [(kind, "started"), (kind, "recovered")]
    assert len(failures_to.received) == 4

    # The deliveries are listed on the job (what GET /api/jobs/<id>/alerts
    # answers), with their tries.
    listed = current_jobs_service.alerts(system_identity, str(failures))
    by_event = {d["event"]: d for d in listed["deliveries"]}
    assert by_event["started"]["status"] == "delivered"
    assert by_event["started"]["tries"] == 3
    assert by_event["started"]["last_error"].startswith("HTTP 500")
    assert by_event["recovered"]["tries"] == 1
    assert [a["kind"] for a in listed["alerts"]] == ["failures"]
    assert listed["alerts"][0]["ended_at"] is not None
    with db.engine.connect() as conn:
        open_now = conn.scalar(
            sa.text("SELECT count(*) FROM jobs_alert WHERE ended_at IS NULL")
        )
    assert open_now == 0
