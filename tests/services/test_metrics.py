# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``GET /api/jobs/metrics``: Prometheus' text format, read from the database."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import delete_jobs_and_runs, make_job, make_run
from prometheus_client.parser import text_string_to_metric_families

from invenio_jobs.models import Counter, RunLog, RunStatusEnum, utcnow
from invenio_jobs.tasks import reap_runs

TOKEN = "s3cret-scrape-token"


@pytest.fixture(autouse=True)
def token_and_empty_counters(app, database):
    """Each test commits for real; it leaves no jobs, runs or counts behind."""
    app.config["JOBS_METRICS_TOKEN"] = TOKEN
    yield
    delete_jobs_and_runs(database)
    with database.engine.begin() as conn:
        conn.execute(Counter.__table__.delete())


def samples(text: str) -> dict:
    """Every sample of a scrape: {(name, sorted label items): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def run_chatty(client, session, job_id, **args):
    """Run the chatty job now (eager Celery) and return the finished run.

    The run ends through a connection of its own on PostgreSQL: the
    session's copy is expired to read it.
    """
    res = client.post(f"/jobs/{job_id}/runs", json={"args": args})
    assert res.status_code == 201, res.json
    session.expire_all()
    return client.get(f"/jobs/{job_id}/runs/{res.json['id']}").json


def test_metrics_after_runs_of_each_status(app, database, admin_client):
    """Runs executed, inserted and reaped show up in every family with their values."""
    session = database.session
    chatty = admin_client.post(
        "/jobs", json={"title": "Chatty", "task": "mock_chatty", "run_args": {}}
    ).json
    assert run_chatty(admin_client, session, chatty["id"], lines=1, threads=0)[
        "status"
    ] == ("SUCCESS")
    app.config["JOBS_LOGS_MAX_PER_RUN"] = 2
    try:
        failed = run_chatty(
            admin_client, session, chatty["id"], lines=3, threads=0, fail=True
        )
    finally:
        app.config["JOBS_LOGS_MAX_PER_RUN"] = 100_000
    assert failed["status"] == "FAILED"

    other = make_job(session, title="Other", task="mock_no_args")
    now = utcnow()
    for status in (
        RunStatusEnum.PARTIAL_SUCCESS,
        RunStatusEnum.WARNING,
        RunStatusEnum.CANCELLED,
    ):
        make_run(session, other, status=status, started_at=now, finished_at=now)
    make_run(session, other, status=RunStatusEnum.QUEUED)
    make_run(session, other, status=RunStatusEnum.RUNNING, started_at=now)
    # A run whose worker died half an hour ago: the reaper fails it as lost.
    make_run(
        session,
        other,
        status=RunStatusEnum.RUNNING,
        started_at=now - timedelta(minutes=30),
        heartbeat_at=now - timedelta(minutes=30),
    )
    scheduled = now - timedelta(minutes=10)
    make_run(
        session,
        other,
        status=RunStatusEnum.SUCCESS,
        scheduled_at=scheduled,
        started_at=scheduled + timedelta(seconds=3),
        finished_at=scheduled + timedelta(seconds=123),
    )
    session.commit()
    assert reap_runs()["lost"] == 1

    res = admin_client.get("/jobs/metrics")
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/plain; version=")
    found = samples(res.get_data(as_text=True))

    def runs(task, status):
        return found.get(
            ("invenio_jobs_runs_total", (("status", status), ("task", task)))
        )

    assert runs("mock_chatty", "success") == 1
    assert runs("mock_chatty", "failed") == 1
    for status in ("partial_success", "warning", "cancelled", "queued", "running"):
        assert runs("mock_no_args", status) == 1
    assert runs("mock_no_args", "failed") == 1  # the lost one
    assert runs("mock_no_args", "success") == 1

    assert found[("invenio_jobs_runs_queued", ())] == 1
    assert found[("invenio_jobs_runs_running", ())] == 1

    task = (("task", "mock_no_args"),)
    # Finished with both times: 3 at once, the 120 s one, the lost one (30 min).
    assert found[("invenio_jobs_run_duration_seconds_count", task)] == 5
    le = lambda bound: (("le", bound), ("task", "mock_no_args"))  # noqa: E731
    assert found[("invenio_jobs_run_duration_seconds_bucket", le("1.0"))] == 3
    assert found[("invenio_jobs_run_duration_seconds_bucket", le("300.0"))] == 4
    assert found[("invenio_jobs_run_duration_seconds_bucket", le("3600.0"))] == 5
    assert found[("invenio_jobs_scheduling_lag_seconds_count", task)] == 1
    assert found[("invenio_jobs_scheduling_lag_seconds_sum", task)] == pytest.approx(
        3, abs=0.01
    )
    assert found[("invenio_jobs_scheduling_lag_seconds_bucket", le("1.0"))] == 0
    assert found[("invenio_jobs_scheduling_lag_seconds_bucket", le("5.0"))] == 1

    reaper = "invenio_jobs_reaper_actions_total"
    assert found[(reaper, (("action", "lost"),))] == 1
    assert found[(reaper, (("action", "resent"),))] == 0
    assert found[(reaper, (("action", "restored"),))] == 0
    # Every stored line is counted; the failed run kept 2 lines and said how
    # many more it dropped.
    stored = session.scalars(sa.select(RunLog.message)).all()
    assert found[("invenio_jobs_log_lines_written_total", ())] == len(stored) > 3
    notice = [line for line in stored if "more log lines were dropped" in line]
    dropped = int(notice[0].split()[0])
    assert dropped >= 3
    assert found[("invenio_jobs_log_lines_dropped_total", ())] == dropped

    success = "invenio_jobs_last_success_timestamp_seconds"
    stamp = found[(success, (("job", "Other"), ("job_id", str(other.id)), task[0]))]
    expected = (scheduled + timedelta(seconds=123)).timestamp()
    assert stamp == pytest.approx(expected, abs=1)


def test_metrics_refuse_anonymous_and_wrong_tokens(client, database):
    """Without sign-in or with a wrong token: 401 and a bearer challenge."""
    res = client.get("/jobs/metrics")
    assert res.status_code == 401
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    res = client.get("/jobs/metrics", headers={"Authorization": "Bearer wrong"})
    assert res.status_code == 401


def test_metrics_refuse_a_signed_in_non_administrator(user_client, database):
    """A user without administration access and without the token: 403."""
    assert user_client.get("/jobs/metrics").status_code == 403


def test_metrics_let_the_token_in_without_sign_in(client, database):
    """The configured token is enough; it is not a job id either."""
    make_job(database.session, title="Any")
    database.session.commit()
    res = client.get("/jobs/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200
    assert "invenio_jobs_runs_queued 0.0" in res.get_data(as_text=True)


def test_metrics_refuse_any_token_when_none_is_configured(app, client, database):
    """No token configured: a token given is refused, never compared to None."""
    app.config["JOBS_METRICS_TOKEN"] = None
    res = client.get("/jobs/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 401


def test_metrics_show_the_pause(app, database, admin_client):
    """``invenio_jobs_paused`` is 1 while paused, 0 once resumed."""
    admin_client.post("/jobs/actions/pause", json={"reason": "Migration"})
    found = samples(admin_client.get("/jobs/metrics").get_data(as_text=True))
    assert found[("invenio_jobs_paused", ())] == 1
    admin_client.post("/jobs/actions/resume")
    found = samples(admin_client.get("/jobs/metrics").get_data(as_text=True))
    assert found[("invenio_jobs_paused", ())] == 0
