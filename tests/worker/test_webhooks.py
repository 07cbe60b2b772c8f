# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alert webhooks: a signed JSON POST to a real HTTP receiver, retried on errors."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alert_receiver import Receiver, signed_by
from helpers import make_job, make_run

from invenio_jobs.models import AlertDelivery, RunStatusEnum, utcnow
from invenio_jobs.tasks import deliver_alerts
from invenio_jobs.worker import alerts, webhooks

pytestmark = [pytest.mark.postgresql, pytest.mark.usefixtures("empty_tables")]

SECRET = "a shared secret"


@pytest.fixture()
def receiver_of(app):
    """Start receivers; the app signs with the test secret and retries at once."""
    started = []
    config = app.config
    saved = {k: config[k] for k in ("JOBS_ALERT_WEBHOOK_SECRET", "JOBS_ALERT_TIMEOUT")}
    saved["JOBS_ALERT_RETRY_SECONDS"] = config["JOBS_ALERT_RETRY_SECONDS"]
    config.update(
        JOBS_ALERT_WEBHOOK_SECRET=SECRET,
        JOBS_ALERT_RETRY_SECONDS=0,
        JOBS_ALERT_TIMEOUT=1,
    )

    def start(answers=()):
        receiver = Receiver(answers)
        started.append(receiver)
        return receiver

    yield start
    config.update(saved)
    for receiver in started:
        receiver.close()


def _failing_job(db, url, **hook):
    hooks = [{"url": url, **hook}]
    job = make_job(db.session, alerts={"failures_in_row": 1, "webhooks": hooks})
    make_run(db.session, job, status=RunStatusEnum.FAILED, started_at=utcnow())
    db.session.commit()
    return job


def _check_signature(headers, body):
    assert signed_by(SECRET, headers, body)


def _delivery(db, job):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(AlertDelivery).where(AlertDelivery.job_id == job.id)
    ).one()


def test_the_receiver_gets_signed_json(app, db, receiver_of):
    """The body names the job and the alert; the signature checks out."""
    receiver = receiver_of()
    job = _failing_job(db, receiver.url)
    alerts.evaluate()  # the delivery task runs at once (eager tasks)
    [(headers, body)] = receiver.received
    _check_signature(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "started" and payload["kind"] == "failures"
    assert payload["job"]["id"] == str(job.id)
    assert payload["job"]["url"].endswith(f"/administration/jobs/{job.id}")
    assert headers[webhooks.EVENT_HEADER] == "failures.started"
    assert payload["settings"] == {"failures_in_row": 1}
    delivery = _delivery(db, job)
    assert headers[webhooks.DELIVERY_HEADER] == str(delivery.id)
    assert (delivery.status, delivery.tries, delivery.due_at) == ("delivered", 1, None)


def test_a_tampered_body_does_not_check_out(app, db, receiver_of):
    """The signature covers the body: one changed byte fails the check."""
    receiver = receiver_of()
    _failing_job(db, receiver.url)
    alerts.evaluate()
    [(headers, body)] = receiver.received
    with pytest.raises(AssertionError):
        _check_signature(headers, body.replace(b"failures", b"failurez"))


def test_two_errors_then_the_third_try_arrives(app, db, receiver_of):
    """500, 500, 200: tried again after each error, recorded with the last error."""
    receiver = receiver_of([500, 500])
    job = _failing_job(db, receiver.url)
    alerts.evaluate()
    delivery = _delivery(db, job)
    assert (delivery.status, delivery.tries) == ("pending", 1)
    assert delivery.last_error.startswith("HTTP 500")
    deliver_alerts.apply().get()
    assert _delivery(db, job).tries == 2
    deliver_alerts.apply().get()
    delivery = _delivery(db, job)
    assert (delivery.status, delivery.tries) == ("delivered", 3)
    assert len(receiver.received) == 3
    # Every try is the same delivery, with the same body.
    assert len({h[webhooks.DELIVERY_HEADER] for h, _ in receiver.received}) == 1
    assert len({b for _, b in receiver.received}) == 1


def test_a_receiver_that_does_not_answer_is_a_failed_try(app, db, receiver_of):
    """A time-out is recorded, and the delivery waits for its back-off."""
    app.config["JOBS_ALERT_RETRY_SECONDS"] = 600
    receiver = receiver_of(["hang"])
    job = _failing_job(db, receiver.url)
    alerts.evaluate()
    delivery = _delivery(db, job)
    assert delivery.status == "pending" and "timed out" in delivery.last_error
    assert delivery.due_at > utcnow() + timedelta(minutes=9)
    assert deliver_alerts.apply().get() == {"delivered": 0, "retrying": 0, "failed": 0}


def test_out_of_tries_is_failed(app, db, receiver_of):
    """After JOBS_ALERT_DELIVERY_TRIES errors the delivery is given up."""
    app.config["JOBS_ALERT_DELIVERY_TRIES"] = 2
    try:
        receiver = receiver_of([500, 503, 500])
        job = _failing_job(db, receiver.url)
        alerts.evaluate()
        deliver_alerts.apply().get()
        deliver_alerts.apply().get()
    finally:
        app.config["JOBS_ALERT_DELIVERY_TRIES"] = 6
    delivery = _delivery(db, job)
    assert (delivery.status, delivery.tries, delivery.due_at) == ("failed", 2, None)
    assert delivery.last_error.startswith("HTTP 503")
    assert len(receiver.received) == 2


def test_slack_webhooks_get_slack_text(app, db, receiver_of):
    """``format: slack`` sends Slack's body: one ``text`` with a link to the job."""
    receiver = receiver_of()
    job = _failing_job(db, receiver.url, format="slack")
    alerts.evaluate()
    [(_, body)] = receiver.received
    payload = json.loads(body)
    assert list(payload) == ["text"]
    assert "failed 1 times in a row" in payload["text"]
    assert f"/administration/jobs/{job.id}|A job>" in payload["text"]


def test_instance_webhooks_hear_every_job(app, db, receiver_of):
    """``JOBS_ALERT_WEBHOOKS`` is told besides the job's own webhook."""
    own, instance = receiver_of(), receiver_of()
    app.config["JOBS_ALERT_WEBHOOKS"] = [instance.url]
    try:
        _failing_job(db, own.url)
        alerts.evaluate()
    finally:
        app.config["JOBS_ALERT_WEBHOOKS"] = []
    assert len(own.received) == len(instance.received) == 1
