# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs logs``: a run's log in the terminal."""

import uuid

import pytest
from invenio_access.permissions import system_identity

from invenio_jobs.proxies import current_jobs_service, current_runs_service


@pytest.fixture()
def chatty_run(app, db):
    """A finished run of the chatty job, executed eagerly."""
    job = current_jobs_service.create(
        system_identity, {"title": "Chatty", "task": "mock_chatty", "run_args": {}}
    )
    run = current_runs_service.create(
        system_identity, job.id, {"args": {"tag": "cli", "lines": 2, "fail": True}}
    )
    return run.id


def test_logs_prints_every_line_with_its_level(app, db, invoke, chatty_run):
    """All lines, in order, with level and logger; markup is printed as text."""
    result = invoke("logs", chatty_run)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "cli: main 0" in lines[0] and "INFO" in lines[0]
    assert "mock_module.chatty" in lines[0]
    assert any("WARNING" in line and "cli: warning" in line for line in lines)
    assert any("cli: error <b>markup</b>" in line for line in lines)
    assert "ValueError: cli broke" in result.output


def test_logs_filters_by_level(app, db, invoke, chatty_run):
    """``--level ERROR`` shows errors only."""
    result = invoke("logs", chatty_run, "--level", "error")
    assert result.exit_code == 0, result.output
    assert "cli: main 0" not in result.output
    assert "cli: error" in result.output


def test_follow_stops_when_the_run_has_ended(app, db, invoke, chatty_run):
    """``--follow`` on a finished run prints the log and its status."""
    result = invoke("logs", chatty_run, "--follow", "--interval", "0")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("Run ended: FAILED")


@pytest.mark.parametrize("run_id", ["nope", str(uuid.uuid4())])
def test_logs_of_unknown_run_is_one_line_and_exit_2(app, db, invoke, run_id):
    """Bad input: one line saying what is wrong, exit code 2."""
    result = invoke("logs", run_id)
    assert result.exit_code == 2
    assert f"No run with id '{run_id}'" in result.output
