# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``POST /api/jobs/<id>/runs`` with ``"at"``: a run once, at a chosen time."""

import uuid
from datetime import datetime, timedelta, timezone

import flask_babel
import pytest
import sqlalchemy as sa
from test_jobs_resource import create, error_fields

from invenio_jobs.models import Run, RunStatusEnum, utcnow
from invenio_jobs.worker.dispatch import send_due_runs

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German among the languages, for the tests of translated messages."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


def _runs_of(db, job):
    return db.session.scalars(
        sa.select(Run).where(Run.job_id == uuid.UUID(job["id"]))
    ).all()


def test_a_run_at_a_chosen_time_waits_queued_in_the_database(app, db, admin_client):
    """The run is QUEUED, due then, not sent, and says when it is scheduled for."""
    job = create(admin_client)
    zurich = timezone(timedelta(hours=1))
    at = (utcnow() + timedelta(hours=3)).astimezone(zurich).replace(microsecond=0)
    res = admin_client.post(
        f"/jobs/{job['id']}/runs",
        json={"title": "Later", "args": {"message": "then"}, "at": at.isoformat()},
    )
    assert res.status_code == 201, res.json
    run = res.json
    assert run["status"] == "QUEUED"  # eager Celery would have run a sent one
    assert run["trigger"] == "manual"
    assert datetime.fromisoformat(run["scheduled_at"]) == at
    assert run["args"]["message"] == "then"

    (stored,) = _runs_of(db, job)
    assert stored.dispatched_at is None
    assert stored.due_at == at
    assert stored.started_by_id is not None
    assert send_due_runs() == 0  # not due yet: the beat leaves it


def test_a_run_at_a_chosen_time_is_sent_once_when_due(app, db, admin_client):
    """Once its time has come, the beat's take sends it, with its arguments."""
    job = create(admin_client)
    at = utcnow() + timedelta(minutes=5)
    run = admin_client.post(
        f"/jobs/{job['id']}/runs",
        json={"args": {"message": "due"}, "at": at.isoformat()},
    ).json
    db.session.execute(
        sa.update(Run)
        .where(Run.id == uuid.UUID(run["id"]))
        .values(due_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert send_due_runs() == 1  # eager Celery: sent and run
    assert send_due_runs() == 0
    done = admin_client.get(f"/jobs/{job['id']}/runs/{run['id']}").json
    assert done["status"] == "SUCCESS"
    assert done["args"]["message"] == "due"


def test_a_run_at_a_chosen_time_can_be_stopped_before_it_starts(app, db, admin_client):
    """Stopped while it waits: CANCELLED, and never sent afterwards."""
    job = create(admin_client)
    at = utcnow() + timedelta(hours=1)
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at.isoformat()}).json
    res = admin_client.post(f"/jobs/{job['id']}/runs/{run['id']}/actions/stop")
    assert res.status_code == 202 or res.status_code == 200, res.json
    (stored,) = _runs_of(db, job)
    assert stored.status is RunStatusEnum.CANCELLED
    db.session.execute(
        sa.update(Run).where(Run.id == stored.id).values(due_at=utcnow())
    )
    db.session.commit()
    assert send_due_runs() == 0


def test_two_runs_for_the_same_instant_are_one(app, db, admin_client):
    """A second run of the job at the same time is refused, naming ``at``."""
    job = create(admin_client)
    at = (utcnow() + timedelta(hours=2)).isoformat()
    first = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at})
    assert first.status_code == 201, first.json
    second = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at})
    assert "at" in error_fields(second)
    assert len(_runs_of(db, job)) == 1


@pytest.mark.parametrize(
    "at",
    [
        "tomorrow",
        "2030-01-31T02:00:00",  # no zone: which 2 o'clock?
        "2001-01-01T00:00:00+00:00",  # past
        "2999-01-01T00:00:00+00:00",  # beyond JOBS_RUN_AT_MAX_DAYS
        12,
    ],
)
def test_a_bad_time_is_refused_and_queues_nothing(app, db, admin_client, at):
    """Not a time with its zone, past, or too far ahead: 400 on ``at``, no run."""
    job = create(admin_client)
    res = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at})
    assert "at" in error_fields(res)
    assert _runs_of(db, job) == []


def test_the_bound_is_a_setting(app, db, admin_client, monkeypatch):
    """``JOBS_RUN_AT_MAX_DAYS`` decides how far ahead a run may be asked for."""
    job = create(admin_client)
    at = (utcnow() + timedelta(days=3)).isoformat()
    monkeypatch.setitem(app.config, "JOBS_RUN_AT_MAX_DAYS", 2)
    refused = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at})
    assert "at" in error_fields(refused)
    assert "2" in refused.json["errors"][0]["messages"][0]
    monkeypatch.setitem(app.config, "JOBS_RUN_AT_MAX_DAYS", 4)
    taken = admin_client.post(f"/jobs/{job['id']}/runs", json={"at": at})
    assert taken.status_code == 201, taken.json


def test_german_errors_for_a_bad_time(app, db, admin_client):
    """The error of ``at`` is in the reader's language."""
    job = create(admin_client)
    # The tests' requests share one app context, where Flask-Babel keeps
    # the first request's locale.
    flask_babel.refresh()
    try:
        res = admin_client.post(
            f"/jobs/{job['id']}/runs",
            json={"at": "2001-01-01T00:00:00+00:00"},
            headers={"Accept-Language": "de"},
        )
    finally:
        flask_babel.refresh()
    assert "at" in error_fields(res)
    assert "Zukunft" in res.json["errors"][0]["messages"][0]


def test_the_command_line_runs_a_job_later(app, db, admin_client, invoke):
    """``invenio jobs run JOB --at TIME`` queues a run that waits; a bad time is named."""
    job = create(admin_client)
    at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    result = invoke("run", job["id"], "--at", at.isoformat())
    assert result.exit_code == 0, result.output
    (stored,) = _runs_of(db, job)
    assert stored.scheduled_at == at and stored.status is RunStatusEnum.QUEUED

    refused = invoke("run", job["id"], "--at", "2001-01-01T00:00:00+00:00")
    assert refused.exit_code == 2
    assert "at: Choose a time in the future." in refused.output
