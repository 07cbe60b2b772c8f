# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Generated requests to every route and method of the API: never a 5xx.

Each example sends one request, as an administrator, to a route taken from
the app's URL map (so that a new route is fuzzed without being listed here),
with generated ids, query strings and bodies; a refused request must leave
the jobs, runs and log lines as they were. On PostgreSQL, whose column types
and text rules are the strictest the API meets.
"""

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invenio_db import db as db_
from sqlalchemy import select

from invenio_jobs.models import Job, Pool, Run, RunLog

pytestmark = pytest.mark.postgresql

BLUEPRINTS = ("jobs", "job_runs", "tasks", "job_logs", "job_pools")
"""The API blueprints of this package."""

METHODS = ("GET", "POST", "PUT", "DELETE")

PARAMETERS = (
    "q",
    "page",
    "size",
    "sort",
    "sort_direction",
    "active",
    "status",
    "include_subtasks",
    "parent_run_id",
    "after",
    "level",
    "text",
    "search_after",
)
"""Every query string parameter the API reads."""

FIELDS = (
    "title",
    "description",
    "active",
    "task",
    "default_queue",
    "schedule",
    "run_args",
    "args",
    "custom_args",
    "misfire_policy",
    "allow_overlap",
    "timeout",
    "max_retries",
    "notification_emails",
    "notification_statuses",
    "queue",
)
"""Body fields of jobs and runs."""

EDGE_INTEGERS = st.sampled_from(
    [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**30, 999_999_999]
)
EDGE_TEXT = st.sampled_from(
    ["", "\x00", "a\x00b", "\ud800", "x" * 2000, "'", '"', "%", "\\", "[", "é"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    EDGE_INTEGERS,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    EDGE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(FIELDS), st.text()), inner, max_size=4
        ),
    ),
    max_leaves=12,
)
SCHEDULES = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("interval")},
        optional={
            unit: st.one_of(EDGE_INTEGERS, st.floats(), st.text(max_size=5))
            for unit in ("weeks", "days", "hours", "minutes", "seconds")
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("crontab")},
        optional={
            field: st.one_of(EDGE_TEXT, EDGE_INTEGERS, st.text(max_size=8))
            for field in ("minute", "hour", "day_of_week", "timezone")
        },
    ),
)
JOB_BODIES = st.fixed_dictionaries(
    {"title": st.one_of(st.text(max_size=10), EDGE_TEXT)},
    optional={
        "task": st.sampled_from(["mock_echo", "unknown", "\x00"]),
        "schedule": st.one_of(SCHEDULES, JSON_VALUES),
        "timeout": st.one_of(EDGE_INTEGERS, JSON_VALUES),
        "max_retries": st.one_of(EDGE_INTEGERS, JSON_VALUES),
        "run_args": st.one_of(
            st.fixed_dictionaries({"message": EDGE_TEXT}), JSON_VALUES
        ),
        "description": EDGE_TEXT,
        "queue": EDGE_TEXT,
        "custom_args": st.one_of(EDGE_TEXT, JSON_VALUES),
    },
)


def _encoded(value) -> bytes:
    return json.dumps(value).encode()


RAW_BODIES = st.one_of(
    st.none(),
    JOB_BODIES.map(_encoded),
    JSON_VALUES.map(_encoded),
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"[" * 5000,
            b'{"a": ' * 3000,
            b"\xff\xfe\x00",
            b'"x"',
            b"1.5",
            b"NaN",
            b'{"timeout": 1e999}',
            b'{"title": "t", "title": "u"}',
        ]
    ),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/vnd.inveniordm.v1+json",
        "text/plain",
        "application/json; charset=latin-1",
        None,
    ]
)


def api_routes(app):
    """``(rule, method)`` for every route of this package's API blueprints."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in BLUEPRINTS:
            continue
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule.rule, method))
    return sorted(found)


def snapshot():
    """Every stored job, run and log line, to compare before and after."""
    db_.session.expire_all()
    return {
        model.__tablename__: sorted(
            tuple(str(getattr(row, column.key)) for column in model.__table__.c)
            for row in db_.session.scalars(select(model))
        )
        for model in (Job, Run, RunLog, Pool)
    }


@pytest.fixture()
def stored(app, db, admin_client):
    """A job with a run and a pool, recreated when an example deletes them."""

    def ensure():
        job = db_.session.scalars(select(Job).limit(1)).first()
        if job is None:
            res = admin_client.post(
                "/jobs",
                json={
                    "title": "Fuzzed",
                    "task": "mock_echo",
                    "run_args": {"message": "hi"},
                },
            )
            assert res.status_code == 201, res.json
            job_id = res.json["id"]
        else:
            job_id = str(job.id)
        run = db_.session.scalars(select(Run).where(Run.job_id == job_id)).first()
        if run is None:
            res = admin_client.post(f"/jobs/{job_id}/runs", json={})
            assert res.status_code == 201, res.json
            run_id = res.json["id"]
        else:
            run_id = str(run.id)
        if db_.session.get(Pool, "fuzzed") is None:
            res = admin_client.post("/jobs/pools", json={"name": "fuzzed", "slots": 1})
            assert res.status_code == 201, res.json
        return {
            "job_id": job_id,
            "run_id": run_id,
            "task_id": "mock_echo",
            "name": "fuzzed",
        }

    return ensure


def ids(real):
    """A path id: the real one, another spelling of it, or anything."""
    return st.one_of(
        st.just(real),
        st.sampled_from(
            [real.upper(), f"urn:uuid:{real}", f"{{{real}}}", real.replace("-", "")]
        ),
        st.text(min_size=1, max_size=12),
        EDGE_TEXT.filter(bool),
    )


def query_strings():
    """Query parameters: known names with edge values, repeated or not."""
    values = st.one_of(
        st.text(max_size=12), EDGE_TEXT, EDGE_INTEGERS.map(str), st.just("[1]")
    )
    return st.lists(
        st.tuples(st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=4)), values),
        max_size=4,
    )


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_no_request_gives_a_5xx_or_writes_when_refused(
    app, db, admin_client, stored, data
):
    """Generated requests to every route: 4xx or success, no write on refusal."""
    real = stored()
    rule, method = data.draw(st.sampled_from(api_routes(app)), label="route")
    path = re.sub(
        r"<(?:[^:>]+:)?([^>]+)>",
        lambda match: quote(
            data.draw(ids(real[match.group(1)]), label=match.group(1)),
            safe="",
            errors="surrogatepass",
        ),
        rule,
    )
    query = urlencode(data.draw(query_strings(), label="query"), errors="surrogatepass")
    body = data.draw(RAW_BODIES, label="body") if method in ("POST", "PUT") else None
    content_type = data.draw(CONTENT_TYPES, label="content type")

    before = snapshot()
    res = admin_client.open(
        path,
        method=method,
        query_string=query,
        data=body,
        content_type=content_type,
    )
    assert res.status_code < 500, (method, path, res.status_code, res.data[:300])
    if res.status_code >= 400:
        assert snapshot() == before, (method, path, res.status_code)


def test_the_fuzzed_routes_are_every_route_of_the_api(app):
    """The URL map gives the routes of jobs, runs, job types and logs."""
    routes = api_routes(app)
    assert ("/jobs", "POST") in routes
    assert ("/jobs/<job_id>", "PUT") in routes
    assert ("/jobs/<job_id>/runs/<run_id>/actions/stop", "POST") in routes
    assert ("/tasks/<task_id>/form", "GET") in routes
    assert ("/logs/jobs", "GET") in routes
    assert len(routes) >= 17
