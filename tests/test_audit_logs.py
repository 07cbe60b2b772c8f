# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The history, also written to invenio-audit-logs: the real module, no search server.

On PostgreSQL, as InvenioRDM runs. What is checked here: the actions are registered through the entry points;
each change through the API and the command line writes one audit-log row
with the action, the job, who acted and the details; a change rolled back
writes none; nothing is written unless invenio-audit-logs and
``JOBS_AUDIT_LOGS_ENABLED`` are on; the search server being absent costs one
warning line, never the change. What needs a search server (the entries
found by the audit-logs search and its admin page) is not checked here.
"""

import logging

import pytest
import sqlalchemy as sa
from invenio_records_permissions.generators import Disable
from invenio_records_permissions.policies import BasePermissionPolicy

from invenio_jobs.audit_logs import AUDIT_ACTION_IDS
from invenio_jobs.job_events import JobAction

pytestmark = [pytest.mark.usefixtures("empty_tables"), pytest.mark.postgresql]


@pytest.fixture()
def audit_logs_on(app, monkeypatch):
    """invenio-audit-logs switched on; its rows removed afterwards."""
    from invenio_audit_logs.records.models import AuditLog
    from invenio_db import db

    def delete_rows():
        db.session.rollback()
        db.session.execute(sa.delete(AuditLog))
        db.session.commit()

    delete_rows()
    monkeypatch.setitem(app.config, "AUDIT_LOGS_ENABLED", True)
    monkeypatch.setattr("invenio_jobs.audit_logs._search_down_until", 0.0)
    yield
    delete_rows()


def audit_rows(action=None):
    """The audit-log rows written, oldest first: (action, resource id, json)."""
    from invenio_audit_logs.records.models import AuditLog
    from invenio_db import db

    statement = sa.select(AuditLog).order_by(AuditLog.created, AuditLog.id)
    if action:
        statement = statement.where(AuditLog.action == action)
    return [
        (row.action, row.json["resource"]["id"], row.json)
        for row in db.session.scalars(statement)
    ]


def create_job(client, **values):
    """A job created through the API; its JSON."""
    data = {"title": "Nightly echo", "task": "mock_echo", "run_args": {"message": "hi"}}
    res = client.post("/jobs", json={**data, **values})
    assert res.status_code == 201, res.json
    return res.json


def test_every_kind_of_history_entry_has_a_registered_action(app):
    """Loaded by invenio-audit-logs from this package's entry points."""
    registry = app.extensions["invenio-audit-logs"].actions_registry
    assert set(AUDIT_ACTION_IDS) == {action.value for action in JobAction}
    for action_id in AUDIT_ACTION_IDS.values():
        assert registry[action_id].id == action_id
        assert registry[action_id].resource_type == "job"


def test_api_changes_are_written_with_who_and_what(
    app, db, admin_client, users, audit_logs_on, monkeypatch
):
    """Create, update, deactivate, run now: one row each, with the details."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])
    job = create_job(admin_client)
    job_id = job["id"]
    res = admin_client.put(f"/jobs/{job_id}", json={"title": "Renamed"})
    assert res.status_code == 200, res.json
    res = admin_client.put(f"/jobs/{job_id}", json={"active": False})
    assert res.status_code == 200, res.json
    res = admin_client.post(
        f"/jobs/{job_id}/runs", json={"args": {"message": "now", "count": 2}}
    )
    assert res.status_code == 201, res.json
    rows = audit_rows()
    assert [(action, resource) for action, resource, _ in rows] == [
        ("job.create", job_id),
        ("job.update", job_id),
        ("job.deactivate", job_id),
        ("job.run_now", job_id),
    ]
    created, updated, _, run_now = (data for _, _, data in rows)
    admin = users["admin"].user
    assert created["user"] == {
        "id": str(admin.id),
        "username": "admin",
        "email": "admin@example.org",
    }
    assert created["resource"] == {"id": job_id, "type": "job"}
    assert created["metadata"]["source"] == "api"
    assert created["metadata"]["job_title"] == "Nightly echo"
    assert created["metadata"]["ip_address"]
    assert updated["metadata"]["details"] == {
        "title": {"old": "Nightly echo", "new": "Renamed"}
    }
    assert run_now["metadata"]["details"]["run_id"] == res.json["id"]
    assert run_now["metadata"]["details"]["args"]["message"] == "now"


def test_command_line_changes_are_written_as_the_system(app, db, invoke, audit_logs_on):
    """Through the CLI, as the system: source ``cli``, the system user."""
    from helpers import service_job

    from invenio_jobs.proxies import current_jobs_service

    job_id = service_job(task="mock_echo", run_args={"message": "hi"})
    result = invoke("deactivate", job_id)
    assert result.exit_code == 0, result.output
    assert current_jobs_service.get_job(job_id).active is False
    (deactivated,) = audit_rows("job.deactivate")
    data = deactivated[2]
    assert data["metadata"]["source"] == "cli"
    assert data["user"]["id"] == "system"


def test_a_change_rolled_back_writes_nothing(app, db, audit_logs_on):
    """The row joins the change's transaction: rolled back with it."""
    from helpers import make_job

    from invenio_jobs.job_events import add_job_event

    job = make_job(db.session)
    add_job_event(job.id, JobAction.CREATED, "api", job_title=job.title)
    db.session.rollback()
    assert audit_rows() == []


def test_nothing_is_written_unless_both_switches_are_on(
    app, db, admin_client, monkeypatch, audit_logs_on
):
    """``AUDIT_LOGS_ENABLED`` off, or ``JOBS_AUDIT_LOGS_ENABLED`` off: no row."""
    monkeypatch.setitem(app.config, "AUDIT_LOGS_ENABLED", False)
    create_job(admin_client)
    monkeypatch.setitem(app.config, "AUDIT_LOGS_ENABLED", True)
    monkeypatch.setitem(app.config, "JOBS_AUDIT_LOGS_ENABLED", False)
    create_job(admin_client)
    assert audit_rows() == []
    monkeypatch.setitem(app.config, "JOBS_AUDIT_LOGS_ENABLED", True)
    monkeypatch.setitem(app.config, "AUDIT_LOGS_DISABLED_ACTIONS", {"job.create"})
    job_id = create_job(admin_client)["id"]
    assert admin_client.put(f"/jobs/{job_id}", json={"title": "B"}).status_code == 200
    assert [action for action, _, _ in audit_rows()] == ["job.update"]


def test_no_search_server_is_one_warning_and_the_change_holds(
    app, db, admin_client, audit_logs_on, caplog, monkeypatch
):
    """The rows are committed; indexing fails in one line, then waits a while."""
    with caplog.at_level(logging.WARNING, logger="invenio_jobs.audit_logs"):
        job_id = create_job(admin_client)["id"]
        res = admin_client.put(f"/jobs/{job_id}", json={"title": "Renamed"})
        assert res.status_code == 200, res.json
    warnings = [
        record for record in caplog.records if record.name == "invenio_jobs.audit_logs"
    ]
    assert len(warnings) == 1  # the update was not sent to the server
    assert "not indexed for 60 s" in warnings[0].getMessage()
    assert warnings[0].exc_info is None
    assert [row[:2] for row in audit_rows()] == [
        ("job.create", job_id),
        ("job.update", job_id),
    ]
    monkeypatch.setattr("invenio_jobs.audit_logs._search_down_until", 0.0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="invenio_jobs.audit_logs"):
        res = admin_client.put(f"/jobs/{job_id}", json={"active": False})
        assert res.status_code == 200, res.json
    assert [r.name for r in caplog.records].count("invenio_jobs.audit_logs") == 1


def test_grants_and_run_again_are_written_too(
    app, db, admin_client, users, audit_logs_on, monkeypatch
):
    """A grant names its subject and permission; run again its source run."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])
    job_id = create_job(admin_client)["id"]
    from invenio_accounts.models import User

    curator = str(User.query.filter_by(email="user@example.org").one().id)
    grant = {"subject": {"type": "user", "id": curator}, "permission": "read"}
    res = admin_client.put(f"/jobs/{job_id}/access", json={"grants": [grant]})
    assert res.status_code == 200, res.json
    first = admin_client.post(f"/jobs/{job_id}/runs", json={}).json
    res = admin_client.post(f"/jobs/{job_id}/runs/{first['id']}/actions/run-again")
    assert res.status_code == 201, res.json
    (granted,) = audit_rows("job.grant")
    assert granted[2]["metadata"]["details"]["permission"] == "read"
    assert granted[2]["metadata"]["details"]["subject"]["id"] == curator
    (again,) = audit_rows("job.run_again")
    assert again[1] == job_id
    assert again[2]["metadata"]["details"]["source_run_id"] == first["id"]
    assert again[2]["metadata"]["details"]["run_id"] == res.json["id"]


class RefuseAuditLogs(BasePermissionPolicy):
    """An audit-log policy that lets nobody write (a broken setup)."""

    can_create = [Disable()]


def test_an_audit_log_that_cannot_be_written_never_stops_the_change(
    app, db, admin_client, audit_logs_on, monkeypatch, caplog
):
    """The audit-logs service refuses: one warning line; the job and history stay."""
    monkeypatch.setitem(app.config, "AUDIT_LOGS_PERMISSION_POLICY", RefuseAuditLogs)
    with caplog.at_level(logging.WARNING, logger="invenio_jobs.audit_logs"):
        job_id = create_job(admin_client)["id"]
    assert admin_client.get(f"/jobs/{job_id}").status_code == 200
    res = admin_client.get(f"/jobs/{job_id}/history")
    assert [hit["action"] for hit in res.json["hits"]["hits"]] == ["created"]
    assert audit_rows() == []
    (warning,) = [r for r in caplog.records if r.name == "invenio_jobs.audit_logs"]
    assert "Could not write the audit-log entry job.create" in warning.getMessage()
    assert warning.exc_info is None
