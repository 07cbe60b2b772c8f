# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/jobs`` through the HTTP client: shapes, validation, permissions."""

import uuid

import pytest

CRON = {"type": "crontab", "minute": "30", "hour": "2", "timezone": "Europe/Zurich"}


def job_data(**overrides):
    """A valid job as a client sends it."""
    data = {
        "title": "Nightly echo",
        "description": "Says hello every night",
        "task": "mock_echo",
        "default_queue": "celery",
        "schedule": CRON,
        "run_args": {"message": "hello"},
    }
    data.update(overrides)
    return data


def create(client, **overrides):
    """Create a job and return its JSON (asserting 201)."""
    res = client.post("/jobs", json=job_data(**overrides))
    assert res.status_code == 201, res.json
    return res.json


def error_fields(res):
    """The fields named by a 400 answer."""
    assert res.status_code == 400, res.json
    assert res.json["status"] == 400
    return {e["field"] for e in res.json.get("errors", [])}


def test_create_returns_the_job_with_next_run_and_links(app, db, admin_client):
    """A created job has its id, next fire time, no last run, and links."""
    job = create(admin_client)
    assert uuid.UUID(job["id"])
    assert job["title"] == "Nightly echo"
    assert job["task"] == "mock_echo"
    assert job["active"] is True
    assert job["schedule"]["hour"] == "2"
    assert job["schedule"]["timezone"] == "Europe/Zurich"
    assert job["schedule_description"] == "every day at 02:30 Europe/Zurich"
    assert job["run_args"]["message"] == "hello"
    assert job["run_args"]["count"] == 1
    assert job["next_run"].endswith("+00:00")
    assert job["last_run"] is None
    assert job["created"] and job["updated"]
    assert job["links"]["self"].endswith(f"/api/jobs/{job['id']}")
    assert job["links"]["runs"].endswith(f"/api/jobs/{job['id']}/runs")
    assert job["links"]["self_admin_html"].endswith(f"/administration/jobs/{job['id']}")


def test_read_update_delete(app, db, admin_client):
    """Read, partial update and delete one job."""
    job = create(admin_client)
    url = f"/jobs/{job['id']}"
    assert admin_client.get(url).json["title"] == "Nightly echo"

    res = admin_client.put(url, json={"title": "Renamed", "active": False})
    assert res.status_code == 200, res.json
    assert res.json["title"] == "Renamed"
    assert res.json["active"] is False
    assert res.json["next_run"] is None

    res = admin_client.put(url, json={"active": True})
    assert res.json["next_run"] is not None

    assert admin_client.delete(url).status_code == 204
    assert admin_client.get(url).status_code == 404


def test_inveniordm_content_type_is_accepted_and_served(app, db, admin_client):
    """``application/vnd.inveniordm.v1+json`` works in and out."""
    mimetype = "application/vnd.inveniordm.v1+json"
    res = admin_client.post(
        "/jobs",
        data=__import__("json").dumps(job_data()),
        headers={"Content-Type": mimetype, "Accept": mimetype},
    )
    assert res.status_code == 201, res.json
    assert res.headers["Content-Type"].startswith(mimetype)


def test_interval_schedule_and_no_schedule(app, db, admin_client):
    """Jobs may run on an interval, or only when started by hand."""
    job = create(admin_client, schedule={"type": "interval", "hours": 4})
    assert job["schedule"] == {"type": "interval", "hours": 4}
    assert job["next_run"] is not None
    manual = create(admin_client, schedule=None)
    assert manual["schedule"] is None
    assert manual["next_run"] is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"task": "no_such_type"}, "task"),
        ({"default_queue": "nowhere"}, "default_queue"),
        ({"schedule": {"type": "crontab", "minute": "61"}}, "schedule.minute"),
        ({"schedule": {"type": "crontab", "hour": "x"}}, "schedule.hour"),
        ({"schedule": {"type": "interval", "hours": 0}}, "schedule.hours"),
        ({"schedule": {"type": "interval", "minutes": -5}}, "schedule.minutes"),
        (
            {"schedule": {"type": "crontab", "timezone": "Mars/Base"}},
            "schedule.timezone",
        ),
        ({"schedule": {"type": "weekly"}}, "schedule.type"),
        ({"schedule": "daily"}, "schedule"),
        ({"run_args": {"count": 2}}, "run_args.message"),
        ({"run_args": {"message": "x", "count": "many"}}, "run_args.count"),
        ({"run_args": {"message": "x", "colour": "red"}}, "run_args.colour"),
        ({"run_args": {"message": "x", "since": "soon"}}, "run_args.since"),
        ({"misfire_policy": "whenever"}, "misfire_policy"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"notification_emails": ["not-an-email"]}, "notification_emails.0"),
        ({"notification_statuses": ["QUEUED"]}, "notification_statuses.0"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    app, db, admin_client, overrides, field
):
    """Every field a client can get wrong gives a 400 naming it."""
    from invenio_jobs.models import Job

    before = db.session.query(Job).count()
    res = admin_client.post("/jobs", json=job_data(**overrides))
    assert field in error_fields(res)
    assert db.session.query(Job).count() == before


def test_missing_required_fields(app, db, admin_client):
    """Title and task are required."""
    res = admin_client.post("/jobs", json={})
    assert {"title", "task"} <= error_fields(res)


def test_body_that_is_not_an_object_is_a_400(app, db, admin_client):
    """A JSON list or malformed JSON is refused with 400."""
    res = admin_client.post("/jobs", json=[1, 2])
    assert res.status_code == 400
    res = admin_client.post(
        "/jobs", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 400


def test_update_refuses_bad_input_and_changes_nothing(app, db, admin_client):
    """A bad update is a 400 and the job stays as it was."""
    job = create(admin_client)
    url = f"/jobs/{job['id']}"
    res = admin_client.put(url, json={"schedule": {"type": "crontab", "minute": "99"}})
    assert "schedule.minute" in error_fields(res)
    res = admin_client.put(url, json={"task": "no_args", "title": ""})
    assert "title" in error_fields(res)
    res = admin_client.put(url, json={"run_args": {"message": 5}})
    assert "run_args.message" in error_fields(res)
    again = admin_client.get(url).json
    assert again["schedule"] == job["schedule"]
    assert again["task"] == "mock_echo"
    assert again["run_args"] == job["run_args"]


def test_changing_task_revalidates_the_arguments(app, db, admin_client):
    """Arguments that the new job type does not take are refused."""
    job = create(admin_client)
    res = admin_client.put(f"/jobs/{job['id']}", json={"task": "no_args"})
    assert "run_args.message" in error_fields(res)
    res = admin_client.put(
        f"/jobs/{job['id']}", json={"task": "no_args", "run_args": {}}
    )
    assert res.status_code == 200, res.json
    assert res.json["task"] == "no_args"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", str(uuid.uuid4()), "1"])
def test_unknown_or_malformed_id_is_404(app, db, admin_client, bad_id):
    """Unknown and malformed ids are both "not found"."""
    assert admin_client.get(f"/jobs/{bad_id}").status_code == 404
    assert admin_client.put(f"/jobs/{bad_id}", json={}).status_code == 404
    assert admin_client.delete(f"/jobs/{bad_id}").status_code == 404


def test_search_shape_paging_and_links(app, db, admin_client):
    """The list is InvenioRDM-shaped: hits.hits, hits.total, links, sortBy."""
    for i in range(5):
        create(admin_client, title=f"Paged {i}")
    res = admin_client.get("/jobs?q=Paged&size=2&page=2&sort=title")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["hits"]["total"] == 5
    assert [h["title"] for h in body["hits"]["hits"]] == ["Paged 2", "Paged 3"]
    assert body["sortBy"] == "title"
    assert "page=2" in body["links"]["self"] and "q=Paged" in body["links"]["self"]
    assert "page=3" in body["links"]["next"]
    assert "page=1" in body["links"]["prev"]
    last = admin_client.get("/jobs?q=Paged&size=2&page=3").json
    assert "next" not in last["links"]


def test_search_filters_text_and_active_and_sorts(app, db, admin_client):
    """q matches title or description; active filters; sort orders."""
    create(admin_client, title="Alpha export", description="first")
    create(admin_client, title="Beta", description="exports things")
    off = create(admin_client, title="Gamma export")
    admin_client.put(f"/jobs/{off['id']}", json={"active": False})

    hits = admin_client.get("/jobs?q=export&sort=title").json["hits"]["hits"]
    assert [h["title"] for h in hits] == ["Alpha export", "Beta", "Gamma export"]
    hits = admin_client.get("/jobs?q=export&active=false").json["hits"]["hits"]
    assert [h["title"] for h in hits] == ["Gamma export"]
    hits = admin_client.get("/jobs?q=export&sort=-title").json["hits"]["hits"]
    assert [h["title"] for h in hits][0] == "Gamma export"
    hits = admin_client.get("/jobs?q=export&sort=next_run").json["hits"]["hits"]
    assert hits[-1]["title"] == "Gamma export"  # inactive: no next run, last
    assert admin_client.get("/jobs?q=100%25_").json["hits"]["total"] == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("size=0", "size"),
        ("size=abc", "size"),
        ("size=100000", "size"),
        ("page=0", "page"),
        ("page=99999999999999999999", "page"),
        ("sort=colour", "sort"),
        ("active=maybe", "active"),
    ],
)
def test_search_refuses_bad_query_strings(app, db, admin_client, query, field):
    """Bad paging, sort or filter values are a 400 naming the parameter."""
    assert field in error_fields(admin_client.get(f"/jobs?{query}"))


def test_schedule_preview_lists_next_fire_times(app, db, admin_client):
    """The admin form shows the next five fire times of a schedule."""
    res = admin_client.post(
        "/jobs/schedule-preview",
        json={"schedule": {"type": "crontab", "minute": "0", "hour": "*/6"}},
    )
    assert res.status_code == 200, res.json
    times = res.json["next_runs"]
    assert len(times) == 5
    assert times == sorted(times)
    assert res.json["description"] == "every 6 hours at minute 0 (UTC)"
    res = admin_client.post(
        "/jobs/schedule-preview", json={"schedule": {"type": "crontab", "hour": "25"}}
    )
    assert "schedule.hour" in error_fields(res)


@pytest.mark.parametrize(
    "method, path, anonymous, user",
    [
        ("get", "/jobs", (401, 403), 403),
        ("post", "/jobs", (401, 403), 403),
        ("get", "/jobs/{id}", (404,), 404),
        ("put", "/jobs/{id}", (404,), 404),
        ("delete", "/jobs/{id}", (404,), 404),
        ("post", "/jobs/schedule-preview", (401, 403), 403),
    ],
)
def test_non_administrators_are_refused(
    app, db, client, users, method, path, anonymous, user
):
    """Anonymous users and non-administrators without grants: refused, the job unseen.

    A job they were not granted is not found (404) for them; the list of
    jobs is refused to a logged-in user without any grant, as InvenioRDM's.
    """
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_jobs_service

    job = current_jobs_service.create(system_identity, job_data())
    url = path.format(id=job.id)
    kwargs = {"json": job_data()} if method in ("post", "put") else {}
    res = getattr(client, method)(url, **kwargs)
    assert res.status_code in anonymous

    from invenio_accounts.testutils import login_user_via_session

    login_user_via_session(client, email=users["user"].email)
    res = getattr(client, method)(url, **kwargs)
    assert res.status_code == user
    if user == 200:
        assert res.json["hits"]["hits"] == []
    assert current_jobs_service.read(system_identity, job.id).data["title"]
