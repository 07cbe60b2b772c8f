# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/logs/jobs`` and a run's log tail through the HTTP client."""

import uuid

import pytest
from test_jobs_resource import error_fields


@pytest.fixture(scope="module")
def app_config(app_config):
    """German besides English, as a multilingual site has it."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


@pytest.fixture()
def logged_run(admin_client):
    """A finished run of the chatty job (executed eagerly), with its log."""
    job = admin_client.post(
        "/jobs", json={"title": "Chatty", "task": "mock_chatty", "run_args": {}}
    ).json
    run = admin_client.post(
        f"/jobs/{job['id']}/runs", json={"args": {"tag": "api", "lines": 5}}
    ).json
    return job["id"], run["id"]


def test_logs_of_a_run_in_inveniordm_shape(app, db, admin_client, logged_run):
    """Hits with timestamp, level, message, module/logger and context, in order."""
    job_id, run_id = logged_run
    body = admin_client.get(f"/logs/jobs?q={run_id}").json
    hits = body["hits"]["hits"]
    assert body["hits"]["total"] == len(hits) > 10
    first = hits[0]
    assert first["message"] == "api: main 0"
    assert first["level"] == "INFO"
    assert first["logger"] == "mock_module.chatty"
    assert first["module"] == "jobs"  # the Python module, as InvenioRDM's
    assert first["context"]["run_id"] == run_id
    assert first["context"]["job_id"] == job_id
    assert first["timestamp"].endswith("+00:00")
    assert [h["id"] for h in hits] == sorted(h["id"] for h in hits)
    assert admin_client.get(f"/logs/jobs?q=run_id:{run_id}").json["hits"]["total"] == (
        body["hits"]["total"]
    )


def test_search_after_pages_through_the_log(app, db, admin_client, logged_run):
    """``search_after`` with the last ``sort`` value gives the next page."""
    _, run_id = logged_run
    everything = admin_client.get(f"/logs/jobs?q={run_id}").json["hits"]["hits"]
    page = admin_client.get(f"/logs/jobs?q={run_id}&size=4").json
    collected = list(page["hits"]["hits"])
    while "next" in page["links"]:
        after = collected[-1]["sort"][0]
        page = admin_client.get(
            f"/logs/jobs?q={run_id}&size=4&search_after={after}"
        ).json
        collected.extend(page["hits"]["hits"])
    assert [h["id"] for h in collected] == [h["id"] for h in everything]


def test_log_page_links_keep_every_filter(app, db, admin_client, logged_run):
    """self and next carry the run, size, level and text; next adds the cursor."""
    from urllib.parse import parse_qs, urlsplit

    _, run_id = logged_run
    page = admin_client.get(f"/logs/jobs?q={run_id}&size=2&level=INFO&text=thread").json
    assert len(page["hits"]["hits"]) == 2
    wanted = {"q": [run_id], "size": ["2"], "level": ["INFO"], "text": ["thread"]}
    assert parse_qs(urlsplit(page["links"]["self"]).query) == wanted
    following = parse_qs(urlsplit(page["links"]["next"]).query)
    last = str(page["hits"]["hits"][-1]["id"])
    assert following == {**wanted, "search_after": [last]}
    rest = admin_client.get(
        f"/logs/jobs?q={run_id}&size=1000&text=thread&search_after={last}"
    ).json
    assert "next" not in rest["links"]
    assert "search_after" in rest["links"]["self"]


def test_tail_with_cursor_level_and_text(app, db, admin_client, logged_run):
    """The tail returns lines after the cursor, filtered, with the next cursor."""
    job_id, run_id = logged_run
    url = f"/jobs/{job_id}/runs/{run_id}/logs"
    first = admin_client.get(f"{url}?size=3").json
    assert len(first["hits"]) == 3
    assert first["run_status"] == "SUCCESS"
    assert first["finished"] is False
    rest = admin_client.get(f"{url}?after={first['next_after']}&size=1000").json
    assert rest["finished"] is True
    assert rest["hits"][0]["id"] > first["hits"][-1]["id"]
    warnings = admin_client.get(f"{url}?level=WARNING").json["hits"]
    assert {h["level"] for h in warnings} == {"WARNING", "ERROR"}
    found = admin_client.get(f"{url}?text=thread 1 line 4").json["hits"]
    assert [h["message"] for h in found] == ["api: thread 1 line 4"]
    empty = admin_client.get(f"{url}?after={rest['next_after']}").json
    assert empty["hits"] == [] and empty["next_after"] == rest["next_after"]


def test_tail_reads_back_from_a_line(app, db, admin_client, logged_run):
    """``before`` gives the lines just before a line, in order, and whether more."""
    job_id, run_id = logged_run
    url = f"/jobs/{job_id}/runs/{run_id}/logs"
    everything = admin_client.get(f"{url}?size=1000").json["hits"]
    target = everything[6]
    back = admin_client.get(f"{url}?before={target['id']}&size=4").json
    assert [h["id"] for h in back["hits"]] == [h["id"] for h in everything[2:6]]
    assert back["earlier"] is True
    assert back["run_status"] == "SUCCESS"
    first = admin_client.get(f"{url}?before={everything[2]['id']}&size=4").json
    assert [h["id"] for h in first["hits"]] == [h["id"] for h in everything[:2]]
    assert first["earlier"] is False
    warnings = admin_client.get(f"{url}?before={target['id']}&level=WARNING").json
    assert {h["level"] for h in warnings["hits"]} <= {"WARNING", "ERROR"}
    both = admin_client.get(f"{url}?before=5&after=2")
    assert both.status_code == 400
    assert "before" in error_fields(both)
    assert "before" in error_fields(admin_client.get(f"{url}?before=x"))


@pytest.mark.parametrize(
    "query, field",
    [
        ("", "q"),
        ("q=thread AND (", "q"),
        ("q=colour:red", "q"),
        ("q={run}&size=0", "size"),
        ("q={run}&search_after=x", "search_after"),
        ("q={run}&search_after=99999999999999999999", "search_after"),
        ("q={run}&level=LOUD", "level"),
    ],
)
def test_logs_bad_queries_are_400(app, db, admin_client, logged_run, query, field):
    """Bad log queries name the parameter."""
    _, run_id = logged_run
    res = admin_client.get(f"/logs/jobs?{query.format(run=run_id)}")
    assert field in error_fields(res)


def test_tail_of_unknown_run_is_404_and_bad_cursor_400(
    app, db, admin_client, logged_run
):
    """Unknown runs are 404; a bad cursor is 400."""
    job_id, run_id = logged_run
    assert (
        admin_client.get(f"/jobs/{job_id}/runs/{uuid.uuid4()}/logs").status_code == 404
    )
    res = admin_client.get(f"/jobs/{job_id}/runs/{run_id}/logs?after=-1")
    assert "after" in error_fields(res)


def test_logs_are_refused_to_non_administrators(
    app, db, admin_client, logged_run, users
):
    """Same permissions as runs: a user without a grant on the job sees no line."""
    from invenio_accounts.testutils import login_user_via_session

    job_id, run_id = logged_run
    with app.test_client() as someone:
        login_user_via_session(someone, email=users["user"].email)
        search = someone.get(f"/logs/jobs?q={run_id}")
        assert search.status_code == 403
        assert someone.get(f"/jobs/{job_id}/runs/{run_id}/logs").status_code == 404
    with app.test_client() as anonymous:
        assert anonymous.get(f"/logs/jobs?q={run_id}").status_code in (401, 403)


def test_whole_log_downloads_as_text(app, db, admin_client, logged_run, users):
    """``logs.txt``: every line, oldest first, as an attachment; same rules."""
    from invenio_accounts.testutils import login_user_via_session

    job_id, run_id = logged_run
    res = admin_client.get(f"/jobs/{job_id}/runs/{run_id}/logs.txt")
    assert res.status_code == 200
    assert res.mimetype == "text/plain"
    assert res.headers["Content-Disposition"] == (
        f'attachment; filename="run-{run_id}.log"'
    )
    lines = res.get_data(as_text=True).splitlines()
    hits = admin_client.get(f"/logs/jobs?q={run_id}").json["hits"]["hits"]
    assert len(lines) == len(hits)
    assert lines[0].endswith("INFO     mock_module.chatty: api: main 0")
    assert lines[0].startswith(hits[0]["timestamp"])
    assert any("error <b>markup</b>" in line for line in lines)
    unknown = f"/jobs/{job_id}/runs/{uuid.uuid4()}/logs.txt"
    assert admin_client.get(unknown).status_code == 404
    with app.test_client() as someone:
        login_user_via_session(someone, email=users["user"].email)
        assert someone.get(f"/jobs/{job_id}/runs/{run_id}/logs.txt").status_code == 404


def test_search_across_runs(app, db, admin_client, logged_run):
    """A query finds the lines of every run, newest first, each with its run and job."""
    job_id, first = logged_run
    second = admin_client.post(
        f"/jobs/{job_id}/runs", json={"args": {"tag": "other", "lines": 3}}
    ).json["id"]
    query = f'"thread 1 line 2" AND level:INFO AND context.job_id:{job_id}'
    body = admin_client.get(f"/logs/jobs?q={query}").json
    hits = body["hits"]["hits"]
    assert [h["message"] for h in hits] == [
        "other: thread 1 line 2",
        "api: thread 1 line 2",
    ]
    assert [h["run"]["id"] for h in hits] == [second, first]
    assert {h["job"]["id"] for h in hits} == {job_id}
    assert hits[0]["job"]["title"] == "Chatty"
    assert body["hits"]["total"] == 2


def test_a_malformed_query_is_a_400_that_says_where(app, db, admin_client):
    """The error names ``q`` and the character where reading stopped."""
    res = admin_client.get("/logs/jobs?q=thread AND AND line")
    assert res.status_code == 400
    (error,) = res.json["errors"]
    assert error["field"] == "q"
    assert "character 12" in error["messages"][0]


def test_a_malformed_query_is_explained_in_german(app, db, admin_client):
    """The reader's language: German where the browser asks for it."""
    import flask_babel

    # The tests' requests share one app context, where Flask-Babel keeps
    # the first request's locale; a served request has a context of its own.
    flask_babel.refresh()
    try:
        res = admin_client.get(
            "/logs/jobs?q=colour:red", headers={"Accept-Language": "de"}
        )
    finally:
        flask_babel.refresh()
    (error,) = res.json["errors"]
    assert "Unbekanntes Feld 'colour' (bei Zeichen 1)" in error["messages"][0]
