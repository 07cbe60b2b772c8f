# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs that run as a service account: its identity, its roles, its records.

Celery runs eagerly here; ``tests/integration/test_run_as_worker.py`` runs
the scheduled case in real worker and beat processes.
"""

import json

import pytest
from invenio_access.permissions import system_identity, system_user_id

from invenio_jobs.proxies import current_jobs_service, current_runs_service

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def service_users(app, users, UserFixture):
    """A service account whose role grants administration, and one without rights."""
    from invenio_access.models import ActionRoles
    from invenio_accounts.proxies import current_datastore
    from invenio_administration.permissions import administration_access_action
    from invenio_db import db

    harvester = UserFixture(
        email="harvester@example.org", password="harvest-pass", username="harvester"
    ).create(app, db)
    nobody = UserFixture(
        email="nobody@example.org", password="nobody-pass", username="nobody"
    ).create(app, db)
    gone = UserFixture(
        email="gone@example.org", password="gone-pass", username="gone", active=False
    ).create(app, db)
    role = current_datastore.create_role(name="harvesters", description="Harvests")
    current_datastore.add_role_to_user(harvester.user, role)
    db.session.add(ActionRoles.allow(administration_access_action, role=role))
    db.session.commit()
    return {
        "harvester": harvester.user.id,
        "nobody": nobody.user.id,
        "gone": gone.user.id,
        "role": role.id,
    }


def user_id(email) -> int:
    """The id of the user with this e-mail."""
    from invenio_accounts.models import User
    from invenio_db import db

    return db.session.query(User.id).filter(User.email == email).scalar()


def lines(path) -> list:
    """The JSON lines the who-am-I task wrote."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def whoami_job(client, marker, run_as=None, **args) -> dict:
    """A who-am-I job made through the API; its JSON."""
    data = {
        "title": "Who am I",
        "task": "mock_whoami",
        "run_args": {"marker": str(marker), **args},
        "run_as": run_as,
    }
    res = client.post("/jobs", json=data)
    assert res.status_code == 201, res.json
    return res.json


def test_run_as_is_named_by_email_and_shown(app, db, admin_client, service_users):
    """By e-mail in, ``{id, email}`` out; unknown or inactive users: 400 on run_as."""
    harvester = service_users["harvester"]
    job = whoami_job(admin_client, "/tmp/unused")
    assert job["run_as"] is None
    res = admin_client.put(
        f"/jobs/{job['id']}", json={"run_as": "Harvester@Example.org"}
    )
    assert res.status_code == 200, res.json
    assert res.json["run_as"] == {"id": harvester, "email": "harvester@example.org"}
    for wrong in ("nobody-here@example.org", "gone@example.org", 12):
        res = admin_client.put(f"/jobs/{job['id']}", json={"run_as": wrong})
        assert res.status_code == 400, res.json
        assert [e["field"] for e in res.json["errors"]] == ["run_as"]
    assert admin_client.get(f"/jobs/{job['id']}").json["run_as"]["email"] == (
        "harvester@example.org"
    )
    res = admin_client.put(f"/jobs/{job['id']}", json={"run_as": None})
    assert res.status_code == 200 and res.json["run_as"] is None
    history = admin_client.get(f"/jobs/{job['id']}/history").json["hits"]["hits"]
    changes = [
        hit["details"]["run_as"]
        for hit in history
        if hit["action"] == ("run_as_changed")
    ]
    as_harvester = {"id": harvester, "email": "harvester@example.org"}
    assert changes == [
        {"old": as_harvester, "new": None},
        {"old": None, "new": as_harvester},
    ]


def test_a_manual_run_executes_as_the_service_account(
    app, db, admin_client, service_users, tmp_path
):
    """Identity, roles and job context are the service user's; who started it stays."""
    harvester = service_users["harvester"]
    marker = tmp_path / "seen"
    job = whoami_job(
        admin_client,
        marker,
        run_as="harvester@example.org",
        create_title="Made by the harvest",
    )
    res = admin_client.post(f"/jobs/{job['id']}/runs", json={})
    assert res.status_code == 201, res.json
    run = current_runs_service.read(
        system_identity, job["id"], res.json["id"]
    ).to_dict()
    assert run["status"] == "SUCCESS", run
    assert run["run_as"] == {"id": str(harvester), "email": "harvester@example.org"}
    assert run["started_by"]["email"] == "admin@example.org"
    (seen,) = lines(marker)
    assert seen["identity_id"] == harvester
    assert seen["context_identity_id"] == str(harvester)
    assert f"role:{service_users['role']}" in seen["needs"]
    assert f"id:{harvester}" in seen["needs"]
    # What the task made was made by the service account.
    made = current_jobs_service.search(system_identity, {"q": "Made by the harvest"})
    (made,) = list(made.hits)
    history = admin_client.get(f"/jobs/{made['id']}/history").json["hits"]["hits"]
    assert [(hit["action"], hit["user"]["email"]) for hit in history] == [
        ("created", "harvester@example.org")
    ]


def test_a_service_account_without_rights_cannot_act_through_the_run(
    app, db, admin_client, service_users, tmp_path
):
    """Its own rights, not the starter's: creating a job is refused, the run fails."""
    marker = tmp_path / "seen"
    job = whoami_job(
        admin_client, marker, run_as="nobody@example.org", create_title="Not allowed"
    )
    res = admin_client.post(f"/jobs/{job['id']}/runs", json={})
    run = current_runs_service.read(
        system_identity, job["id"], res.json["id"]
    ).to_dict()
    assert run["status"] == "FAILED", run
    assert "PermissionDenied" in run["message"]
    (seen,) = lines(marker)
    assert seen["identity_id"] == service_users["nobody"]
    assert not current_jobs_service.search(system_identity, {"q": "Not allowed"}).total


def test_without_run_as_a_run_executes_as_its_starter_or_the_system(
    app, db, admin_client, users, tmp_path
):
    """As today: who pressed "Run now", or the system for the system's runs."""
    admin_id = user_id("admin@example.org")
    marker = tmp_path / "seen"
    job = whoami_job(admin_client, marker)
    admin_client.post(f"/jobs/{job['id']}/runs", json={})
    by_system = current_runs_service.create(system_identity, job["id"], {}).to_dict()
    by_admin, by_system_seen = lines(marker)
    assert by_admin["identity_id"] == admin_id
    assert by_admin["context_identity_id"] == str(admin_id)
    assert by_system_seen["identity_id"] == system_identity.id
    assert by_system_seen["context_identity_id"] == str(system_user_id)
    run = current_runs_service.read(system_identity, job["id"], by_system["id"])
    assert run.to_dict()["run_as"] is None
