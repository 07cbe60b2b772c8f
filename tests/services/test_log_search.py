# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Searching the logs of every run with InvenioRDM's query language."""

import pytest
from helpers import make_job, make_run, utc
from invenio_access.permissions import system_identity
from marshmallow import ValidationError

from invenio_jobs.models import RunLog, RunStatusEnum
from invenio_jobs.proxies import current_jobs_logs_service

pytestmark = pytest.mark.usefixtures("empty_tables")

LINES = [
    # (run, day, hour, level, message, context)
    ("ror", 1, 9, "INFO", "Harvest started", {"module": "ror"}),
    ("ror", 1, 10, "WARNING", "Record 10.1234/abc-001 has no title", None),
    ("ror", 1, 11, "ERROR", "Failed to fetch 10.1234/abc-002: timeout", None),
    ("orcid", 2, 9, "INFO", "Harvest started", {"module": "orcid", "line": 12}),
    ("orcid", 2, 10, "INFO", "Imported 500 names", {"function": "load"}),
    ("orcid", 2, 11, "ERROR", "Failed to parse 100% of 0000-0002_x", None),
    ("orcid_child", 2, 12, "DEBUG", "subtask wrote 10.1234/abc-003", None),
    ("funders", 3, 9, "CRITICAL", "Disk full while writing funders", None),
]


@pytest.fixture()
def logs(db):
    """Three runs of two jobs (one run with a subtask), their lines."""
    vocab = make_job(db.session, title="Vocabularies")
    funders_job = make_job(db.session, title="Funders")
    ror = make_run(db.session, vocab, number=1, status=RunStatusEnum.FAILED)
    orcid = make_run(db.session, vocab, number=2, status=RunStatusEnum.SUCCESS)
    child = make_run(
        db.session,
        vocab,
        number=3,
        parent_run_id=orcid.id,
        status=RunStatusEnum.SUCCESS,
    )
    funders = make_run(db.session, funders_job, number=1, status=RunStatusEnum.FAILED)
    runs = {"ror": ror, "orcid": orcid, "orcid_child": child, "funders": funders}
    for name, day, hour, level, message, context in LINES:
        db.session.add(
            RunLog(
                run_id=runs[name].id,
                timestamp=utc(2026, 3, day, hour),
                level=level,
                logger="vocabularies",
                message=message,
                context=context,
            )
        )
    db.session.commit()
    return {"jobs": {"vocab": vocab, "funders": funders_job}, **runs}


def search(q, **params):
    """The answer to ``q`` as JSON, asked as the system."""
    return current_jobs_logs_service.search(
        system_identity, {"q": q, **params}
    ).to_dict()


def messages(q, **params):
    """The messages of the hits of ``q``, in the answer's order."""
    return [hit["message"] for hit in search(q, **params)["hits"]["hits"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("harvest", ["Harvest started", "Harvest started"]),
        ("message:timeout", ["Failed to fetch 10.1234/abc-002: timeout"]),
        ('"no title"', ["Record 10.1234/abc-001 has no title"]),
        ('"title has"', []),
        ("10.1234/abc*", None),
        ("abc-00?", None),
        ("failed AND fetch", ["Failed to fetch 10.1234/abc-002: timeout"]),
        ("failed fetch", ["Failed to fetch 10.1234/abc-002: timeout"]),
        ("timeout OR disk", None),
        ("harvest AND NOT module:orcid", ["Harvest started"]),
        ("failed AND NOT module:ror", None),
        ("failed -parse", ["Failed to fetch 10.1234/abc-002: timeout"]),
        ("+failed +parse", ["Failed to parse 100% of 0000-0002_x"]),
        ("(timeout OR disk) AND level:CRITICAL", ["Disk full while writing funders"]),
        ("level:error", None),
        ("level:>=ERROR", None),
        ("level:[WARNING TO ERROR]", None),
        ('"100%"', ["Failed to parse 100% of 0000-0002_x"]),
        ("0002_x", ["Failed to parse 100% of 0000-0002_x"]),
        ("000_", []),
        ("module:ror", ["Harvest started"]),
        ("function:lo*", ["Imported 500 names"]),
        ("line:12", ["Harvest started"]),
        ("line:[10 TO 20]", ["Harvest started"]),
        ("logger:vocab*", None),
        ("@timestamp:2026-03-03", ["Disk full while writing funders"]),
        ("@timestamp:[2026-03-02 TO *]", None),
        ("@timestamp:{2026-03-01 TO 2026-03-03}", None),
        ("@timestamp:>=2026-03-02T11:00:00Z AND level:ERROR", None),
        ("@timestamp:<2026-03-01T10:00:00", ["Harvest started"]),
        ("message:(disk OR names)", None),
        ("*", None),
    ],
)
def test_each_query_form(app, logs, query, expected):
    """Every form of the language finds the lines its meaning says, newest first."""
    found = messages(query)
    if expected is None:
        expected = [line[4] for line in reversed(LINES) if _matches(query, line)]
    assert found == expected


def _matches(query, line):
    """The lines the forms without a literal answer must find (by hand)."""
    run, day, hour, level, message, context = line
    return {
        "10.1234/abc*": "10.1234/abc" in message,
        "abc-00?": "abc-00" in message,
        "timeout OR disk": "timeout" in message or "Disk" in message,
        "failed AND NOT module:ror": "Failed" in message,
        "level:error": level == "ERROR",
        "level:>=ERROR": level in ("ERROR", "CRITICAL"),
        "level:[WARNING TO ERROR]": level in ("WARNING", "ERROR"),
        "logger:vocab*": True,
        "@timestamp:[2026-03-02 TO *]": day >= 2,
        "@timestamp:{2026-03-01 TO 2026-03-03}": day == 2,
        "@timestamp:>=2026-03-02T11:00:00Z AND level:ERROR": (day, hour) >= (2, 11)
        and level == "ERROR",
        "message:(disk OR names)": "Disk" in message or "names" in message,
        "*": True,
    }[query]


def test_run_and_job_fields(app, logs):
    """A run's lines include its subtasks'; a job's, all its runs'."""
    orcid, job = logs["orcid"], logs["jobs"]["vocab"]
    assert messages(f"context.run_id:{orcid.id}") == [
        "Harvest started",
        "Imported 500 names",
        "Failed to parse 100% of 0000-0002_x",
        "subtask wrote 10.1234/abc-003",
    ]
    assert len(messages(f"context.job_id:{job.id}")) == 7
    assert messages(f'job_id:"{job.id}" AND level:ERROR') == [
        "Failed to parse 100% of 0000-0002_x",
        "Failed to fetch 10.1234/abc-002: timeout",
    ]
    assert messages(f"context.parent_run_id:{orcid.id}") == [
        "subtask wrote 10.1234/abc-003"
    ]
    assert len(messages("context.identity_id:system")) == len(LINES)
    assert messages("context.identity_id:7") == []


def test_a_log_reads_in_time_order_and_a_search_newest_first(app, logs):
    """``q=<id>`` is a log, oldest line first; ``sort`` turns either order."""
    orcid = logs["orcid"]
    in_order = messages(str(orcid.id))
    assert in_order[0] == "Harvest started"
    assert messages(str(orcid.id), sort="-timestamp") == in_order[::-1]
    newest = messages("harvest")
    assert messages("harvest", sort="timestamp") == newest[::-1]


def test_each_hit_names_its_run_and_job(app, logs):
    """The run (id, number, status) and the job (id, title) of every hit."""
    (hit,) = search("disk")["hits"]["hits"]
    funders = logs["funders"]
    assert hit["run"]["id"] == str(funders.id)
    assert hit["run"]["number"] == 1
    assert hit["run"]["status"] == "FAILED"
    assert hit["job"] == {"id": str(funders.job_id), "title": "Funders"}
    assert hit["context"]["run_id"] == str(funders.id)


def test_search_after_pages_newest_first(app, logs):
    """Pages of a search follow each other with ``search_after``, none repeated."""
    everything = search("*")["hits"]["hits"]
    collected, after = [], None
    while True:
        params = {"size": 3}
        if after is not None:
            params["search_after"] = after
        page = search("*", **params)
        collected.extend(page["hits"]["hits"])
        if "next" not in page["links"]:
            break
        after = page["hits"]["sort"][0]
        assert "search_after" in page["links"]["next"]
    assert [h["id"] for h in collected] == [h["id"] for h in everything]
    assert [h["id"] for h in everything] == sorted(
        (h["id"] for h in everything), reverse=True
    )


def test_the_total_of_a_search_is_capped(app, logs):
    """A search counts up to ``JOBS_LOGS_SEARCH_TOTAL_LIMIT``; a log, all lines."""
    app.config["JOBS_LOGS_SEARCH_TOTAL_LIMIT"] = 3
    try:
        body = search("*", size=2)
        assert body["hits"]["total"] == 3
        orcid = logs["orcid"]
        assert search(str(orcid.id), size=1)["hits"]["total"] == 4
    finally:
        app.config["JOBS_LOGS_SEARCH_TOTAL_LIMIT"] = 1_000


@pytest.mark.parametrize(
    "query, words",
    [
        ("failed AND (timeout", ["end"]),
        ('"unclosed', ["character 1"]),
        ("failed AND AND x", ["character 12"]),
        ("colour:red", ["colour", "character 1", "message"]),
        ("message:(level:ERROR)", ["character 10"]),
        ("level:LOUD", ["level", "ERROR", "character 7"]),
        ("context.run_id:nope", ["context.run_id", "character 16"]),
        ("@timestamp:yesterday", ["@timestamp", "2026-01-31"]),
        ("message:[a TO b]", ["Ranges", "message"]),
        ("fuzzy~2", ["not supported", "character 1"]),
        ("line:ten", ["whole number"]),
        ("   ", ["query"]),
    ],
)
def test_a_malformed_query_says_where(app, logs, query, words):
    """A query that cannot be read is refused on ``q``, saying what and where."""
    with pytest.raises(ValidationError) as refused:
        search(query)
    (message,) = refused.value.messages["q"]
    for word in words:
        assert word in message
