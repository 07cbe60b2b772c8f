# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``POST /api/jobs/<id>/runs/<run_id>/actions/run-again``: its own history entry.

A new run with the earlier run's arguments, title and queue, recorded as
``run_again`` with the run it repeats; for whoever may run the job.
"""

import uuid

import flask_babel
import pytest
from invenio_accounts.testutils import login_user_via_session

pytestmark = pytest.mark.usefixtures("empty_tables")

UI = {"X-Jobs-Client": "ui"}


@pytest.fixture(scope="module")
def app_config(app_config):
    """German among the languages, for the refusal in the reader's language."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


@pytest.fixture(autouse=True)
def nothing_sent(monkeypatch):
    """Runs stay queued: no worker here."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])


def create_job(client):
    """A job made through the API; its id."""
    res = client.post(
        "/jobs",
        json={"title": "Harvest", "task": "mock_echo", "run_args": {"message": "hi"}},
    )
    assert res.status_code == 201, res.json
    return res.json["id"]


def start(client, job_id, **data):
    """Run now; the run's JSON."""
    res = client.post(f"/jobs/{job_id}/runs", json=data)
    assert res.status_code == 201, res.json
    return res.json


def again(client, job_id, run_id, headers=None):
    """Ask to run a run again; the response."""
    return client.post(
        f"/jobs/{job_id}/runs/{run_id}/actions/run-again", headers=headers or {}
    )


def history(client, job_id):
    """The job's history entries, newest first."""
    res = client.get(f"/jobs/{job_id}/history")
    assert res.status_code == 200, res.json
    return res.json["hits"]["hits"]


def test_a_run_again_copies_the_run_and_is_recorded_with_its_source(
    app, db, admin_client
):
    """Same arguments, title and queue; ``run_again`` names the source run."""
    job_id = create_job(admin_client)
    first = start(
        admin_client,
        job_id,
        title="By hand",
        args={"message": "now", "count": 3},
        queue="low",
    )
    res = again(admin_client, job_id, first["id"], headers=UI)
    assert res.status_code == 201, res.json
    second = res.json
    assert second["id"] != first["id"]
    assert second["number"] == first["number"] + 1
    assert second["args"] == first["args"]
    assert second["title"] == "By hand"
    assert second["queue"] == "low"
    assert second["status"] == "QUEUED"
    entry, started, _ = history(admin_client, job_id)
    assert started["action"] == "run_started"
    assert entry["action"] == "run_again"
    assert entry["source"] == "ui"
    assert entry["details"] == {
        "run_id": second["id"],
        "run_number": second["number"],
        "args": {"message": "now", "count": 3},
        "title": "By hand",
        "queue": "low",
        "source_run_id": first["id"],
        "source_run_number": first["number"],
    }


def test_what_cannot_be_run_again_is_refused_and_changes_nothing(app, db, admin_client):
    """Unknown run, another job's run, a bad id: 404; a subtask: 400 naming it."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_runs_service

    job_id = create_job(admin_client)
    other_id = create_job(admin_client)
    run = start(admin_client, job_id)
    for job, run_id in (
        (job_id, uuid.uuid4()),
        (job_id, "not-a-run"),
        (other_id, run["id"]),
        (uuid.uuid4(), run["id"]),
    ):
        res = again(admin_client, job, run_id)
        assert res.status_code == 404, (job, run_id, res.json)
    subtask = current_runs_service.create_subtask_run(
        system_identity, run["id"], job_id, {"message": "part"}
    )
    res = again(admin_client, job_id, subtask.id)
    assert res.status_code == 400, res.json
    assert {error["field"] for error in res.json["errors"]} == {"run_id"}
    flask_babel.refresh()  # the locale is kept on the test's request context
    try:
        german = again(admin_client, job_id, subtask.id, {"Accept-Language": "de"})
    finally:
        flask_babel.refresh()
    assert german.status_code == 400
    assert "Teilaufgabe" in german.json["errors"][0]["messages"][0]
    assert [entry["action"] for entry in history(admin_client, job_id)] == [
        "run_started",
        "created",
    ]


def test_only_those_who_may_run_the_job_run_again(app, db, admin_client, users):
    """``read``: 403; ``run``: 201 as that user; no grant: 404."""
    job_id = create_job(admin_client)
    run = start(admin_client, job_id)
    from invenio_accounts.models import User

    curator = User.query.filter_by(email="user@example.org").one()

    def grant(permission):
        body = {"grants": []}
        if permission:
            body["grants"].append(
                {
                    "subject": {"type": "user", "id": str(curator.id)},
                    "permission": permission,
                }
            )
        login_user_via_session(admin_client, email="admin@example.org")
        res = admin_client.put(f"/jobs/{job_id}/access", json=body)
        assert res.status_code == 200, res.json
        login_user_via_session(admin_client, email=curator.email)

    grant(None)
    assert again(admin_client, job_id, run["id"]).status_code == 404
    grant("read")
    assert again(admin_client, job_id, run["id"]).status_code == 403
    grant("run")
    res = again(admin_client, job_id, run["id"])
    assert res.status_code == 201, res.json
    assert res.json["started_by"]["id"] == str(curator.id)
    entry = history(admin_client, job_id)[0]
    assert entry["action"] == "run_again"
    assert entry["user"]["email"] == curator.email
