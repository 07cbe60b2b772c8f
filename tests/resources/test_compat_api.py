# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""REST clients written for InvenioRDM's invenio-jobs work unchanged."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from test_jobs_resource import create, error_fields

from invenio_jobs.models import Run, RunLog, RunStatusEnum

START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def _run(db, job_id, **values):
    defaults = dict(
        id=uuid.uuid4(),
        job_id=uuid.UUID(job_id),
        queue="celery",
        status=RunStatusEnum.SUCCESS,
        task_id=str(uuid.uuid4()),
        created=START,
        updated=START,
    )
    defaults.update(values)
    run = Run(**defaults)
    db.session.add(run)
    db.session.commit()
    return run


def test_inveniordm_admin_body_creates_and_edits_a_job(app, db, admin_client):
    """``args`` (with ``job_arg_schema``), ``custom_args`` text, ``default_args``."""
    body = {
        "title": "From the InvenioRDM form",
        "task": "mock_echo",
        "active": False,
        "default_args": '{"ignored": true}',
        "args": {"job_arg_schema": "EchoArgsSchema", "message": "hi", "count": 2},
        "custom_args": '{"message": "verbatim"}',
    }
    res = admin_client.post("/jobs", json=body)
    assert res.status_code == 201, res.json
    job = res.json
    assert job["run_args"]["message"] == "hi" and job["run_args"]["count"] == 2
    assert job["run_args"]["custom_args"] == {"message": "verbatim"}
    assert "job_arg_schema" not in job["run_args"]
    assert job["args"] == job["run_args"]
    # custom_args are the task's arguments verbatim: what a run would get.
    assert json.loads(job["default_args"]) == {"message": "verbatim"}
    assert job["default_queue"] == "celery"

    res = admin_client.put(
        f"/jobs/{job['id']}", json={"args": {"message": "again"}, "custom_args": ""}
    )
    assert res.status_code == 200, res.json
    # Without new custom_args, the stored ones stay, as in InvenioRDM.
    assert res.json["run_args"]["message"] == "again"
    assert res.json["run_args"]["custom_args"] == {"message": "verbatim"}


def test_default_args_is_what_the_next_run_gets(app, db, admin_client):
    """``default_args``: JSON text of the task's arguments, ``since`` included."""
    job = create(admin_client, run_args={"message": "hello"})
    assert json.loads(job["default_args"]) == {
        "since": None,
        "message": "hello",
        "count": 1,
    }
    started = START + timedelta(hours=1)
    _run(db, job["id"], started_at=started, finished_at=started)
    for read in (
        admin_client.get(f"/jobs/{job['id']}").json,
        next(
            h
            for h in admin_client.get("/jobs?q=Nightly").json["hits"]["hits"]
            if h["id"] == job["id"]
        ),
    ):
        assert json.loads(read["default_args"])["since"] == started.isoformat()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"custom_args": "{not json"}, "custom_args"),
        ({"custom_args": "[1, 2]"}, "custom_args"),
        ({"args": "text"}, "args"),
    ],
)
def test_bad_inveniordm_bodies_are_refused_with_the_field(
    app, db, admin_client, body, field
):
    """Broken ``custom_args`` or ``args`` are a 400 naming the field."""
    data = {"title": "Bad", "task": "mock_echo", **body}
    if "args" not in body:
        data["args"] = {"message": "hi"}
    assert field in error_fields(admin_client.post("/jobs", json=data))


def test_default_queue_follows_the_setting(app, db, admin_client, monkeypatch):
    """No queue given: the job gets ``current_jobs.default_queue``."""
    monkeypatch.setitem(app.config, "JOBS_DEFAULT_QUEUE", "low")
    res = admin_client.post(
        "/jobs", json={"title": "Q", "task": "no_args", "schedule": None}
    )
    assert res.status_code == 201, res.json
    assert res.json["default_queue"] == "low"


def test_interval_with_milliseconds_and_weeks_is_stored(app, db, admin_client):
    """InvenioRDM's ``{"type": "interval", <timedelta kwargs>}`` is accepted."""
    schedule = {"type": "interval", "weeks": 1, "milliseconds": 250}
    job = create(admin_client, schedule=schedule)
    assert job["schedule"] == schedule
    assert job["schedule_description"] == "every 1 week and 250 milliseconds"
    micro = create(admin_client, schedule={"type": "interval", "microseconds": 10})
    assert micro["schedule"] == {"type": "interval", "microseconds": 10}


def test_sort_by_jobs_and_user(app, db, admin_client, users):
    """``sort=jobs`` is by title; ``sort=user`` by who started the last run."""
    suffix = uuid.uuid4().hex[:6]
    by_admin = create(admin_client, title=f"B {suffix}")
    by_system = create(admin_client, title=f"A {suffix}")
    _run(db, by_admin["id"], started_by_id=users["admin"].id)
    _run(db, by_system["id"])

    def order(query):
        res = admin_client.get(f"/jobs?q={suffix}&{query}")
        assert res.status_code == 200, res.json
        return [h["title"][0] for h in res.json["hits"]["hits"]]

    assert order("sort=jobs") == ["A", "B"]
    assert order("sort=jobs&sort_direction=desc") == ["B", "A"]
    assert order("sort=user") == ["B", "A"]  # the system sorts last
    assert "sort" in error_fields(admin_client.get("/jobs?sort=bogus"))


def test_run_json_has_inveniordm_fields(app, db, admin_client, users):
    """``started_by_id``, ``started_by`` (user dump), ``task_id``, counters."""
    job = create(admin_client)
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    admin = users["admin"]
    assert run["started_by_id"] == int(admin.id)
    started_by = run["started_by"]
    assert started_by["id"] == str(admin.id)
    assert started_by["username"] == "admin"
    assert started_by["email"] == "admin@example.org"
    assert started_by["is_current_user"] is True
    assert isinstance(started_by["profile"], dict)
    assert started_by["preferences"]["visibility"]
    assert run["task_id"]
    assert run["failed_subtasks"] == 0 and "errored_subtasks" not in run
    assert run["subtasks"] == []

    system = _run(db, job["id"])
    read = admin_client.get(f"/jobs/{job['id']}/runs/{system.id}").json
    assert read["started_by_id"] is None
    assert read["started_by"]["id"] == "system"
    assert read["started_by"]["is_ghost"] is True


def test_subtasks_are_listed_bounded_and_left_out_of_the_history(
    app, db, admin_client, monkeypatch
):
    """A run lists its first subtasks; the history shows top-level runs."""
    monkeypatch.setitem(app.config, "JOBS_RUN_SUBTASKS_DUMPED", 2)
    job = create(admin_client)
    parent = _run(db, job["id"], total_subtasks=3, completed_subtasks=3)
    children = [
        _run(
            db,
            job["id"],
            parent_run_id=parent.id,
            created=START + timedelta(seconds=i + 1),
            title=f"child {i}",
        )
        for i in range(3)
    ]
    read = admin_client.get(f"/jobs/{job['id']}/runs/{parent.id}").json
    assert [s["title"] for s in read["subtasks"]] == ["child 0", "child 1"]
    assert read["total_subtasks"] == 3
    assert "subtasks" not in read["subtasks"][0]

    history = admin_client.get(f"/jobs/{job['id']}/runs").json
    assert [h["id"] for h in history["hits"]["hits"]] == [str(parent.id)]
    assert len(history["hits"]["hits"][0]["subtasks"]) == 2
    everything = admin_client.get(f"/jobs/{job['id']}/runs?include_subtasks=true")
    assert everything.json["hits"]["total"] == 4
    only = admin_client.get(f"/jobs/{job['id']}/runs?parent_run_id={parent.id}")
    assert {h["id"] for h in only.json["hits"]["hits"]} == {str(c.id) for c in children}
    found = admin_client.get(f"/jobs/{job['id']}/runs?q={children[1].task_id}")
    assert found.json["hits"]["total"] == 0  # a subtask: not in the history
    found = admin_client.get(
        f"/jobs/{job['id']}/runs?q={children[1].task_id}&include_subtasks=1"
    )
    assert [h["id"] for h in found.json["hits"]["hits"]] == [str(children[1].id)]
    oldest = admin_client.get(
        f"/jobs/{job['id']}/runs?include_subtasks=true&sort=created&sort_direction=asc"
    ).json["hits"]["hits"]
    assert oldest[0]["id"] == str(parent.id)


def test_stopping_a_finished_run_is_a_400(app, db, admin_client):
    """InvenioRDM's ``RunStatusChangeError``: a clear 400."""
    job = create(admin_client)
    done = _run(db, job["id"])
    res = admin_client.post(f"/jobs/{job['id']}/runs/{done.id}/actions/stop")
    assert res.status_code == 400
    assert "SUCCESS" in res.json["message"]


def test_run_now_with_custom_args_text(app, db, admin_client):
    """The run form's ``custom_args`` (JSON text) reach the run's arguments."""
    job = create(admin_client)
    res = admin_client.post(
        f"/jobs/{job['id']}/runs",
        json={"title": "Custom", "custom_args": '{"message": "as is"}'},
    )
    assert res.status_code == 201, res.json
    assert res.json["args"]["custom_args"] == {"message": "as is"}
    bad = admin_client.post(f"/jobs/{job['id']}/runs", json={"custom_args": "{"})
    assert "custom_args" in error_fields(bad)


def test_task_arguments_in_inveniordm_shape(app, db, admin_client):
    """``/api/tasks/<id>/args``: field name to InvenioRDM's description."""
    args = admin_client.get("/tasks/mock_echo/args").json
    message = args["message"]
    assert set(message) >= {
        "type",
        "required",
        "title",
        "metadata",
        "load_default",
        "dump_default",
        "readOnly",
        "createOnly",
    }
    assert message["type"] == "string" and message["required"] is True
    assert message["metadata"]["description"] == "What to say"
    assert args["count"]["type"] == "integer" and args["count"]["load_default"] == 1
    assert args["since"]["type"] == "datetime"
    assert args["job_arg_schema"]["metadata"] == {"type": "hidden"}


@pytest.fixture()
def job_logs(db, admin_client):
    """A job with two runs and their log lines, written as the handler does."""
    job = create(admin_client)
    first = _run(db, job["id"], created=START)
    second = _run(db, job["id"], created=START + timedelta(minutes=1))
    lines = []
    for run, count in ((first, 3), (second, 2)):
        for i in range(count):
            lines.append(
                RunLog(
                    run_id=run.id,
                    timestamp=START + timedelta(minutes=len(lines)),
                    level="INFO",
                    logger="my.module",
                    message=f"{run.title or 'run'} line {len(lines)}",
                    context={
                        "function": "work",
                        "line": 10 + i,
                        "module": "module",
                        "parent_task_id": "parent" if i else None,
                    },
                )
            )
    db.session.add_all(lines)
    db.session.commit()
    return job["id"], first, second


def test_logs_by_job_id_and_by_quoted_run_id(app, db, admin_client, job_logs):
    """``q`` is a run id (bare or quoted) or a job id: the lines of its runs."""
    job_id, first, second = job_logs
    by_job = admin_client.get(f"/logs/jobs?q={job_id}").json
    assert by_job["hits"]["total"] == 5
    hits = by_job["hits"]["hits"]
    assert [h["timestamp"] for h in hits] == sorted(h["timestamp"] for h in hits)
    assert {h["context"]["run_id"] for h in hits} == {str(first.id), str(second.id)}
    hit = hits[1]
    assert hit["function"] == "work" and hit["line"] == 11
    assert hit["module"] == "module"
    assert hit["context"]["job_id"] == job_id
    assert hit["context"]["task_id"] == first.task_id
    assert hit["context"]["parent_task_id"] == "parent"
    assert hit["context"]["identity_id"] == "system"
    assert "function" not in hit["context"]
    assert by_job["hits"]["sort"] == hits[-1]["sort"]
    assert "warnings" not in by_job

    quoted = admin_client.get(f'/logs/jobs?q="{second.id}"&sort=timestamp').json
    assert quoted["hits"]["total"] == 2
    nobody = admin_client.get(f"/logs/jobs?q={uuid.uuid4()}").json
    assert nobody["hits"] == {"hits": [], "total": 0}
    assert "q" in error_fields(admin_client.get("/logs/jobs?q=run_id:not-an-id"))
    assert "sort" in error_fields(admin_client.get(f"/logs/jobs?q={job_id}&sort=x"))


@pytest.mark.parametrize("form", ["{}", "[{}]", '["{}"]'])
def test_search_after_as_inveniordm_sends_it(app, db, admin_client, job_logs, form):
    """``search_after`` continues after the last hit's ``hits.sort`` value."""
    job_id, *_ = job_logs
    everything = admin_client.get(f"/logs/jobs?q={job_id}").json["hits"]["hits"]
    cursor = everything[1]["sort"][0]
    rest = admin_client.get(
        f"/logs/jobs?q={job_id}&search_after={form.format(cursor)}"
    ).json
    assert [h["id"] for h in rest["hits"]["hits"]] == [h["id"] for h in everything[2:]]
    two_values = admin_client.get(
        f"/logs/jobs?q={job_id}&search_after=1&search_after=2"
    )
    assert "search_after" in error_fields(two_values)
    assert "search_after" in error_fields(
        admin_client.get(f"/logs/jobs?q={job_id}&search_after=abc")
    )


def test_truncated_answers_warn_and_continue(
    app, db, admin_client, job_logs, monkeypatch
):
    """More lines than ``JOBS_LOGS_MAX_RESULTS``: a warning, and a cursor on."""
    monkeypatch.setitem(app.config, "JOBS_LOGS_MAX_RESULTS", 3)
    monkeypatch.setitem(app.config, "JOBS_LOGS_BATCH_SIZE", 2)
    job_id, *_ = job_logs
    first = admin_client.get(f"/logs/jobs?q={job_id}").json
    assert len(first["hits"]["hits"]) == 3
    (warning,) = first["warnings"]
    assert warning["type"] == "truncated_results"
    assert (warning["total_available"], warning["max_results"]) == (5, 3)
    cursor = first["hits"]["sort"][0]
    rest = admin_client.get(f"/logs/jobs?q={job_id}&search_after={cursor}").json
    assert len(rest["hits"]["hits"]) == 2
    assert "warnings" not in rest


def test_logs_search_follows_app_logs_permission_policy(
    app, db, admin_client, job_logs, monkeypatch
):
    """``APP_LOGS_PERMISSION_POLICY`` opens the search; run routes stay closed.

    Refused by the policy, a logged-in user finds no lines of a job not
    granted to them; allowed by it, they find every job's lines.
    """
    from invenio_accounts.testutils import login_user_via_session
    from invenio_records_permissions.generators import AuthenticatedUser

    from invenio_jobs.services.permissions import JobLogsPermissionPolicy

    class OpenLogs(JobLogsPermissionPolicy):
        can_search = [AuthenticatedUser()]

    job_id, first, _ = job_logs
    login_user_via_session(admin_client, email="user@example.org")
    user_client = admin_client  # the same test client, now a plain user
    refused = user_client.get(f"/logs/jobs?q={job_id}")
    assert refused.status_code == 403
    monkeypatch.setitem(app.config, "APP_LOGS_PERMISSION_POLICY", OpenLogs)
    opened = user_client.get(f"/logs/jobs?q={job_id}")
    assert opened.status_code == 200
    assert opened.json["hits"]["hits"]
    assert user_client.get(f"/jobs/{job_id}/runs/{first.id}/logs").status_code == 404
