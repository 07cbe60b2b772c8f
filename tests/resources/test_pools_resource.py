# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/jobs/pools`` and a job's pool, through the HTTP client."""

import uuid
from datetime import timedelta

import flask_babel
import pytest
from helpers import make_run
from invenio_db import db as db_
from sqlalchemy import exc as sa_exc

from invenio_jobs import lifecycle
from invenio_jobs.models import Job, Pool, Run, RunStatusEnum, utcnow

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German besides English, as a site offering it."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


def make_pool(client, name="harvest", slots=2, **values):
    """Create a pool through the API (asserting 201); its JSON."""
    res = client.post("/jobs/pools", json={"name": name, "slots": slots, **values})
    assert res.status_code == 201, res.json
    return res.json


def make_pooled_job(client, pool="harvest", title="Harvest"):
    """Create a job in ``pool`` through the API; its JSON."""
    res = client.post(
        "/jobs",
        json={
            "title": title,
            "task": "mock_echo",
            "pool": pool,
            "run_args": {"message": "hi"},
        },
    )
    assert res.status_code == 201, res.json
    return res.json


def test_a_pool_is_created_read_listed_changed_and_deleted(app, admin_client):
    created = make_pool(admin_client, description="The external API's limit")
    assert created["name"] == "harvest"
    assert created["slots"] == 2
    assert created["busy"] == 0 and created["jobs"] == 0 and created["waiting"] == 0
    assert created["links"]["self"].endswith("/api/jobs/pools/harvest")

    assert admin_client.get("/jobs/pools/harvest").json["description"] == (
        "The external API's limit"
    )
    listed = admin_client.get("/jobs/pools").json
    assert [hit["name"] for hit in listed["hits"]["hits"]] == ["harvest"]
    assert listed["hits"]["total"] == 1

    changed = admin_client.put("/jobs/pools/harvest", json={"slots": 3})
    assert changed.status_code == 200, changed.json
    assert changed.json["slots"] == 3

    assert admin_client.delete("/jobs/pools/harvest").status_code == 204
    assert admin_client.get("/jobs/pools/harvest").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"slots": 2}, "name"),
        ({"name": "Harvest Pool", "slots": 2}, "name"),
        ({"name": "harvest"}, "slots"),
        ({"name": "harvest", "slots": 0}, "slots"),
        ({"name": "harvest", "slots": "two"}, "slots"),
        ({"name": "harvest", "slots": 2, "colour": "red"}, "colour"),
    ],
)
def test_a_wrong_pool_is_refused_naming_the_field(app, admin_client, body, field):
    res = admin_client.post("/jobs/pools", json=body)

    assert res.status_code == 400, res.json
    assert field in {error["field"] for error in res.json["errors"]}
    assert db_.session.query(Pool).count() == 0


def test_a_second_pool_of_the_same_name_is_refused(app, admin_client):
    make_pool(admin_client, slots=2)

    res = admin_client.post("/jobs/pools", json={"name": "harvest", "slots": 5})

    assert res.status_code == 400
    assert res.json["errors"][0]["field"] == "name"
    assert admin_client.get("/jobs/pools/harvest").json["slots"] == 2


def test_a_pool_cannot_be_renamed(app, admin_client):
    make_pool(admin_client)

    res = admin_client.put("/jobs/pools/harvest", json={"name": "other"})

    assert res.status_code == 400
    assert admin_client.get("/jobs/pools/other").status_code == 404


def test_a_pool_that_jobs_belong_to_is_not_deleted(app, admin_client):
    make_pool(admin_client)
    job = make_pooled_job(admin_client)

    res = admin_client.delete("/jobs/pools/harvest")

    assert res.status_code == 409
    assert "1 job" in res.json["message"]
    admin_client.put(f"/jobs/{job['id']}", json={"pool": None})
    assert admin_client.delete("/jobs/pools/harvest").status_code == 204


def test_a_job_joins_an_existing_pool_only(app, admin_client):
    make_pool(admin_client)
    job = make_pooled_job(admin_client)
    assert job["pool"] == "harvest"

    res = admin_client.put(f"/jobs/{job['id']}", json={"pool": "nowhere"})

    assert res.status_code == 400
    assert res.json["errors"][0]["field"] == "pool"
    assert admin_client.get(f"/jobs/{job['id']}").json["pool"] == "harvest"
    left = admin_client.put(f"/jobs/{job['id']}", json={"pool": ""})
    assert left.json["pool"] is None


def test_a_waiting_run_says_what_it_waits_for(app, admin_client):
    make_pool(admin_client, slots=1)
    job = make_pooled_job(admin_client)
    stored = db_.session.get(Job, uuid.UUID(job["id"]))
    make_run(db_.session, stored, status=RunStatusEnum.RUNNING, slot_pool="harvest")
    waiting = make_run(
        db_.session, stored, task_id="8f1f7a50-8c1b-4a52-9d43-1d6b0c2d3a11"
    )
    db_.session.commit()

    read = admin_client.get(f"/jobs/{job['id']}/runs/{waiting.id}").json
    listed = admin_client.get(f"/jobs/{job['id']}/runs").json["hits"]["hits"]
    job_read = admin_client.get(f"/jobs/{job['id']}").json

    expected = {
        "pool": "harvest",
        "busy": 1,
        "slots": 1,
        "text": "waiting for pool harvest (1 of 1 busy)",
    }
    assert read["pool_wait"] == expected
    assert {hit["id"]: hit["pool_wait"] for hit in listed}[str(waiting.id)] == expected
    assert job_read["last_run"]["pool_wait"] == expected
    assert admin_client.get("/jobs/pools/harvest").json["waiting"] == 1


def test_a_run_of_a_job_without_a_pool_waits_for_nothing(app, admin_client):
    res = admin_client.post(
        "/jobs",
        json={"title": "Alone", "task": "mock_echo", "run_args": {"message": "hi"}},
    )
    run = admin_client.post(f"/jobs/{res.json['id']}/runs", json={})

    assert run.status_code == 201, run.json
    assert run.json["pool_wait"] is None


def test_pools_are_for_administrators(app, user_client):
    assert user_client.get("/jobs/pools").status_code == 403
    assert (
        user_client.post("/jobs/pools", json={"name": "x", "slots": 1}).status_code
        == 403
    )


def test_pool_messages_are_in_german_too(app, admin_client):
    german = {"Accept-Language": "de"}
    make_pool(admin_client, slots=1)
    job = make_pooled_job(admin_client)
    stored = db_.session.get(Job, uuid.UUID(job["id"]))
    make_run(db_.session, stored, status=RunStatusEnum.RUNNING, slot_pool="harvest")
    waiting = make_run(db_.session, stored, task_id=str(uuid.uuid4()))
    db_.session.commit()

    # The tests' requests share one app context, where Flask-Babel keeps
    # the first request's locale; a served request has a context of its own.
    flask_babel.refresh()
    try:
        read = admin_client.get(f"/jobs/{job['id']}/runs/{waiting.id}", headers=german)
        missing = admin_client.get("/jobs/pools/nowhere", headers=german)
        bad = admin_client.post("/jobs/pools", json={"name": "x"}, headers=german)
    finally:
        flask_babel.refresh()

    assert read.json["pool_wait"]["text"] == "wartet auf Pool harvest (1 von 1 belegt)"
    assert missing.json["message"] == "Der Pool nowhere existiert nicht."
    assert bad.json["errors"][0]["messages"] == [
        "Plätze: Geben Sie an, wie viele Ausführungen gleichzeitig laufen dürfen."
    ]


def test_a_retry_in_its_back_off_waits_for_that_first(app, admin_client):
    make_pool(admin_client, slots=1)
    job = make_pooled_job(admin_client)
    stored = db_.session.get(Job, uuid.UUID(job["id"]))
    make_run(db_.session, stored, status=RunStatusEnum.RUNNING, slot_pool="harvest")
    later = utcnow() + timedelta(minutes=5)
    retry = make_run(
        db_.session, stored, attempt=2, due_at=later, task_id=str(uuid.uuid4())
    )
    db_.session.commit()

    read = admin_client.get(f"/jobs/{job['id']}/runs/{retry.id}").json

    assert read["status"] == "QUEUED"
    assert read["pool_wait"] is None


def test_run_now_answers_when_the_admission_fails(app, admin_client, monkeypatch):
    make_pool(admin_client, slots=1)
    job = make_pooled_job(admin_client)

    def unreachable(*args, **kwargs):
        raise sa_exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(lifecycle, "admit", unreachable)
    res = admin_client.post(f"/jobs/{job['id']}/runs", json={})

    assert res.status_code == 201, res.json
    assert res.json["status"] == "QUEUED"
    db_.session.expire_all()
    stored = db_.session.get(Run, uuid.UUID(res.json["id"]))
    assert stored.dispatched_at is None and stored.slot_pool is None
