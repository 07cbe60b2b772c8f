# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Runs executed by a real Celery worker process, through Redis and PostgreSQL."""

import uuid

from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service


def _status(run_id):
    db.session.remove()
    return db.session.get(Run, uuid.UUID(str(run_id))).status


def _job(**overrides):
    data = {"title": "Controlled", "task": "mock_controlled", "run_args": {}}
    data.update(overrides)
    return current_jobs_service.create(system_identity, data)


def test_run_now_is_executed_by_a_worker_and_reads_back(app, start_worker):
    """POST run -> QUEUED -> a worker takes it -> SUCCESS, read through the API."""
    start_worker()
    job_id = _job().id
    run = current_runs_service.create(system_identity, job_id, {})
    run_id = run.id
    assert run.data["status"] in ("QUEUED", "RUNNING", "SUCCESS")
    wait_until(
        lambda: _status(run_id) is RunStatusEnum.SUCCESS, message="run succeeded"
    )
    done = current_runs_service.read(system_identity, job_id, run_id).data
    assert done["status"] == "SUCCESS"
    assert done["started_at"] and done["finished_at"]
    assert done["started_by"]["id"] == "system"


def test_failure_and_partial_success_in_a_worker(app, start_worker):
    """A failing task ends FAILED with its traceback; a partial one PARTIAL_SUCCESS."""
    start_worker()
    job_id = _job().id
    failed = current_runs_service.create(
        system_identity, job_id, {"args": {"fail": True}}
    ).id
    partial = current_runs_service.create(
        system_identity, job_id, {"args": {"partial": 3}}
    ).id
    wait_until(lambda: _status(failed) is RunStatusEnum.FAILED, message="failed")
    wait_until(
        lambda: _status(partial) is RunStatusEnum.PARTIAL_SUCCESS, message="partial"
    )
    failed = db.session.get(Run, uuid.UUID(failed))
    assert "RuntimeError: asked to fail" in failed.message
    assert "Traceback" in failed.message
    partial = db.session.get(Run, uuid.UUID(partial))
    assert partial.errored_entries == 3
    assert partial.message == "3 entries failed"
