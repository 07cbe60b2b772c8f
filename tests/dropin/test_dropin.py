# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Our package in place of InvenioRDM's, in that InvenioRDM release's install.

InvenioRDM's app factory starts with it, the administration has its pages
(for administrators only), the REST API answers, and the job types of the
release's invenio-rdm-records and invenio-vocabularies are listed, described
and run by a worker, as is the instance's own ``ExportRecords``.
"""

import importlib.metadata
import re
import uuid

import pytest
from conftest import LINE
from mock_module.jobs import write_local_source
from processes import wait_until
from seed_site.distribution import EXPORT_JOB, EXPORT_LOG_LINE, EXPORT_RUN_ARGS

from invenio_jobs.models import RunStatusEnum

MAJORS = {"v13": "5", "v14": "10", "v15": "11"}

ENDED = {status.name for status in RunStatusEnum.finished()}


def test_the_installed_invenio_jobs_is_ours_of_this_line(app):
    """pip kept our wheel of this line; the app's extension is ours."""
    import invenio_jobs

    version = importlib.metadata.version("invenio-jobs")
    assert version.split(".")[:2] == [MAJORS[LINE], "90"]
    assert invenio_jobs.__version__ == version
    extension = app.extensions["invenio-jobs"]
    assert type(extension).__module__ == "invenio_jobs.ext"
    assert app.extensions["invenio-jobs"].runs_service is not None


def test_administration_menu_has_jobs(admin_client):
    """The administration's menu links to the jobs list, named Jobs."""
    page = admin_client.get("/administration/jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(
        r'<a[^>]*href="/administration/jobs"[^>]*>\s*(<i[^>]*></i>)?\s*Jobs\s*</a>',
        html,
    ), "no Jobs entry in the administration menu"


@pytest.fixture(scope="module")
def job_and_run(app):
    """A job and a run of it (queued: no worker runs during these checks)."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_jobs_service, current_runs_service

    with app.app_context():
        job = current_jobs_service.create(
            system_identity, {"title": "Pages", "task": "export_records"}
        )
        run = current_runs_service.create(system_identity, job.id, {})
        return job.id, run.id


def admin_pages(job_id, run_id):
    """Our pages at InvenioRDM's addresses and ours."""
    return [
        "/administration/jobs",
        "/administration/jobs/create",
        "/administration/jobs/new",
        f"/administration/jobs/{job_id}",
        f"/administration/jobs/{job_id}/edit",
        f"/administration/runs/{run_id}",
        f"/administration/jobs/{job_id}/runs/{run_id}",
    ]


def test_admin_pages_render_for_an_administrator(admin_client, job_and_run):
    """Each page answers with our app's mount point."""
    for path in admin_pages(*job_and_run):
        page = admin_client.get(path)
        assert page.status_code == 200, path
        assert 'id="invenio-jobs-app"' in page.get_data(as_text=True), path


def test_admin_pages_refuse_others(user_client, anonymous_client, job_and_run):
    """A user without administration rights, and nobody signed in: refused.

    The refusal is the administration's own (403, or a redirect to log in).
    """
    for path in admin_pages(*job_and_run):
        assert user_client.get(path).status_code == 403, path
        answer = anonymous_client.get(path)
        assert answer.status_code in (302, 401, 403), (path, answer.status_code)
        assert 'id="invenio-jobs-app"' not in answer.get_data(as_text=True)
        if answer.status_code == 302:
            assert "login" in answer.headers["Location"], path


def test_admin_views_know_the_api_address(app):
    """Each administration release finds the jobs API of our list view."""
    from invenio_jobs.administration.jobs import JobsListView

    with app.test_request_context(base_url="https://localhost"):
        assert JobsListView().get_api_endpoint().endswith("/api/jobs")


def test_rest_api_answers(admin_client, user_client, anonymous_client):
    """Create, read and list jobs; others are refused with JSON."""
    created = admin_client.post(
        "/api/jobs", json={"title": "Over REST", "task": "export_records"}
    )
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    read = admin_client.get(f"/api/jobs/{job_id}")
    assert (read.status_code, read.json["title"]) == (200, "Over REST")
    listed = admin_client.get("/api/jobs", query_string={"q": "Over REST"})
    assert [hit["id"] for hit in listed.json["hits"]["hits"]] == [job_id]
    assert admin_client.get(f"/api/jobs/{uuid.uuid4()}").status_code == 404
    refused = user_client.get("/api/jobs")
    assert refused.status_code == 403 and "message" in refused.json
    assert anonymous_client.get("/api/jobs").status_code in (401, 403)


def release_job_types() -> dict:
    """The ids of the job types this release's modules declare, by distribution.

    A job type's own ``id``, or else its entry point's name.
    """
    found = {}
    for entry_point in importlib.metadata.entry_points(group="invenio_jobs.jobs"):
        job_id = getattr(entry_point.load(), "id", None) or entry_point.name
        found.setdefault(entry_point.dist.name, set()).add(job_id)
    return found


def test_release_job_types_are_listed_with_their_forms(admin_client):
    """invenio-rdm-records' and invenio-vocabularies' job types, each described."""
    declared = release_job_types()
    expected = declared["invenio-rdm-records"] | declared["invenio-vocabularies"]
    assert "update_expired_embargos" in expected
    listed = admin_client.get("/api/tasks?size=100").json["hits"]["hits"]
    assert expected <= {hit["id"] for hit in listed}
    for job_type in sorted(expected):
        for suffix in ("args", "form"):
            answer = admin_client.get(f"/api/tasks/{job_type}/{suffix}")
            assert answer.status_code == 200, (job_type, suffix, answer.json)


def run_now(admin_client, job, args=None, timeout=120):
    """Create a job and run it through the API; the run once it has ended."""
    created = admin_client.post("/api/jobs", json=job)
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    started = admin_client.post(f"/api/jobs/{job_id}/runs", json={"args": args})
    assert started.status_code == 201, started.json
    run_path = f"/api/jobs/{job_id}/runs/{started.json['id']}"

    def ended():
        run = admin_client.get(run_path).json
        return run if run["status"] in ENDED else None

    return wait_until(ended, timeout=timeout, message="the run ended")


def log_messages(admin_client, run_id) -> list:
    """The messages of a run's log."""
    hits = admin_client.get(f"/api/logs/jobs?q={run_id}").json["hits"]["hits"]
    return [hit["message"] for hit in hits]


def test_the_instance_export_records_runs(admin_client, start_worker):
    """The seed's ``ExportRecords`` (trailing comma included): SUCCESS."""
    start_worker()
    run = run_now(admin_client, EXPORT_JOB, EXPORT_RUN_ARGS)
    assert run["status"] == "SUCCESS", run["message"]
    wait_until(
        lambda: EXPORT_LOG_LINE in log_messages(admin_client, run["id"]),
        message="the task's line in the run's log",
    )


def test_vocabularies_datastream_runs(admin_client, start_worker, tmp_path):
    """A vocabularies datastream (local ZIP, async YAML writer) ends its run.

    One entry cannot be read: PARTIAL_SUCCESS with the datastream's message,
    as this release's invenio-vocabularies raises it. The writer tasks it
    sends write the three others; releases that count them (14 and later)
    count them as the run's subtasks.
    """
    source = write_local_source(tmp_path / "source.zip")
    target = tmp_path / "written.yaml"
    start_worker()
    run = run_now(
        admin_client,
        {
            "title": "Local datastream",
            "task": "local_datastream",
            "run_args": {"source": str(source), "target": str(target)},
        },
    )
    assert run["status"] == "PARTIAL_SUCCESS", run["message"]
    assert "1 entries with errors" in run["message"]

    def written():
        lines = target.read_text().splitlines() if target.exists() else []
        return sorted(line for line in lines if line.startswith("- id:"))

    wait_until(lambda: len(written()) == 3, message="three entries written")
    assert written() == ["- id: a", "- id: b", "- id: c"]
    if LINE != "v13":
        assert (run["total_subtasks"], run["completed_subtasks"]) == (3, 3)


def test_embargo_job_runs_its_task(admin_client, start_worker):
    """invenio-rdm-records' embargo job: the worker runs the release's task.

    Its task searches the records, and no search server runs here: the run
    ends FAILED with the search client's connection error, which shows that
    InvenioRDM's own task ran (with a search server it lifts the embargoes).
    """
    start_worker()
    run = run_now(
        admin_client, {"title": "Embargoes", "task": "update_expired_embargos"}
    )
    assert run["status"] == "FAILED"
    assert "Connection" in run["message"], run["message"]
