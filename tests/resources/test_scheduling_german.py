# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pause's and the maintenance windows' errors in German."""

import flask_babel
import pytest

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German besides English, as a multilingual site has it."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


def german(client, method, path, **kwargs):
    """A request in German, with the catalogs read afresh."""
    flask_babel.refresh()
    try:
        return getattr(client, method)(
            path, headers={"Accept-Language": "de"}, **kwargs
        )
    finally:
        flask_babel.refresh()


def messages(res):
    """Each field's messages of a 400."""
    assert res.status_code == 400, res.json
    return {e["field"]: e["messages"] for e in res.json["errors"]}


@pytest.mark.parametrize(
    "path, body, field, words",
    [
        (
            "/jobs/actions/pause",
            {},
            "reason",
            "Grund: Sagen Sie, warum alles pausiert ist.",
        ),
        (
            "/jobs/actions/pause",
            {"reason": "x", "until": "2001-01-01T00:00:00Z"},
            "until",
            "Bis: Geben Sie einen Zeitpunkt in der Zukunft an oder keinen.",
        ),
        (
            "/jobs/maintenance-windows",
            {"title": "x", "cron": "0 1 * * 0", "duration": 0},
            "duration",
            "Dauer: Geben Sie 1 bis 10080 Minuten an.",
        ),
        (
            "/jobs/maintenance-windows",
            {"title": "x", "cron": "0 1 * * 0"},
            "duration",
            "Dauer: Geben Sie die Länge des Fensters in Minuten an.",
        ),
    ],
)
def test_errors_are_german(app, db, admin_client, path, body, field, words):
    """Each new message has its German words."""
    res = german(admin_client, "post", path, json=body)
    assert messages(res)[field] == [words]


def test_missing_window_is_named_in_german(app, db, admin_client):
    """The 404 of a window that does not exist."""
    missing = "7b8c1e0a-1f9a-4c55-9d0e-2a4f3b6c8d10"
    res = german(admin_client, "get", f"/jobs/maintenance-windows/{missing}")
    assert res.status_code == 404
    assert res.json["message"] == (
        f"Das Wartungsfenster mit der ID {missing} existiert nicht."
    )
