# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages answer at InvenioRDM's addresses and view names too.

An upgraded instance keeps its bookmarks, the run links of its notification
e-mails and the ``url_for("administration.<name>")`` calls of other
modules' templates. The UI app renders the pages without built assets (no
manifest): the tests read the page's mount point, not its scripts.
"""

import json
import re
import uuid

import pytest
from flask import url_for
from invenio_access.permissions import system_identity
from invenio_accounts.testutils import login_user_via_session
from invenio_app.factory import create_ui

from invenio_jobs.proxies import current_jobs_service, current_runs_service

create_app = create_ui


@pytest.fixture(scope="module")
def app_config(app_config):
    """The UI app, without a webpack manifest."""
    app_config["WEBPACKEXT_MANIFEST_PATH"] = None
    app_config["APP_THEME"] = ["semantic-ui"]
    return app_config


@pytest.fixture(scope="module")
def job_and_run(app):
    """A job and one run of it (queued: no worker runs here)."""
    job = current_jobs_service.create(
        system_identity, {"title": "Addresses", "task": "no_args"}
    ).to_dict()
    run = current_runs_service.create(system_identity, job["id"], {}).to_dict()
    return str(job["id"]), str(run["id"])


def mount_point(response) -> dict:
    """The ids and links the page gives its React app."""
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


def inveniordm_paths(job_id, run_id):
    """Every address of InvenioRDM's admin pages, for this job and run."""
    return [
        "/administration/jobs",
        "/administration/jobs/create",
        f"/administration/jobs/{job_id}",
        f"/administration/jobs/{job_id}/edit",
        f"/administration/runs/{run_id}",
    ]


def test_inveniordm_view_names_resolve_to_pages_that_answer(
    app, admin_client, job_and_run
):
    """``url_for`` with InvenioRDM's view names gives addresses that answer."""
    job_id, run_id = job_and_run
    with app.test_request_context():
        paths = {
            "jobs": url_for("administration.jobs"),
            "jobs-create": url_for("administration.jobs-create"),
            "jobs-edit": url_for("administration.jobs-edit", pid_value=job_id),
            "job-details": url_for("administration.job-details", pid_value=job_id),
            "run-details": url_for("administration.run-details", pid_value=run_id),
        }
    assert sorted(paths.values()) == sorted(inveniordm_paths(job_id, run_id))
    for name, path in paths.items():
        response = admin_client.get(path)
        assert response.status_code == 200, (name, path)
        assert mount_point(response)


def test_our_view_names_and_addresses_still_answer(app, admin_client, job_and_run):
    """Our own names and addresses stay beside InvenioRDM's."""
    job_id, run_id = job_and_run
    with app.test_request_context():
        paths = [
            url_for("administration.jobs_create"),
            url_for("administration.jobs_edit", pid_value=job_id),
            url_for("administration.jobs_details", pid_value=job_id),
            url_for("administration.jobs_run", pid_value=job_id, run_id=run_id),
        ]
    assert paths[0] == "/administration/jobs/new"
    assert paths[3] == f"/administration/jobs/{job_id}/runs/{run_id}"
    for path in paths:
        assert admin_client.get(path).status_code == 200, path


def test_create_page_at_inveniordm_address_is_the_empty_form(admin_client):
    """``/administration/jobs/create`` is the form, not a job named "create"."""
    page = mount_point(admin_client.get("/administration/jobs/create"))
    assert page["job_id"] is None
    assert page["run_id"] is None


def test_job_pages_at_both_names_give_the_job(admin_client, job_and_run):
    """The job and edit pages hand the job's id to their app."""
    job_id, _ = job_and_run
    for path in (
        f"/administration/jobs/{job_id}",
        f"/administration/jobs/{job_id}/edit",
    ):
        assert mount_point(admin_client.get(path))["job_id"] == job_id


def test_run_page_by_run_id_alone_finds_the_job_of_the_run(admin_client, job_and_run):
    """InvenioRDM's run address shows the same page as ours, for the right job."""
    job_id, run_id = job_and_run
    by_run = mount_point(admin_client.get(f"/administration/runs/{run_id}"))
    ours = mount_point(admin_client.get(f"/administration/jobs/{job_id}/runs/{run_id}"))
    assert by_run == ours
    assert by_run["job_id"] == job_id and by_run["run_id"] == run_id


@pytest.mark.parametrize("run_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_run_page_of_an_unknown_run_is_404(admin_client, run_id):
    """A run id that names no run is a 404, whatever its form."""
    assert admin_client.get(f"/administration/runs/{run_id}").status_code == 404


def test_inveniordm_addresses_need_administration_access(
    app, client, users, job_and_run
):
    """Anonymous users and users without access are refused, as on ours."""
    paths = inveniordm_paths(*job_and_run)
    for path in paths:
        assert client.get(path).status_code in (302, 401, 403), path
    login_user_via_session(client, email=users["user"].email)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "invenio-jobs-app" not in response.get_data(as_text=True)


def test_links_to_admin_pages_answer(app, admin_client, job_and_run):
    """The job's ``self_admin_html`` link and the e-mails' run link answer."""
    job_id, run_id = job_and_run
    job = current_jobs_service.read(system_identity, job_id).to_dict()
    ui = app.config["SITE_UI_URL"]
    for link in (
        job["links"]["self_admin_html"],
        f"{ui}/administration/runs/{run_id}",
        f"{ui}/administration/jobs/{job_id}/runs/{run_id}",
    ):
        path = link[len(ui) :] if link.startswith(ui) else link
        assert admin_client.get(path).status_code == 200, link


def test_menu_has_one_jobs_entry(admin_client):
    """The extra names add no menu entries: "Jobs" appears once."""
    html = admin_client.get("/administration/jobs").get_data(as_text=True)
    assert "admin-side-menu" in html
    assert len(re.findall(r'href="/administration/jobs"', html)) == 1
    assert "/administration/runs/" not in html


def test_log_search_page_is_in_the_menu_and_every_page_links_it(
    app, admin_client, job_and_run
):
    """``/administration/jobs/logs``: a menu entry; the pages know its address."""
    job_id, _ = job_and_run
    with app.test_request_context():
        assert url_for("administration.jobs_logs") == "/administration/jobs/logs"
    response = admin_client.get("/administration/jobs/logs?q=level:ERROR")
    assert response.status_code == 200
    page = mount_point(response)
    assert page["job_id"] is None and page["run_id"] is None
    assert page["config"]["pages"]["logs"] == "/administration/jobs/logs"
    html = response.get_data(as_text=True)
    assert len(re.findall(r'href="/administration/jobs/logs"', html)) == 1
    assert "Search all logs" in html
    details = mount_point(admin_client.get(f"/administration/jobs/{job_id}"))
    assert details["config"]["pages"]["logs"] == "/administration/jobs/logs"


def test_log_search_page_needs_administration_access(app, client, users):
    """Anonymous users and users without access are refused the page."""
    assert client.get("/administration/jobs/logs").status_code in (302, 401, 403)
    login_user_via_session(client, email=users["user"].email)
    assert client.get("/administration/jobs/logs").status_code == 403


def test_inveniordm_view_classes_keep_their_import_paths_names_and_urls():
    """Instances that import or subclass InvenioRDM's view classes find them."""
    from invenio_jobs.administration.jobs import (
        JobsAdminMixin,
        JobsCreateView,
        JobsDetailsView,
        JobsEditView,
        JobsListView,
    )
    from invenio_jobs.administration.runs import RunsDetailsView

    views = {
        view.name: view.url
        for view in (
            JobsListView,
            JobsCreateView,
            JobsEditView,
            JobsDetailsView,
            RunsDetailsView,
        )
    }
    assert views == {
        "jobs": "/jobs",
        "jobs-create": "/jobs/create",
        "jobs-edit": "/jobs/<pid_value>/edit",
        "job-details": "/jobs/<pid_value>",
        "run-details": "/runs/<pid_value>",
    }
    assert issubclass(JobsListView, JobsAdminMixin)
