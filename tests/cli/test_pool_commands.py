# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs pools ...``: create, list, change, delete, join and leave."""

import json
import uuid

import pytest
from helpers import make_run
from invenio_db import db as db_

from invenio_jobs.models import Job, RunStatusEnum

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """The CLI's tables, unwrapped."""
    monkeypatch.setenv("COLUMNS", "250")


def as_json(result):
    """The JSON a command printed, after checking that it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_pool_is_created_listed_changed_and_deleted(app, db, invoke):
    created = as_json(
        invoke("pools", "create", "harvest", "2", "--description", "ORCID", "--json")
    )
    assert (created["name"], created["slots"]) == ("harvest", 2)

    listed = invoke("pools", "list")
    assert listed.exit_code == 0
    assert "harvest" in listed.output and "ORCID" in listed.output

    changed = as_json(invoke("pools", "update", "harvest", "--slots", "3", "--json"))
    assert changed["slots"] == 3

    deleted = invoke("pools", "delete", "harvest")
    assert deleted.exit_code == 0
    assert as_json(invoke("pools", "list", "--json")) == []


def test_a_job_joins_and_leaves_a_pool(app, db, invoke):
    invoke("pools", "create", "harvest", "1")
    job = as_json(
        invoke(
            "create",
            *("--type", "mock_echo", "--title", "Echo", "--arg", "message=hi"),
            "--json",
        )
    )

    joined = invoke("pools", "join", job["id"], "harvest")
    assert joined.exit_code == 0, joined.output
    refused = invoke("pools", "delete", "harvest")
    assert refused.exit_code == 2
    assert "used by 1 job" in refused.output

    left = invoke("pools", "leave", job["id"])
    assert left.exit_code == 0, left.output
    assert invoke("pools", "delete", "harvest").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (("create", "Bad Name", "2"), "Name:"),
        (("create", "harvest", "0"), "Slots:"),
        (("update", "missing", "--slots", "2"), "does not exist"),
        (("update", "harvest"), "Nothing to change"),
        (("delete", "missing"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(app, db, invoke, args, message):
    invoke("pools", "create", "harvest", "1")

    result = invoke("pools", *args)

    assert result.exit_code == 2
    assert message in result.output
    assert [pool["slots"] for pool in as_json(invoke("pools", "list", "--json"))] == [1]


def test_a_waiting_run_says_so_in_the_lists(app, db, invoke):
    invoke("pools", "create", "harvest", "1")
    job = as_json(
        invoke(
            "create",
            *("--type", "mock_echo", "--title", "Echo", "--arg", "message=hi"),
            "--json",
        )
    )
    invoke("pools", "join", job["id"], "harvest")
    stored = db_.session.get(Job, uuid.UUID(job["id"]))
    make_run(db_.session, stored, status=RunStatusEnum.RUNNING, slot_pool="harvest")
    make_run(db_.session, stored, task_id=str(uuid.uuid4()))
    db_.session.commit()

    listed = invoke("runs", job["id"])
    jobs = invoke("list")

    assert listed.exit_code == 0, listed.output
    assert "waiting for pool harvest (1 of 1 busy)" in listed.output
    assert "waiting for pool harvest (1 of 1 busy)" in jobs.output
