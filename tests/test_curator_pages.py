# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The curator pages: a job's and its runs' pages outside the admin UI.

The UI app renders the pages without built assets (no manifest): the tests
read what each page gives its React app; the browser tests run the apps.
"""

import json
import re
import uuid

import pytest
from invenio_access.models import ActionUsers
from invenio_access.permissions import system_identity
from invenio_accounts.testutils import login_user_via_session
from invenio_app.factory import create_ui

from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.services.grants import job_action

create_app = create_ui


@pytest.fixture(scope="module")
def app_config(app_config):
    """The UI app, without a webpack manifest."""
    app_config["WEBPACKEXT_MANIFEST_PATH"] = None
    app_config["APP_THEME"] = ["semantic-ui"]
    return app_config


@pytest.fixture(scope="module")
def jobs(app, database, users):
    """Jobs A (``read`` granted to the plain user) and B, a run of each."""
    made = {}
    for name in ("A", "B"):
        job = current_jobs_service.create(
            system_identity, {"title": f"Job {name}", "task": "no_args"}
        ).to_dict()
        run = current_runs_service.create(system_identity, job["id"], {}).to_dict()
        made[name] = (str(job["id"]), str(run["id"]))
    database.session.add(
        ActionUsers.allow(job_action("read", made["A"][0]), user_id=users["user"].id)
    )
    database.session.commit()
    return made


def mount_point(response) -> dict:
    """What the page gives its React app."""
    html = response.get_data(as_text=True)
    tag = re.search(r'<div id="invenio-jobs-app"[^>]*>', html)
    assert tag, "the page has no jobs app"

    def attribute(name):
        value = re.search(name + r"='([^']*)'", tag.group(0)).group(1)
        return json.loads(value.replace("&#34;", '"').replace("&#39;", "'"))

    return {
        "job_id": attribute("data-job-id"),
        "run_id": attribute("data-run-id"),
        "config": attribute("data-config"),
    }


def test_a_reader_opens_the_pages_of_the_job_granted(app, client, users, jobs):
    """List, job page and run page of A; B is not found; no Run now."""
    (a, a_run), (b, b_run) = jobs["A"], jobs["B"]
    login_user_via_session(client, email=users["user"].email)

    listed = client.get("/jobs")
    assert listed.status_code == 200
    html = listed.get_data(as_text=True)
    assert f'href="/jobs/{a}"' in html and "Job A" in html
    assert "Job B" not in html

    page = client.get(f"/jobs/{a}")
    assert page.status_code == 200
    mounted = mount_point(page)
    assert mounted["job_id"] == a
    assert mounted["config"]["pages"] == {
        "list": "/jobs",
        "job": "/jobs/{id}",
        "run": "/jobs/{id}/runs/{run_id}",
    }
    assert mounted["config"]["can_run"] is False
    assert mounted["config"]["can_manage"] is False
    assert (
        "/administration"
        not in page.get_data(as_text=True)
        .split('id="invenio-jobs-app"')[1]
        .split(">")[0]
    )

    run_page = client.get(f"/jobs/{a}/runs/{a_run}")
    assert run_page.status_code == 200
    assert mount_point(run_page)["run_id"] == a_run

    assert client.get(f"/jobs/{b}").status_code == 404
    assert client.get(f"/jobs/{b}/runs/{b_run}").status_code == 404
    assert client.get(f"/jobs/{a}/runs/{b_run}").status_code == 404
    assert client.get(f"/jobs/{uuid.uuid4()}").status_code == 404
    assert client.get("/administration/jobs").status_code == 403


def test_a_runner_is_offered_run_now(app, client, users, jobs, database):
    """``run`` on the job: the page says Run now and Stop are allowed."""
    a, a_run = jobs["A"]
    grant = ActionUsers.allow(job_action("run", a), user_id=users["user"].id)
    database.session.add(grant)
    database.session.commit()
    try:
        login_user_via_session(client, email=users["user"].email)
        assert mount_point(client.get(f"/jobs/{a}"))["config"]["can_run"] is True
        run_page = mount_point(client.get(f"/jobs/{a}/runs/{a_run}"))
        assert run_page["config"]["can_run"] is True
    finally:
        database.session.delete(grant)
        database.session.commit()


def test_an_administrator_may_do_everything_there(app, client, users, jobs):
    """Administrators open every job's curator page, with every right."""
    b, __ = jobs["B"]
    login_user_via_session(client, email=users["admin"].email)
    mounted = mount_point(client.get(f"/jobs/{b}"))
    assert mounted["config"]["can_run"] is True
    assert mounted["config"]["can_manage"] is True
    listed = client.get("/jobs").get_data(as_text=True)
    assert "Job A" in listed and "Job B" in listed


def test_anonymous_visitors_are_sent_to_log_in(app, client, jobs):
    """Without a login, the pages ask for one."""
    a, __ = jobs["A"]
    res = client.get(f"/jobs/{a}")
    assert res.status_code in (302, 401)
    if res.status_code == 302:
        assert "login" in res.headers["Location"]
