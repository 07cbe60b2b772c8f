# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Bad requests get a 400 naming the field, never a 500, and write nothing.

On PostgreSQL, whose column types and text rules gave the 500s of these
requests.
"""

import uuid

import pytest
from invenio_db import db as db_
from sqlalchemy import func, select

from invenio_jobs.models import Job, Run
from invenio_jobs.resources.parsers import MAX_BODY_BYTES, MAX_JSON_DEPTH

pytestmark = pytest.mark.postgresql

JOB = {"title": "Echo", "task": "mock_echo", "run_args": {"message": "hi"}}
BODY_ROUTES = [
    ("post", "/jobs"),
    ("post", "/jobs/schedule-preview"),
    ("put", "/jobs/{job}"),
    ("post", "/jobs/{job}/runs"),
]


@pytest.fixture()
def job(app, db, admin_client):
    """A job the updates and runs are sent to."""
    res = admin_client.post("/jobs", json=JOB)
    assert res.status_code == 201, res.json
    return res.json


def rows():
    """How many jobs and runs are stored."""
    return (
        db_.session.scalar(select(func.count()).select_from(Job)),
        db_.session.scalar(select(func.count()).select_from(Run)),
    )


def send(client, method, url, job, data, content_type="application/json"):
    """Send raw bytes to a route of the body routes."""
    return getattr(client, method)(
        url.format(job=job["id"]), data=data, content_type=content_type
    )


def refusal(res, field=None):
    """The fields a 400 names; asserts it is a 400 in InvenioRDM's shape."""
    assert res.status_code == 400, (res.status_code, res.data[:300])
    assert res.json["status"] == 400
    fields = {error["field"] for error in res.json.get("errors", [])}
    if field is not None:
        assert field in fields, res.json
    return fields


@pytest.mark.parametrize("method,url", BODY_ROUTES)
@pytest.mark.parametrize(
    "body,reason",
    [
        (b'"x"', "JSON object"),
        (b"1.5", "JSON object"),
        (b"[]", "JSON object"),
        (b"null", "JSON object"),
        (b"true", "JSON object"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b'{"title": "\xe9"}', "UTF-8"),
    ],
)
def test_a_body_that_is_not_a_utf8_json_object_is_refused(
    job, admin_client, method, url, body, reason
):
    """Strings, numbers, arrays, null and undecodable bytes are a 400.

    Not an AttributeError in the resource, nor a UnicodeDecodeError.
    """
    before = rows()
    res = send(admin_client, method, url, job, body)
    refusal(res, "body")
    assert reason in res.json["message"]
    assert rows() == before


@pytest.mark.parametrize("method,url", BODY_ROUTES)
def test_a_deeply_nested_body_is_refused_before_decoding(
    job, admin_client, method, url
):
    """5,000 nested ``[`` are a 400, not a RecursionError of the decoder."""
    res = send(admin_client, method, url, job, b"[" * 5000)
    refusal(res, "body")
    nested = '{"title": "t", "run_args": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    refusal(send(admin_client, method, url, job, nested.encode()), "body")


def test_nesting_within_the_limit_is_read(job, admin_client):
    """The depth limit leaves room for real arguments."""
    nested = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    body = '{"schedule": {"type": "interval", "hours": 1}, "x": ' + nested + "}"
    res = send(admin_client, "post", "/jobs/schedule-preview", job, body.encode())
    assert res.status_code == 200, res.json


def test_brackets_inside_strings_do_not_count_as_nesting(job, admin_client):
    """A description full of ``[`` is text, not depth."""
    res = admin_client.put(
        f"/jobs/{job['id']}", json={"description": "[" * 5000 + '\\"{'}
    )
    assert res.status_code == 200, res.json
    assert res.json["description"].startswith("[[[")


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"title": NaN}', b'{"timeout": Infinity}', b'{"timeout": 1e999}'],
)
def test_invalid_json_and_non_finite_numbers_are_refused(job, admin_client, body):
    """Broken JSON, NaN, Infinity and overflowing floats are a 400."""
    refusal(send(admin_client, "post", "/jobs", job, body), "body")


@pytest.mark.parametrize(
    "data,field",
    [
        ({"title": "a\x00b"}, "title"),
        ({"description": "\ud800"}, "description"),
        ({"run_args": {"message": "x\x00"}}, "run_args.message"),
        ({"run_args": {"k\x00": 1}}, "run_args"),
        ({"pool": "a\x00b"}, "pool"),
    ],
)
def test_text_the_database_cannot_store_is_refused(job, admin_client, data, field):
    """NUL characters and lone surrogates are a 400 naming the field."""
    import json

    body = json.dumps({**JOB, **data}).encode()
    before = rows()
    refusal(send(admin_client, "post", "/jobs", job, body), field)
    refusal(send(admin_client, "put", "/jobs/{job}", job, body), field)
    assert rows() == before


def test_a_body_larger_than_the_limit_is_refused(job, admin_client):
    """A body beyond the limit is a 413, not read."""
    body = b'{"description": "' + b"x" * MAX_BODY_BYTES + b'"}'
    res = send(admin_client, "put", "/jobs/{job}", job, body)
    assert res.status_code == 413
    assert res.json["errors"][0]["field"] == "body"


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    "field,value",
    [
        ("timeout", 2147483648),
        ("timeout", 10**30),
        ("timeout", 0),
        ("max_retries", 2147483648),
        ("max_retries", -1),
    ],
)
def test_integers_out_of_range_are_refused(job, admin_client, method, field, value):
    """Integers beyond their column are a 400, not a DataError of PostgreSQL."""
    url = "/jobs" if method == "post" else f"/jobs/{job['id']}"
    before = rows()
    res = getattr(admin_client, method)(url, json={**JOB, field: value})
    refusal(res, field)
    assert rows() == before


def test_the_largest_timeout_is_stored(job, admin_client):
    """The upper bound of ``timeout`` is a value the column holds."""
    from invenio_jobs.services.schemas import MAX_TIMEOUT

    res = admin_client.put(f"/jobs/{job['id']}", json={"timeout": MAX_TIMEOUT})
    assert res.status_code == 200, res.json
    assert res.json["timeout"] == MAX_TIMEOUT


@pytest.mark.parametrize(
    "schedule",
    [
        {"type": "interval", "days": 999_999_999},
        {"type": "interval", "weeks": 10**6},
        {"type": "interval", "seconds": 10**30},
    ],
)
def test_intervals_beyond_the_limit_are_refused(job, admin_client, schedule):
    """An interval whose fire times would overflow dates is a 400."""
    for method, url in (("post", "/jobs"), ("put", f"/jobs/{job['id']}")):
        res = getattr(admin_client, method)(url, json={**JOB, "schedule": schedule})
        assert res.status_code == 400, res.json
    res = admin_client.post("/jobs/schedule-preview", json={"schedule": schedule})
    assert res.status_code == 400, res.json


@pytest.mark.parametrize(
    "url",
    [
        "/jobs?page=99999999999999999999",
        "/jobs?size=2147483648",
        "/jobs?q=a%00b",
        "/jobs?q=" + "x" * 5000,
        "/jobs/{job}/runs?page=-1",
        "/jobs/{job}/runs?q=%00",
        "/jobs/{job}/runs?status=%00",
        "/jobs/{job}/runs?parent_run_id=%00",
        "/jobs/{job}/runs/{run}/logs?after=99999999999999999999",
        "/jobs/{job}/runs/{run}/logs?text=%00",
        "/logs/jobs?q={run}&search_after=99999999999999999999",
        "/logs/jobs?q={run}&text=%00",
        "/logs/jobs?q=%00",
        "/tasks?size=0",
    ],
)
def test_query_strings_out_of_range_are_refused(job, admin_client, url):
    """Page numbers, sizes, cursors and NUL characters in queries are a 400."""
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    res = admin_client.get(url.format(job=job["id"], run=run["id"]))
    refusal(res)


@pytest.mark.parametrize(
    "spelling",
    [
        lambda u: u.upper(),
        lambda u: f"urn:uuid:{u}",
        lambda u: f"{{{u}}}",
        lambda u: u.replace("-", ""),
        lambda u: f" {u}",
    ],
)
def test_ids_are_taken_in_their_canonical_form_only(job, admin_client, spelling):
    """Other spellings of an id are "not found": a job has one address."""
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    assert admin_client.get(f"/jobs/{job['id']}").status_code == 200
    other_job = spelling(job["id"])
    other_run = spelling(run["id"])
    assert admin_client.get(f"/jobs/{other_job}").status_code == 404
    assert admin_client.put(f"/jobs/{other_job}", json={}).status_code == 404
    assert admin_client.get(f"/jobs/{other_job}/runs").status_code == 404
    res = admin_client.get(f"/jobs/{job['id']}/runs/{other_run}")
    assert res.status_code == 404
    res = admin_client.delete(f"/jobs/{other_job}")
    assert res.status_code == 404
    assert admin_client.get(f"/jobs/{job['id']}").status_code == 200


def test_canonical_ids_still_address_jobs_and_runs(job, admin_client):
    """The form every link gives keeps working."""
    run = admin_client.post(f"/jobs/{job['id']}/runs", json={}).json
    res = admin_client.get(f"/jobs/{job['id']}/runs/{run['id']}")
    assert res.status_code == 200
    assert res.json["id"] == run["id"] == str(uuid.UUID(run["id"]))
