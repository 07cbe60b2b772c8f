# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Pause all, resume, and maintenance windows through the HTTP client."""

import uuid
from datetime import timedelta

import pytest

from invenio_jobs.models import Job, Pause, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")

SUNDAY_NIGHT = {
    "title": "Sunday night upgrades",
    "cron": "0 1 * * 0",
    "timezone": "Europe/Zurich",
    "duration": 240,
}


def error_fields(res):
    """The fields named by a 400 answer."""
    assert res.status_code == 400, res.json
    return {e["field"] for e in res.json.get("errors", [])}


def test_pause_shows_who_why_and_until_then_resume_clears_it(
    app, db, admin_client, users
):
    """Pause records its reason, end and author; resume switches it off."""
    assert admin_client.get("/jobs/pause").json == {"paused": False}
    until = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    res = admin_client.post(
        "/jobs/actions/pause",
        json={"reason": "Upgrade to v14", "until": until.isoformat()},
    )
    assert res.status_code == 200, res.json
    state = res.json
    assert state["paused"] is True
    assert state["reason"] == "Upgrade to v14"
    assert state["until"] == until.isoformat()
    assert state["paused_by"]["email"] == "admin@example.org"
    assert admin_client.get("/jobs/pause").json == state

    res = admin_client.post("/jobs/actions/resume")
    assert res.status_code == 200
    assert res.json == {"paused": False}
    assert db.session.query(Pause).count() == 0


def test_pausing_again_keeps_one_switch(app, db, admin_client):
    """A second pause changes the reason; the table still has one row."""
    admin_client.post("/jobs/actions/pause", json={"reason": "first"})
    res = admin_client.post("/jobs/actions/pause", json={"reason": "second"})
    assert res.json["reason"] == "second" and res.json["until"] is None
    db.session.expire_all()
    assert db.session.query(Pause).count() == 1


def test_a_pause_whose_until_passed_reads_as_not_paused(app, db, admin_client):
    """``until`` in the past: the pause is over without anyone resuming."""
    db.session.add(
        Pause(id=1, reason="old", paused_at=utcnow(), until=utcnow() - timedelta(1))
    )
    db.session.commit()
    assert admin_client.get("/jobs/pause").json == {"paused": False}


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
        ({"reason": "ok", "until": "tomorrow"}, "until"),
        ({"reason": "ok", "until": "2001-01-01T00:00:00Z"}, "until"),
    ],
)
def test_bad_pause_names_the_field_and_changes_nothing(
    app, db, admin_client, body, field
):
    """No reason, a blank or long one, an unreadable or past end: 400."""
    res = admin_client.post("/jobs/actions/pause", json=body)
    assert field in error_fields(res)
    assert db.session.query(Pause).count() == 0


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/jobs/pause"),
        ("post", "/jobs/actions/pause"),
        ("post", "/jobs/actions/resume"),
        ("get", "/jobs/maintenance-windows"),
        ("post", "/jobs/maintenance-windows"),
    ],
)
def test_non_administrators_are_refused(app, db, user_client, method, path):
    """A logged-in user without administration access gets 403."""
    res = getattr(user_client, method)(path, json={"reason": "no"})
    assert res.status_code == 403
    assert db.session.query(Pause).count() == 0


def test_window_is_created_listed_changed_and_deleted(app, db, admin_client):
    """The window's fields, its words and next start; then edit and delete."""
    res = admin_client.post("/jobs/maintenance-windows", json=SUNDAY_NIGHT)
    assert res.status_code == 201, res.json
    window = res.json
    assert window["cron"] == "0 1 * * 0"
    assert window["timezone"] == "Europe/Zurich"
    assert window["duration"] == 240 and window["active"] is True
    assert "Sunday" in window["description"]
    assert window["next_start"]
    listed = admin_client.get("/jobs/maintenance-windows").json
    assert [w["id"] for w in listed["hits"]["hits"]] == [window["id"]]

    url = f"/jobs/maintenance-windows/{window['id']}"
    res = admin_client.put(url, json={"duration": 60, "active": False})
    assert res.status_code == 200, res.json
    assert res.json["duration"] == 60 and res.json["active"] is False
    assert res.json["cron"] == "0 1 * * 0"
    res = admin_client.put(url, json={"cron": "30 2 * * 6"})
    assert res.json["cron"] == "30 2 * * 6"
    assert res.json["timezone"] == "Europe/Zurich"  # kept
    res = admin_client.put(url, json={"timezone": "UTC"})
    assert res.json["cron"] == "30 2 * * 6" and res.json["timezone"] == "UTC"
    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"cron": "0 25 * * *"}, "cron"),
        ({"cron": "every sunday"}, "cron"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"duration": 0}, "duration"),
        ({"duration": "long"}, "duration"),
        ({"duration": 7 * 24 * 60 + 1}, "duration"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_window_names_the_field(app, db, admin_client, change, field):
    """Each wrong field of a window is a 400 naming it; nothing is stored."""
    res = admin_client.post(
        "/jobs/maintenance-windows", json={**SUNDAY_NIGHT, **change}
    )
    assert field in error_fields(res)
    assert admin_client.get("/jobs/maintenance-windows").json["hits"]["total"] == 0


def test_unknown_window_is_404(app, db, admin_client):
    """A window id that does not exist, or is no id: 404."""
    for window_id in (uuid.uuid4(), "nope"):
        res = admin_client.get(f"/jobs/maintenance-windows/{window_id}")
        assert res.status_code == 404


def test_changing_windows_releases_held_jobs(app, db, admin_client):
    """A held job goes back to its first held fire when the windows change."""
    created = admin_client.post("/jobs/maintenance-windows", json=SUNDAY_NIGHT).json
    first = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    job = Job(
        id=uuid.uuid4(),
        title="Held",
        task="mock_echo",
        schedule={"type": "interval", "minutes": 10},
        run_args={},
        next_run_at=first + timedelta(hours=4),
        held_since=first,
    )
    db.session.add(job)
    db.session.commit()
    admin_client.delete(f"/jobs/maintenance-windows/{created['id']}")
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert stored.next_run_at == first and stored.held_since is None


def test_schedule_preview_marks_fires_held_by_a_window(app, db, admin_client):
    """The editor's preview says which fires a window holds, and until when."""
    admin_client.post(
        "/jobs/maintenance-windows",
        json={"title": "Always", "cron": "0 * * * *", "duration": 60},
    )
    hourly = {"type": "crontab", "minute": "30", "hour": "*"}
    res = admin_client.post("/jobs/schedule-preview", json={"schedule": hourly})
    assert res.status_code == 200, res.json
    assert len(res.json["held_until"]) == len(res.json["next_runs"]) == 5
    assert all(res.json["held_until"])
    res = admin_client.post(
        "/jobs/schedule-preview",
        json={"schedule": hourly, "ignore_maintenance_windows": True},
    )
    assert res.json["held_until"] == [None] * 5


def test_job_opts_out_of_windows(app, db, admin_client):
    """``ignore_maintenance_windows`` is a job field, false by default."""
    body = {"title": "Health", "task": "mock_echo", "run_args": {"message": "x"}}
    job = admin_client.post("/jobs", json=body).json
    assert job["ignore_maintenance_windows"] is False
    res = admin_client.put(
        f"/jobs/{job['id']}", json={"ignore_maintenance_windows": True}
    )
    assert res.status_code == 200, res.json
    assert res.json["ignore_maintenance_windows"] is True
