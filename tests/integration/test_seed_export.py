# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""InvenioRDM's documented ``ExportRecords``, installed with an entry point.

The ``my_site`` distribution (``tests/seed_site``) declares the job type in
``invenio_jobs.jobs`` as an instance's package does; the app and the worker
find it through ``importlib.metadata``. It is run from the API with
``serializer`` set, as is a job type without an arguments schema.
"""

import os
import sys
import uuid

import pytest
import sqlalchemy as sa
from conftest import wait_until
from seed_site.distribution import EXPORT_JOB, EXPORT_LOG_LINE, EXPORT_RUN_ARGS

from invenio_jobs.models import Run, RunLog


@pytest.fixture(scope="module")
def seed_paths(tmp_path_factory):
    """``my_site`` and its distribution metadata on the import path."""
    from seed_site.distribution import install

    paths = install(tmp_path_factory.mktemp("seed"))
    sys.path[:0] = paths
    yield paths
    for path in paths:
        sys.path.remove(path)


@pytest.fixture(scope="module")
def app_config(app_config, seed_paths):
    """The app is made once the seed is installed."""
    return app_config


@pytest.fixture()
def seed_worker(start_worker, seed_paths, monkeypatch):
    """A worker that imports ``my_site`` and finds its entry point."""
    current = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([*seed_paths, current]))
    return start_worker(concurrency=1)


def run_from_api(admin_client, job, args=None):
    """Create a job and run it now through the API; the run once it ended."""
    created = admin_client.post("/jobs", json=job)
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    started = admin_client.post(f"/jobs/{job_id}/runs", json={"args": args})
    assert started.status_code == 201, started.json

    def ended():
        run = admin_client.get(f"/jobs/{job_id}/runs/{started.json['id']}").json
        return run if run["status"] not in ("QUEUED", "RUNNING") else None

    return wait_until(ended, timeout=60, message="run ended")


def test_seed_export_records_runs_from_the_api(
    app, database, admin_client, seed_worker
):
    """Registered by entry point; ``serializer`` set: SUCCESS, the task got both."""
    types = admin_client.get("/tasks?size=100").json["hits"]["hits"]
    assert "export_records" in {hit["id"] for hit in types}
    run = run_from_api(admin_client, EXPORT_JOB, EXPORT_RUN_ARGS)
    assert run["status"] == "SUCCESS", run["message"]

    def lines():
        database.session.expire_all()
        return database.session.scalars(
            sa.select(RunLog.message).where(RunLog.run_id == uuid.UUID(run["id"]))
        ).all()

    assert EXPORT_LOG_LINE in lines()


def test_job_type_without_schema_runs_from_the_api(
    app, database, admin_client, seed_worker
):
    """``JobType.create(arguments_schema=None, ...)``: created, run, SUCCESS."""
    assert admin_client.get("/tasks/no_schema/args").status_code == 200
    run = run_from_api(admin_client, {"title": "Embargoes", "task": "no_schema"})
    assert run["status"] == "SUCCESS", run["message"]
    database.session.expire_all()
    assert database.session.get(Run, uuid.UUID(run["id"])).args == {}
