# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Every route checks one permission per request: never two, never none.

Each check of a policy is a set of grants to expand (three queries without
``ACCESS_CACHE``), so a second one is a cost, and a missing one a hole.
Checks are counted at ``allows``: invenio-access's ``Permission.allows``,
and the job system's policies' own.
"""

import pytest
from invenio_access.permissions import Permission
from test_jobs_resource import create

from invenio_jobs.services.permissions import OneLookupPolicy


@pytest.fixture()
def allows_calls(monkeypatch):
    """Count the permission checks made while the test runs."""
    calls = []
    for klass in (Permission, OneLookupPolicy):
        allows = klass.allows

        def counted(self, identity, allows=allows):
            calls.append(type(self).__name__)
            return allows(self, identity)

        monkeypatch.setattr(klass, "allows", counted)
    return calls


def routes(job_id, run_id):
    """One request of each route of the REST API, as an administrator sends it."""
    job = f"/jobs/{job_id}"
    run = f"{job}/runs/{run_id}"
    schedule = {"type": "interval", "hours": 1}
    return [
        ("get", "/jobs", None),
        ("post", "/jobs", {"title": "Another", "task": "mock_echo"}),
        ("post", "/jobs/schedule-preview", {"schedule": schedule}),
        ("get", "/jobs/stats", None),
        ("get", "/jobs/metrics", None),
        ("get", job, None),
        ("put", job, {"title": "Renamed", "task": "mock_echo"}),
        ("get", f"{job}/access", None),
        ("put", f"{job}/access", {"grants": []}),
        ("get", f"{job}/alerts", None),
        ("get", f"{job}/history", None),
        ("get", f"{job}/runs", None),
        ("post", f"{job}/runs", {}),
        ("get", run, None),
        ("get", f"{run}/logs", None),
        ("get", f"{run}/logs.txt", None),
        ("post", f"{run}/actions/stop", None),
        ("get", "/tasks", None),
        ("get", "/tasks/mock_echo", None),
        ("get", "/tasks/mock_echo/args", None),
        ("get", "/tasks/mock_echo/form", None),
        ("get", f"/logs/jobs?q={run_id}", None),
        ("get", "/jobs/pause", None),
        ("post", "/jobs/actions/pause", {"reason": "Upgrade"}),
        ("post", "/jobs/actions/resume", None),
        ("get", "/jobs/maintenance-windows", None),
        ("post", "/jobs/maintenance-windows", {"title": "W", "cron": "0 1 * * 0"}),
        ("get", f"/jobs/maintenance-windows/{job_id}", None),
        ("put", f"/jobs/maintenance-windows/{job_id}", {"duration": 5}),
        ("delete", f"/jobs/maintenance-windows/{job_id}", None),
        ("delete", run, None),
        ("delete", job, None),
    ]


def test_every_route_checks_one_permission(app, db, admin_client, allows_calls):
    """One permission check per request on every route, whatever it answers."""
    job = create(admin_client)
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    admin_client.get("/jobs")  # the login settles
    for method, url, body in routes(job["id"], run["id"]):
        allows_calls.clear()
        res = getattr(admin_client, method)(url, json=body)
        assert res.status_code < 500, (method, url, res.status_code)
        assert len(allows_calls) == 1, (method, url, res.status_code, allows_calls)


def test_a_refused_request_checks_one_permission(app, db, user_client, allows_calls):
    """A user without grants is refused after one check, or two on a job's routes.

    Routes of no job answer 403 after one check; a job's routes answer 404
    (the job is not theirs to see), after the action's check and, for an
    action other than reading, the read check that tells 404 from 403. The
    lists answer with what the user may see: nothing.
    """
    job_id = "8e0b5f55-1d7a-4f4a-9a51-0e2b6c7d8e9f"
    for method, url, body in routes(job_id, "9f1c6a66-2e8b-4a5b-8b62-1f3c7d8e9fa0"):
        if url == "/jobs/metrics":
            continue  # asks an anonymous or refused caller to authenticate
        allows_calls.clear()
        res = getattr(user_client, method)(url, json=body)
        if url == "/jobs" and method == "get" or url.startswith("/logs/jobs"):
            # Without any grant: refused, as InvenioRDM refuses the list.
            assert res.status_code == 403, (method, url, res.status_code)
            assert len(allows_calls) == 1, (method, url, allows_calls)
        elif url.startswith(f"/jobs/{job_id}"):
            assert res.status_code == 404, (method, url, res.status_code)
            assert 1 <= len(allows_calls) <= 2, (method, url, allows_calls)
        else:
            assert res.status_code == 403, (method, url, res.status_code)
            assert len(allows_calls) == 1, (method, url, allows_calls)
