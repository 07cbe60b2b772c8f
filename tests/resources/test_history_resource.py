# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/jobs/<id>/history``: each change once, with who, when and through what."""

import uuid

import pytest

pytestmark = pytest.mark.usefixtures("empty_tables")

UI = {"X-Jobs-Client": "ui"}


def create(client, headers=None, **values):
    """Create a job through the API; its JSON."""
    data = {"title": "Nightly echo", "task": "mock_echo", "run_args": {"message": "hi"}}
    res = client.post("/jobs", json={**data, **values}, headers=headers or {})
    assert res.status_code == 201, res.json
    return res.json


def history(client, job_id, **params):
    """The history page of a job, asserting 200."""
    res = client.get(f"/jobs/{job_id}/history", query_string=params)
    assert res.status_code == 200, res.json
    return res.json


def actions(page) -> list:
    """The actions of a history page, oldest first."""
    return [hit["action"] for hit in reversed(page["hits"]["hits"])]


def test_each_change_appears_once_with_its_values(app, db, admin_client, users):
    """Create, update, deactivate, activate, delete: one entry each, newest first."""
    from invenio_accounts.models import User

    admin_id = db.session.query(User.id).filter(User.email == "admin@example.org")
    admin_id = admin_id.scalar()
    job = create(admin_client, headers=UI)
    job_id = job["id"]
    res = admin_client.put(
        f"/jobs/{job_id}",
        json={"title": "Renamed", "run_args": {"message": "ho"}, "timeout": 60},
    )
    assert res.status_code == 200, res.json
    assert (
        admin_client.put(f"/jobs/{job_id}", json={"active": False}).status_code == 200
    )
    assert admin_client.put(f"/jobs/{job_id}", json={"active": True}).status_code == 200
    # Saving a form that changes nothing adds nothing.
    assert admin_client.put(f"/jobs/{job_id}", json={"title": "Renamed"}).status_code
    page = history(admin_client, job_id)
    assert actions(page) == ["created", "updated", "deactivated", "activated"]
    newest, *_, created = page["hits"]["hits"]
    assert newest["action"] == "activated"
    assert created["source"] == "ui"
    assert created["details"]["title"] == "Nightly echo"
    assert all(
        hit["user"] == {"id": admin_id, "email": "admin@example.org"}
        for hit in page["hits"]["hits"]
    )
    updated = page["hits"]["hits"][2]
    assert updated["source"] == "api"
    assert updated["details"] == {
        "title": {"old": "Nightly echo", "new": "Renamed"},
        "run_args": {
            "old": {"message": "hi", "count": 1},
            "new": {"message": "ho", "count": 1},
        },
        "timeout": {"old": None, "new": 60},
    }
    assert page["hits"]["total"] == 4


def test_run_now_and_stop_are_recorded_with_their_arguments(
    app, db, admin_client, monkeypatch
):
    """Run now (with its arguments) and stop, through the API."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])
    job_id = create(admin_client)["id"]
    res = admin_client.post(
        f"/jobs/{job_id}/runs",
        json={"title": "By hand", "args": {"message": "now", "count": 3}},
        headers=UI,
    )
    assert res.status_code == 201, res.json
    run = res.json
    stop = admin_client.post(f"/jobs/{job_id}/runs/{run['id']}/actions/stop")
    assert stop.status_code == 202, stop.json
    page = history(admin_client, job_id)
    assert actions(page) == ["created", "run_started", "run_stopped"]
    stopped, started, _ = page["hits"]["hits"]
    assert started["source"] == "ui"
    assert started["details"]["run_id"] == run["id"]
    assert started["details"]["title"] == "By hand"
    assert started["details"]["args"]["message"] == "now"
    assert started["details"]["args"]["count"] == 3
    assert stopped["source"] == "api"
    assert stopped["details"]["run_id"] == run["id"]


def test_a_deleted_jobs_history_stays_for_administrators(
    app, db, admin_client, client, users
):
    """Deleted: its entries stay, with its title; others get 403, unknown 404."""
    job_id = create(admin_client)["id"]
    assert admin_client.delete(f"/jobs/{job_id}").status_code == 204
    assert admin_client.get(f"/jobs/{job_id}").status_code == 404
    page = history(admin_client, job_id)
    assert page["job_deleted"] is True
    assert actions(page) == ["created", "deleted"]
    assert page["hits"]["hits"][0]["job_title"] == "Nightly echo"
    unknown = admin_client.get(f"/jobs/{uuid.uuid4()}/history")
    assert unknown.status_code == 404
    assert admin_client.get("/jobs/not-an-id/history").status_code == 404


def test_others_may_not_read_a_history(app, db, admin_client, users):
    """A user without a grant or administration access: as for the job, 404."""
    from invenio_accounts.testutils import login_user_via_session

    kept = create(admin_client)["id"]
    gone = create(admin_client, title="Gone")["id"]
    assert admin_client.delete(f"/jobs/{gone}").status_code == 204
    login_user_via_session(admin_client, email=users["user"].email)
    assert admin_client.get(f"/jobs/{kept}/history").status_code == 404
    assert admin_client.get(f"/jobs/{gone}/history").status_code == 404


def test_pages_are_newest_first_and_bad_pages_name_the_field(app, db, admin_client):
    """``page`` and ``size`` page the entries; bad values: 400 naming them."""
    job_id = create(admin_client)["id"]
    for number in range(4):
        res = admin_client.put(f"/jobs/{job_id}", json={"title": f"Title {number}"})
        assert res.status_code == 200
    first = history(admin_client, job_id, size=2)
    second = history(admin_client, job_id, size=2, page=2)
    third = history(admin_client, job_id, size=2, page=3)
    titles = [
        hit["details"]["title"]["new"]
        for page in (first, second)
        for hit in page["hits"]["hits"]
    ]
    assert titles == ["Title 3", "Title 2", "Title 1", "Title 0"]
    assert actions(third) == ["created"]
    assert first["hits"]["total"] == 5
    for params, field in (({"size": 0}, "size"), ({"page": "x"}, "page")):
        res = admin_client.get(f"/jobs/{job_id}/history", query_string=params)
        assert res.status_code == 400, res.json
        assert field in {error["field"] for error in res.json["errors"]}


def test_a_refused_change_leaves_no_entry(app, db, admin_client):
    """Bad input changes nothing, and so records nothing."""
    job_id = create(admin_client)["id"]
    res = admin_client.put(f"/jobs/{job_id}", json={"timeout": "soon"})
    assert res.status_code == 400
    assert actions(history(admin_client, job_id)) == ["created"]
