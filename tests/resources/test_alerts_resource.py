# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job's alert settings in ``/api/jobs``, and its alerts at ``/api/jobs/<id>/alerts``."""

import uuid

import pytest
from helpers import service_job
from test_jobs_resource import create, error_fields

from invenio_jobs.models import AlertDelivery, AlertState, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")

SETTINGS = {
    "late_minutes": 15,
    "failures_in_row": 3,
    "too_long_factor": 2.5,
    "emails": ["ops@example.org"],
    "webhooks": [{"url": "https://hooks.example.org/jobs", "format": "slack"}],
}


def test_alert_settings_are_stored_and_read_back(app, db, admin_client):
    """What is set comes back, with the defaults filled; ``null`` clears them."""
    job = create(admin_client, alerts=SETTINGS)
    assert job["alerts"] == {**SETTINGS, "recovered": True}
    res = admin_client.put(f"/jobs/{job['id']}", json={"alerts": None})
    assert res.status_code == 200 and res.json["alerts"] is None


def test_settings_that_watch_nothing_are_null(app, db, admin_client):
    """Empty lists and unset thresholds are no settings at all."""
    job = create(admin_client, alerts={"emails": [], "recovered": False})
    assert job["alerts"] is None


@pytest.mark.parametrize(
    "alerts, field",
    [
        ({"late_minutes": 0}, "alerts.late_minutes"),
        ({"no_success_hours": "soon"}, "alerts.no_success_hours"),
        ({"too_long_factor": 1}, "alerts.too_long_factor"),
        ({"failures_in_row": -1}, "alerts.failures_in_row"),
        ({"emails": ["not an address"]}, "alerts.emails.0"),
        ({"webhooks": [{"url": "ftp://example.org/x"}]}, "alerts.webhooks.0.url"),
        ({"webhooks": [{"url": "https://a.org", "format": "xml"}]}, None),
        ({"late_minute": 5}, "alerts.late_minute"),
        ("often", "alerts._schema"),
    ],
)
def test_bad_alert_settings_are_a_400_naming_the_field(
    app, db, admin_client, alerts, field
):
    """Each wrong setting is named; nothing is stored."""
    res = admin_client.post(
        "/jobs", json={"title": "T", "task": "mock_echo", "alerts": alerts}
    )
    named = error_fields(res)
    if field:
        assert field in named
    else:
        assert any(name.startswith("alerts.webhooks") for name in named)
    assert admin_client.get("/jobs").json["hits"]["total"] == 0


def test_a_jobs_alerts_and_deliveries_are_listed(app, db, admin_client):
    """Open and ended alerts, then the deliveries newest first."""
    job = create(admin_client, alerts=SETTINGS)
    job_id = uuid.UUID(job["id"])
    now = utcnow()
    db.session.add(AlertState(job_id=job_id, kind="late", started_at=now))
    db.session.add(
        AlertDelivery(
            job_id=job_id,
            kind="late",
            event="started",
            channel="webhook",
            target="https://hooks.example.org/jobs",
            body={"text": "late"},
            status="pending",
            tries=2,
            last_error="HTTP 500 Internal Server Error",
            due_at=now,
            created=now,
        )
    )
    db.session.commit()
    res = admin_client.get(f"/jobs/{job['id']}/alerts")
    assert res.status_code == 200
    [alert] = res.json["alerts"]
    assert alert["kind"] == "late" and alert["ended_at"] is None
    [delivery] = res.json["deliveries"]
    assert delivery["status"] == "pending" and delivery["tries"] == 2
    assert delivery["last_error"] == "HTTP 500 Internal Server Error"
    assert delivery["target"] == "https://hooks.example.org/jobs"


def test_alerts_need_read_access_to_the_job(app, db, user_client):
    """A user who may not read the job is told it does not exist (404)."""
    job_id = service_job(task="mock_echo", run_args={"message": "hi"})
    assert user_client.get(f"/jobs/{job_id}/alerts").status_code == 404


def test_alerts_of_an_unknown_job_are_a_404(app, db, admin_client):
    """No such job, or no job id at all."""
    assert admin_client.get(f"/jobs/{uuid.uuid4()}/alerts").status_code == 404
    assert admin_client.get("/jobs/not-an-id/alerts").status_code == 404


def test_deleting_a_job_deletes_its_alerts(app, db, admin_client):
    """Its alerts and deliveries go with it (SQLite applies no cascade)."""
    job = create(admin_client, alerts=SETTINGS)
    db.session.add(
        AlertState(job_id=uuid.UUID(job["id"]), kind="late", started_at=utcnow())
    )
    db.session.commit()
    assert admin_client.delete(f"/jobs/{job['id']}").status_code == 204
    assert db.session.query(AlertState).count() == 0


def test_alerts_are_evaluated_on_sqlite_too(app, db, admin_client):
    """The conditions' SQL is portable: a failure in a row opens the alert here."""
    from helpers import make_run

    from invenio_jobs.models import Job, RunStatusEnum
    from invenio_jobs.worker import alerts

    job = create(admin_client, alerts={"failures_in_row": 1, "late_minutes": 5})
    row = db.session.get(Job, uuid.UUID(job["id"]))
    make_run(db.session, row, status=RunStatusEnum.FAILED, started_at=utcnow())
    db.session.commit()
    assert alerts.evaluate() == {"failures_started": 1}
    assert alerts.evaluate() == {}
    stats = admin_client.get("/jobs/stats").json
    assert stats["alerts"] == {"late": 0, "no_success": 0, "too_long": 0, "failures": 1}
    metrics = admin_client.get("/jobs/metrics").get_data(as_text=True)
    assert 'invenio_jobs_alerts_open{kind="failures"} 1.0' in metrics
    assert 'invenio_jobs_alerts_open{kind="late"} 0.0' in metrics
