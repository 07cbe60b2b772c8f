# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``GET /api/jobs/stats``: the health of the runs over a window."""

from datetime import timedelta

import pytest
from helpers import count_queries, make_job, make_run

from invenio_jobs.models import RunStatusEnum, utcnow

S, F, Q, R = (
    RunStatusEnum.SUCCESS,
    RunStatusEnum.FAILED,
    RunStatusEnum.QUEUED,
    RunStatusEnum.RUNNING,
)


def _ago(**delta):
    return utcnow() - timedelta(**delta)


def _run(session, job, status, created, lag=None, **values):
    """A run created at ``created``; with ``lag``, scheduled that long before start."""
    if lag is not None:
        values.update(scheduled_at=created, started_at=created + timedelta(seconds=lag))
    elif status is not Q:
        values.setdefault("started_at", created)
    if status.is_finished:
        values.setdefault("finished_at", created + timedelta(seconds=30))
    return make_run(session, job, status=status, created=created, **values)


pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture()
def history(database):
    """Two jobs with runs spread over the last 10 days; returns what was made."""
    db = database
    nightly = make_job(db.session, title="Nightly")
    hourly = make_job(db.session, title="Hourly")
    runs = [
        # The last hour: two successes (lags 1 s, 3 s), one failure of hourly.
        _run(db.session, nightly, S, _ago(minutes=50), lag=1),
        _run(db.session, nightly, S, _ago(minutes=40), lag=3),
        _run(db.session, hourly, F, _ago(minutes=30), lag=2, message="Boom\ntrace"),
        # Five hours ago: a failure of nightly, then its success later on.
        _run(db.session, nightly, F, _ago(hours=5), lag=10, message="Disk full"),
        # Now: hourly queued and running.
        _run(db.session, hourly, Q, _ago(minutes=1)),
        _run(db.session, hourly, R, _ago(minutes=2)),
        # Three days ago: outside 24 h, inside 7 d.
        _run(db.session, nightly, S, _ago(days=3), lag=100),
        _run(db.session, nightly, F, _ago(days=3, hours=1), lag=200),
        # Ten days ago: outside both windows.
        _run(db.session, nightly, F, _ago(days=10), lag=1000),
    ]
    # A subtask is part of its parent's run, not a run of its own here.
    make_run(
        db.session,
        nightly,
        status=F,
        created=_ago(minutes=45),
        parent_run_id=runs[0].id,
    )
    db.session.commit()
    return {"nightly": nightly, "hourly": hourly, "runs": runs}


def test_stats_of_24h_count_the_runs_made_by_status_and_hour(admin_client, history):
    """The totals, the buckets and the failures are those of the last 24 hours."""
    res = admin_client.get("/jobs/stats?window=24h")
    assert res.status_code == 200, res.json
    stats = res.json
    assert stats["window"] == "24h"
    assert stats["bucket_seconds"] == 3600
    assert len(stats["buckets"]) == 24
    assert stats["totals"] == {"SUCCESS": 2, "FAILED": 2, "QUEUED": 1, "RUNNING": 1}
    assert stats["total"] == 6
    last_hour = stats["buckets"][-1]["counts"]
    assert last_hour == {"SUCCESS": 2, "FAILED": 1, "QUEUED": 1, "RUNNING": 1}
    assert stats["buckets"][-6]["counts"] == {"FAILED": 1}
    assert stats["failed"]["count"] == 2
    failed = stats["failed"]["runs"]
    assert [run["message"] for run in failed] == ["Boom", "Disk full"]
    assert failed[0]["job_title"] == "Hourly"
    assert failed[0]["id"] == str(history["runs"][2].id)
    assert stats["now"] == {"queued": 1, "running": 1}


def test_stats_lag_percentiles_by_nearest_rank(admin_client, history):
    """Lags 1, 2, 3, 10 s in 24 h: p50 is 2 s and p95 10 s; 7 d adds 100 and 200 s."""
    day = admin_client.get("/jobs/stats?window=24h").json["lag"]
    assert day == {"p50": 2.0, "p95": 10.0, "count": 4}
    week = admin_client.get("/jobs/stats?window=7d").json["lag"]
    assert week == {"p50": 3.0, "p95": 200.0, "count": 6}


def test_stats_of_7d_reach_three_days_back_in_six_hour_buckets(admin_client, history):
    """The week window counts the runs of three days ago, not those of ten."""
    stats = admin_client.get("/jobs/stats?window=7d").json
    assert stats["bucket_seconds"] == 6 * 3600
    assert len(stats["buckets"]) == 28
    assert stats["totals"] == {"SUCCESS": 3, "FAILED": 3, "QUEUED": 1, "RUNNING": 1}
    assert sum(sum(b["counts"].values()) for b in stats["buckets"]) == 8


def test_jobs_whose_last_run_failed_are_listed(admin_client, history, database):
    """Hourly's last finished run failed but its last run is queued: only if failed."""
    stats = admin_client.get("/jobs/stats").json
    assert stats["window"] == "24h"  # the default
    assert stats["failing_jobs"] == []  # nightly's last succeeded, hourly's queued

    make_run(database.session, history["nightly"], status=F, message="Again\nmore")
    database.session.commit()
    failing = admin_client.get("/jobs/stats").json["failing_jobs"]
    assert [(job["title"], job["last_run"]["message"]) for job in failing] == [
        ("Nightly", "Again")
    ]


@pytest.mark.parametrize("window", ["1h", "", "24H", "30d"])
def test_a_bad_window_is_a_400_naming_the_field(admin_client, window):
    """Only 24h and 7d are windows; anything else is refused with the field."""
    res = admin_client.get(f"/jobs/stats?window={window}")
    assert res.status_code == 400
    assert [error["field"] for error in res.json["errors"]] == ["window"]
    assert "24h" in res.json["errors"][0]["messages"][0]


def test_stats_are_for_administrators(client, user_client):
    """Anonymous and ordinary users are refused; the path is not a job id."""
    assert client.get("/jobs/stats").status_code == 403
    assert user_client.get("/jobs/stats").status_code == 403


def test_stats_cost_the_same_number_of_queries_with_more_runs(admin_client, database):
    """Six statements for a few runs, and the same six for ten times more."""
    db = database
    job = make_job(db.session, title="Busy")

    def add_runs(n):
        for i in range(n):
            _run(db.session, job, [S, F][i % 2], _ago(minutes=i * 7), lag=i)
        db.session.commit()

    def statements():
        with count_queries(db.engine) as sent:
            assert admin_client.get("/jobs/stats?window=7d").status_code == 200
        return [s for s in sent if "jobs_" in s]

    add_runs(5)
    few = statements()
    add_runs(50)
    many = statements()
    assert len(few) == len(many) == 6
