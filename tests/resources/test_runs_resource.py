# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/jobs/<id>/runs`` and ``/api/tasks`` through the HTTP client."""

import uuid

import pytest
from test_jobs_resource import create, error_fields

from invenio_jobs.models import Run, RunStatusEnum


def test_run_now_executes_and_the_finished_run_reads_back(app, db, admin_client):
    """Run now with eager Celery: the run is created, executed and SUCCESS."""
    job = create(admin_client)
    res = admin_client.post(
        f"/jobs/{job['id']}/runs",
        json={"title": "By hand", "args": {"message": "now", "count": 3}},
    )
    assert res.status_code == 201, res.json
    run = res.json
    assert run["status"] in ("QUEUED", "SUCCESS")
    assert run["job_id"] == job["id"]
    assert run["title"] == "By hand"
    assert run["args"]["message"] == "now" and run["args"]["count"] == 3
    assert run["queue"] == "celery"
    assert run["started_by"]["email"] == "admin@example.org"
    assert run["links"]["self"].endswith(f"/api/jobs/{job['id']}/runs/{run['id']}")
    assert run["links"]["logs"].endswith(f"/api/logs/jobs?q={run['id']}")

    done = admin_client.get(f"/jobs/{job['id']}/runs/{run['id']}").json
    assert done["status"] == "SUCCESS"
    assert done["started_at"] and done["finished_at"]
    assert done["duration"] >= 0
    assert done["task_id"]
    assert "stop" not in done["links"]

    listed = admin_client.get(f"/jobs/{job['id']}").json
    assert listed["last_run"]["id"] == run["id"]
    assert listed["last_run"]["status"] == "SUCCESS"


def test_run_now_defaults_to_the_jobs_arguments_and_queue(app, db, admin_client):
    """Without args or queue, the job's own are used."""
    job = create(admin_client, default_queue="low")
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    assert run["args"]["message"] == "hello"
    assert run["queue"] == "low"
    assert run["title"] is None  # the pages call it "Manual run"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"args": {"message": 1}}, "args.message"),
        ({"args": {"count": 1}}, "args.message"),
        ({"args": {"message": "x", "nope": 1}}, "args.nope"),
        ({"queue": "nowhere"}, "queue"),
        ({"colour": "red"}, "colour"),
        ({"args": "text"}, "args"),
    ],
)
def test_run_now_refuses_bad_input(app, db, admin_client, body, field):
    """Bad arguments or queue: 400 naming the field, and no run."""
    job = create(admin_client)
    res = admin_client.post(f"/jobs/{job['id']}/runs", json=body)
    assert field in error_fields(res)
    assert db.session.query(Run).filter(Run.job_id == uuid.UUID(job["id"])).count() == 0


def test_failed_run_keeps_the_traceback(app, db, admin_client, monkeypatch):
    """A task that raises ends FAILED with the error and traceback."""
    import mock_module.jobs

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mock_module.jobs.EchoJob, "task", explode)
    job = create(admin_client)
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    done = admin_client.get(f"/jobs/{job['id']}/runs/{run['id']}").json
    assert done["status"] == "FAILED"
    assert done["message"].startswith("RuntimeError: disk full")
    assert "Traceback" in done["message"]


def test_history_is_newest_first_and_filters_by_status(app, db, admin_client):
    """The run history pages newest first and filters by status."""
    job = create(admin_client)
    ids = [
        admin_client.post(f"/jobs/{job['id']}/runs", json={}).json["id"]
        for _ in range(3)
    ]
    run = db.session.get(Run, uuid.UUID(ids[0]))
    run.status = RunStatusEnum.FAILED
    db.session.commit()

    body = admin_client.get(f"/jobs/{job['id']}/runs?size=2").json
    assert body["hits"]["total"] == 3
    assert [h["id"] for h in body["hits"]["hits"]] == ids[::-1][:2]
    assert "page=2" in body["links"]["next"]
    assert f"/api/jobs/{job['id']}/runs" in body["links"]["self"]

    failed = admin_client.get(f"/jobs/{job['id']}/runs?status=FAILED").json
    assert [h["id"] for h in failed["hits"]["hits"]] == [ids[0]]
    both = admin_client.get(f"/jobs/{job['id']}/runs?status=F,S").json
    assert both["hits"]["total"] == 3
    assert "status" in error_fields(
        admin_client.get(f"/jobs/{job['id']}/runs?status=BORED")
    )


def _queued_run(db, job_id, status=RunStatusEnum.QUEUED):
    run = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(job_id),
        queue="celery",
        status=status,
        task_id=str(uuid.uuid4()),
    )
    db.session.add(run)
    db.session.commit()
    return str(run.id)


def test_stop_queued_running_and_finished_runs(app, db, admin_client):
    """Queued: cancelled at once; running: cancelling; finished: 400."""
    job = create(admin_client)
    base = f"/jobs/{job['id']}/runs"

    queued = _queued_run(db, job["id"])
    res = admin_client.post(f"{base}/{queued}/actions/stop")
    assert res.status_code == 202, res.json
    assert res.json["status"] == "CANCELLED"
    assert res.json["finished_at"]

    running = _queued_run(db, job["id"], RunStatusEnum.RUNNING)
    res = admin_client.post(f"{base}/{running}/actions/stop")
    assert res.status_code == 202
    assert res.json["status"] == "CANCELLING"
    res = admin_client.post(f"{base}/{running}/actions/stop")
    assert res.status_code == 202

    res = admin_client.post(f"{base}/{queued}/actions/stop")
    assert res.status_code == 400
    assert "already finished" in res.json["message"]


def test_delete_only_finished_runs(app, db, admin_client):
    """Deleting an active run is refused; a finished one goes."""
    job = create(admin_client)
    base = f"/jobs/{job['id']}/runs"
    active = _queued_run(db, job["id"], RunStatusEnum.RUNNING)
    assert admin_client.delete(f"{base}/{active}").status_code == 400
    finished = _queued_run(db, job["id"], RunStatusEnum.SUCCESS)
    assert admin_client.delete(f"{base}/{finished}").status_code == 204
    assert admin_client.get(f"{base}/{finished}").status_code == 404


def test_deleting_runs_and_jobs_removes_subtasks_and_logs(app, db, admin_client):
    """A deleted run takes its subtasks and log with it; a deleted job, all runs."""
    from datetime import datetime, timezone

    from invenio_jobs.models import RunLog

    job = create(admin_client)
    # Other tests' runs keep their lines (a stop is logged).
    before = db.session.query(RunLog).count()
    parent = _queued_run(db, job["id"], RunStatusEnum.SUCCESS)
    child = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(job["id"]),
        parent_run_id=uuid.UUID(parent),
        queue="celery",
        status=RunStatusEnum.SUCCESS,
    )
    db.session.add(child)
    db.session.flush()
    for run_id in (uuid.UUID(parent), child.id):
        db.session.add(
            RunLog(
                run_id=run_id,
                timestamp=datetime.now(timezone.utc),
                level="INFO",
                message="a line",
            )
        )
    db.session.commit()
    child_id = child.id
    res = admin_client.delete(f"/jobs/{job['id']}/runs/{parent}")
    assert res.status_code == 204
    db.session.expire_all()
    assert db.session.query(Run).filter(Run.id == child_id).count() == 0
    assert db.session.query(RunLog).count() == before

    other = _queued_run(db, job["id"], RunStatusEnum.FAILED)
    db.session.add(
        RunLog(
            run_id=uuid.UUID(other),
            timestamp=datetime.now(timezone.utc),
            level="INFO",
            message="another line",
        )
    )
    db.session.commit()
    assert admin_client.delete(f"/jobs/{job['id']}").status_code == 204
    db.session.expire_all()
    assert db.session.query(Run).filter(Run.job_id == uuid.UUID(job["id"])).count() == 0
    assert db.session.query(RunLog).count() == before


def test_unknown_runs_and_jobs_are_404(app, db, admin_client):
    """Unknown, malformed, or another job's run ids: 404."""
    job = create(admin_client)
    other = create(admin_client)
    run_of_other = _queued_run(db, other["id"])
    base = f"/jobs/{job['id']}/runs"
    assert admin_client.get(f"{base}/{run_of_other}").status_code == 404
    assert admin_client.get(f"{base}/nope").status_code == 404
    assert admin_client.post(f"{base}/nope/actions/stop").status_code == 404
    assert admin_client.get(f"/jobs/{uuid.uuid4()}/runs").status_code == 404
    assert admin_client.post("/jobs/bad/runs", json={}).status_code == 404


def test_runs_are_refused_to_non_administrators(app, db, admin_client, users):
    """Anonymous and non-admin users without a grant: the job's runs are not found."""
    from invenio_accounts.testutils import login_user_via_session

    job = create(admin_client)
    queued = _queued_run(db, job["id"])
    urls = [
        ("get", f"/jobs/{job['id']}/runs"),
        ("post", f"/jobs/{job['id']}/runs"),
        ("get", f"/jobs/{job['id']}/runs/{queued}"),
        ("post", f"/jobs/{job['id']}/runs/{queued}/actions/stop"),
        ("delete", f"/jobs/{job['id']}/runs/{queued}"),
    ]
    with app.test_client() as anonymous:
        for method, url in urls:
            assert getattr(anonymous, method)(url).status_code == 404, url
    with app.test_client() as someone:
        login_user_via_session(someone, email=users["user"].email)
        for method, url in urls:
            assert getattr(someone, method)(url).status_code == 404, url
    assert db.session.get(Run, uuid.UUID(queued)).status is RunStatusEnum.QUEUED


def test_tasks_list_and_arguments(app, db, admin_client):
    """Job types are listed, and their arguments described for a form."""
    body = admin_client.get("/tasks").json
    ids = [h["id"] for h in body["hits"]["hits"]]
    assert ids == sorted(ids)
    assert {"mock_echo", "no_args"} <= set(ids)
    echo = next(h for h in body["hits"]["hits"] if h["id"] == "mock_echo")
    assert echo["title"] == "Echo" and echo["description"] == "Say a message"
    assert echo["links"]["self"].endswith("/api/tasks/mock_echo/args")

    assert echo["links"]["form"].endswith("/api/tasks/mock_echo/form")
    args = admin_client.get("/tasks/mock_echo/form").json
    fields = {f["name"]: f for f in args["fields"]}
    assert fields["message"]["type"] == "string"
    assert fields["message"]["required"] is True
    assert fields["message"]["description"] == "What to say"
    assert fields["count"]["type"] == "integer"
    assert fields["count"]["default"] == 1
    assert fields["since"]["type"] == "datetime"
    assert "last successful run" in fields["since"]["description"]
    assert fields["job_arg_schema"]["hidden"] is True

    assert admin_client.get("/tasks/nope/args").status_code == 404
    assert admin_client.get("/tasks/nope/form").status_code == 404


def test_tasks_are_refused_to_non_administrators(app, db, user_client):
    """Non-administrators cannot list job types."""
    assert user_client.get("/tasks").status_code == 403
    assert user_client.get("/tasks/mock_echo/args").status_code == 403
    assert user_client.get("/tasks/mock_echo/form").status_code == 403
