# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What ``invenio jobs ...`` changes is in the jobs' history, as done on the CLI."""

import json

import pytest
from invenio_access.permissions import system_identity

from invenio_jobs.services.history import read_history

pytestmark = pytest.mark.usefixtures("empty_tables")


def as_json(result):
    """The JSON a command printed, after checking that it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_cli_changes_and_run_actions_are_recorded_as_cli(app, db, invoke, monkeypatch):
    """Create, update, run with arguments, stop, delete: each once, ``cli``."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])
    job = as_json(
        invoke("create", "--type", "mock_controlled", "--title", "By CLI", "--json")
    )
    as_json(invoke("update", job["id"], "--title", "Renamed", "--json"))
    result = invoke("run", job["id"], "--arg", "steps=4")
    assert result.exit_code == 0, result.output
    run_id = result.output.strip()
    assert invoke("stop", run_id).exit_code == 0
    assert invoke("delete", job["id"], "--yes").exit_code == 0
    page = read_history(system_identity, job["id"])
    hits = list(reversed(page["hits"]["hits"]))
    assert [hit["action"] for hit in hits] == [
        "created",
        "updated",
        "run_started",
        "run_stopped",
        "deleted",
    ]
    assert {hit["source"] for hit in hits} == {"cli"}
    assert {hit["user"] for hit in hits} == {None}  # the command line's system
    assert hits[1]["details"] == {"title": {"old": "By CLI", "new": "Renamed"}}
    assert hits[2]["details"]["args"]["steps"] == 4
    assert hits[3]["details"]["run_id"] == run_id
    assert page["job_deleted"] is True


def test_a_command_leaves_no_source_behind(app, db, invoke):
    """After a command, changes made elsewhere in the process are not "cli"."""
    from invenio_jobs.services.history import current_change_source

    as_json(invoke("list", "--json"))
    assert current_change_source() != "cli"


def test_run_again_is_recorded_with_its_source_run(app, db, invoke, monkeypatch):
    """``invenio jobs run-again RUN``: a new run as RUN was, ``run_again`` (cli)."""
    monkeypatch.setattr("invenio_jobs.services.uow.send_runs", lambda d: [])
    job = as_json(
        invoke("create", "--type", "mock_controlled", "--title", "Again", "--json")
    )
    result = invoke("run", job["id"], "--arg", "steps=4", "--title", "Once")
    assert result.exit_code == 0, result.output
    first = result.output.strip()
    result = invoke("run-again", first)
    assert result.exit_code == 0, result.output
    second = result.output.strip()
    assert second != first
    entry = read_history(system_identity, job["id"])["hits"]["hits"][0]
    assert entry["action"] == "run_again"
    assert entry["source"] == "cli"
    assert entry["details"]["run_id"] == second
    assert entry["details"]["source_run_id"] == first
    assert entry["details"]["args"]["steps"] == 4
    assert entry["details"]["title"] == "Once"
    assert invoke("run-again", "no-such-run").exit_code != 0
