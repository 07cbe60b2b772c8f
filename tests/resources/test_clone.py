# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``POST /api/jobs/<id>/actions/clone``: an inactive copy of a job."""

import uuid

import flask_babel
import pytest
import sqlalchemy as sa
from helpers import service_job
from test_jobs_resource import create

from invenio_jobs.models import Job, Run
from invenio_jobs.services.copies import NOT_COPIED

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German among the languages, for the tests of translated messages."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


SETTINGS = dict(
    description="Says hello every night",
    task="mock_echo",
    default_queue="low",
    schedule={"type": "interval", "hours": 6},
    run_args={"message": "copied"},
    misfire_policy="catch_up",
    allow_overlap=True,
    timeout=120,
    max_retries=2,
    notification_emails=["ops@example.org"],
    notification_statuses=["FAILED"],
)


def test_a_clone_copies_every_setting_and_nothing_else(app, db, admin_client):
    """Same type, arguments, schedule, queue, policies, notifications; no runs."""
    job = create(admin_client, **SETTINGS)
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={})
    assert run.status_code == 201

    res = admin_client.post(f"/jobs/{job['id']}/actions/clone")
    assert res.status_code == 201, res.json
    copy = res.json
    assert copy["id"] != job["id"]
    assert copy["title"] == "Copy of Nightly echo"
    assert copy["active"] is False
    assert copy["next_run"] is None
    assert copy["last_run"] is None

    original = db.session.get(Job, uuid.UUID(job["id"]))
    cloned = db.session.get(Job, uuid.UUID(copy["id"]))
    for column in Job.__table__.c:
        if column.key not in NOT_COPIED:
            assert getattr(cloned, column.key) == getattr(original, column.key), column
    assert cloned.notification_emails == ["ops@example.org"]
    assert cloned.notification_statuses == ["FAILED"]
    assert cloned.schedule == original.schedule and cloned.schedule
    assert cloned.overlap_skips == 0
    assert cloned.next_run_at is None
    runs = db.session.scalar(
        sa.select(sa.func.count()).select_from(Run).where(Run.job_id == cloned.id)
    )
    assert runs == 0


def test_a_clone_can_be_edited_without_touching_the_original(app, db, admin_client):
    """The copy's arguments are its own: editing them leaves the original's."""
    job = create(admin_client)
    copy = admin_client.post(f"/jobs/{job['id']}/actions/clone").json
    edited = admin_client.put(
        f"/jobs/{copy['id']}",
        json={"run_args": {"message": "changed"}, "active": True},
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["next_run"] is not None
    original = admin_client.get(f"/jobs/{job['id']}").json
    assert original["run_args"]["message"] == "hello"


def test_cloning_a_missing_job_is_a_404(app, db, admin_client):
    """No job, no copy."""
    res = admin_client.post(f"/jobs/{uuid.uuid4()}/actions/clone")
    assert res.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_cloning_needs_an_administrator(app, db, user_client):
    """A user without a grant is told the job does not exist; no copy."""
    job_id = service_job("mock_echo", {"message": "hi"})
    db.session.commit()
    res = user_client.post(f"/jobs/{job_id}/actions/clone")
    assert res.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_the_copy_is_named_in_the_readers_language(app, db, admin_client):
    """A German reader gets "Kopie von ..."."""
    job = create(admin_client)
    flask_babel.refresh()
    try:
        res = admin_client.post(
            f"/jobs/{job['id']}/actions/clone", headers={"Accept-Language": "de"}
        )
    finally:
        flask_babel.refresh()
    assert res.json["title"] == "Kopie von Nightly echo"
