# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs pause|resume|windows|window-add|window-delete``."""

import json

import pytest

from invenio_jobs.models import MaintenanceWindow, Pause

pytestmark = pytest.mark.usefixtures("empty_tables")


def test_pause_and_resume(app, db, invoke):
    """Pause with a reason and an end, read it back as JSON, resume."""
    result = invoke("pause", "--reason", "Upgrade", "--until", "2099-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert "paused" in result.output and "Upgrade" in result.output
    assert "2099-01-01T00:00:00+00:00" in result.output
    assert db.session.get(Pause, 1).reason == "Upgrade"
    result = invoke("resume", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"paused": False}
    assert db.session.query(Pause).count() == 0


@pytest.mark.parametrize(
    "args, field",
    [
        (["pause", "--reason", " "], "reason"),
        (["pause", "--reason", "x", "--until", "soon"], "until"),
        (["pause", "--reason", "x", "--until", "2001-01-01T00:00:00Z"], "until"),
    ],
)
def test_bad_pause_is_one_line_and_changes_nothing(app, db, invoke, args, field):
    """Exit code 2, the field named, no pause."""
    result = invoke(*args)
    assert result.exit_code == 2
    assert field in result.output
    assert db.session.query(Pause).count() == 0


def test_windows_are_added_listed_and_deleted(app, db, invoke):
    """window-add, windows --json, window-delete."""
    result = invoke(
        "window-add",
        "--title",
        "Sunday night",
        "--cron",
        "0 1 * * 0",
        "--timezone",
        "Europe/Zurich",
        "--duration",
        "240",
        "--json",
    )
    assert result.exit_code == 0, result.output
    window = json.loads(result.output)
    listed = json.loads(invoke("windows", "--json").output)
    assert [w["id"] for w in listed] == [window["id"]]
    assert "Sunday" in invoke("windows").output
    result = invoke("window-delete", window["id"])
    assert result.exit_code == 0, result.output
    assert db.session.query(MaintenanceWindow).count() == 0


def test_bad_window_is_refused(app, db, invoke):
    """A cron expression that cannot be read: exit code 2, nothing stored."""
    result = invoke(
        "window-add", "--title", "x", "--cron", "61 * * * *", "--duration", "5"
    )
    assert result.exit_code == 2
    assert "cron" in result.output
    assert db.session.query(MaintenanceWindow).count() == 0
    assert invoke("window-delete", "nope").exit_code == 2
