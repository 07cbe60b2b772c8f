# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The messages of a refused job form: each names its field and the fix."""

import flask_babel
import pytest


@pytest.fixture(scope="module")
def app_config(app_config):
    """German besides English, as a multilingual site has it."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


def job_data(**overrides):
    """A valid job as the admin form sends it."""
    data = {
        "title": "Nightly echo",
        "task": "mock_echo",
        "schedule": {"type": "interval", "hours": 4},
        "run_args": {"message": "hello"},
    }
    data.update(overrides)
    return data


def messages(res):
    """The messages of a 400 answer, by field."""
    assert res.status_code == 400, res.json
    found = {}
    for error in res.json["errors"]:
        found.setdefault(error["field"], []).extend(error["messages"])
    return found


@pytest.mark.parametrize("every", [0, -5])
def test_an_interval_of_zero_or_less_is_refused_under_every(
    app, db, admin_client, every
):
    """0 and -5 are both refused with the same fix, on the unit's field."""
    res = admin_client.post(
        "/jobs", json=job_data(schedule={"type": "interval", "hours": every})
    )
    assert messages(res) == {
        "schedule.hours": [
            f"Every: give a number of hours greater than 0, not {every}."
        ]
    }


def test_the_interval_preview_names_the_field_too(app, db, admin_client):
    """The preview refuses 0 with the message the save gives."""
    res = admin_client.post(
        "/jobs/schedule-preview",
        json={"schedule": {"type": "interval", "minutes": 0}},
    )
    assert messages(res) == {
        "schedule.minutes": ["Every: give a number of minutes greater than 0, not 0."]
    }


def test_an_empty_title_says_to_give_one(app, db, admin_client):
    """An empty title names the Title field and its length."""
    res = admin_client.post("/jobs", json=job_data(title=""))
    assert messages(res) == {
        "title": ["Title: give the job a title of 1 to 255 characters."]
    }


@pytest.mark.parametrize(
    "task,expected",
    [
        ("", "Job type: choose what the job runs."),
        (
            "no_such_type",
            "Job type: 'no_such_type' is not a registered job type; "
            "choose one of the list.",
        ),
    ],
)
def test_a_missing_or_unknown_job_type_says_to_choose_one(
    app, db, admin_client, task, expected
):
    """No job type, or one not registered: choose one, not "Unknown job type ''"."""
    res = admin_client.post("/jobs", json=job_data(task=task, run_args={}))
    assert messages(res) == {"task": [expected]}


def test_each_bad_email_address_is_named(app, db, admin_client):
    """Of two addresses, the bad one is named, once, with an example."""
    res = admin_client.post(
        "/jobs", json=job_data(notification_emails=["ops@example.org", "ops-at-home"])
    )
    assert messages(res) == {
        "notification_emails.1": [
            "Email addresses: 'ops-at-home' is not an email address; "
            "write it like name@example.org."
        ]
    }


def test_argument_errors_come_with_the_other_errors(app, db, admin_client):
    """Bad arguments are reported on the first save, beside a bad title."""
    res = admin_client.post(
        "/jobs",
        json=job_data(
            title="",
            task="mock_chatty",
            run_args={"lines": "many", "sleep": "slow", "since": "yesterday"},
        ),
    )
    found = messages(res)
    assert found["title"] == ["Title: give the job a title of 1 to 255 characters."]
    assert found["run_args.lines"] == ["Lines: give a whole number."]
    assert found["run_args.sleep"] == ["Sleep: give a number."]
    assert found["run_args.since"] == [
        "Since: give a date and time like 2026-01-31T02:00:00+00:00."
    ]


def test_messages_follow_the_language_of_the_request(app, db, admin_client):
    """With German asked for, the messages are German."""
    # The tests' requests share one app context, where Flask-Babel keeps
    # the first request's locale; a served request has a context of its own.
    flask_babel.refresh()
    try:
        res = admin_client.post(
            "/jobs",
            json=job_data(title="", schedule={"type": "interval", "hours": 0}),
            headers={"Accept-Language": "de"},
        )
    finally:
        flask_babel.refresh()
    found = messages(res)
    assert found["title"] == [
        "Titel: Geben Sie dem Job einen Titel mit 1 bis 255 Zeichen."
    ]
    assert found["schedule.hours"] == [
        "Alle: Geben Sie eine Anzahl Stunden größer als 0 an, nicht 0."
    ]


@pytest.mark.parametrize(
    "schedule, field, german",
    [
        (
            {"type": "crontab", "minute": "61"},
            "schedule.minute",
            "Ungültiges Cron-Feld '61': Minute muss zwischen 0 und 59 liegen.",
        ),
        (
            {"type": "crontab", "minute": "5/15"},
            "schedule.minute",
            "Ungültiges Cron-Feld '5/15': Vor einem Schritt steht '*' oder ein "
            "Bereich, etwa */15 oder 5-59/15.",
        ),
        (
            {"type": "crontab", "day_of_month": "31", "month_of_year": "2"},
            "schedule.day_of_month",
            "Der Zeitplan wird nie ausgelöst: Kein Monat in month_of_year hat "
            "den Tag 31.",
        ),
        (
            {"type": "crontab", "timezone": "Mars/Olympus"},
            "schedule.timezone",
            "Unbekannte Zeitzone 'Mars/Olympus': Geben Sie einen IANA-Namen wie "
            "'Europe/Zurich' an.",
        ),
    ],
)
def test_cron_messages_follow_the_language_of_the_request(
    app, db, admin_client, schedule, field, german
):
    """A cron field's error on a German page is German, its values kept."""
    flask_babel.refresh()
    try:
        res = admin_client.post(
            "/jobs", json=job_data(schedule=schedule), headers={"Accept-Language": "de"}
        )
    finally:
        flask_babel.refresh()
    assert messages(res)[field] == [german]


def test_missing_job_is_named_in_german(app, db, admin_client):
    """The 404 of a job that does not exist, in InvenioRDM's words, in German."""
    missing = "7b8c1e0a-1f9a-4c55-9d0e-2a4f3b6c8d10"
    flask_babel.refresh()
    try:
        res = admin_client.get(f"/jobs/{missing}", headers={"Accept-Language": "de"})
    finally:
        flask_babel.refresh()
    assert res.status_code == 404
    assert res.json["message"] == f"Es gibt keinen Job mit der ID {missing}."


def test_alert_settings_messages_in_german(app, db, admin_client):
    """A wrong threshold and a wrong webhook are named in German."""
    flask_babel.refresh()
    try:
        res = admin_client.post(
            "/jobs",
            json=job_data(
                alerts={"late_minutes": 0, "webhooks": [{"url": "ftp://x.org"}]}
            ),
            headers={"Accept-Language": "de"},
        )
    finally:
        flask_babel.refresh()
    found = messages(res)
    assert found["alerts.late_minutes"] == [
        "Verspätet nach: Geben Sie Minuten von 1 bis 10080 an."
    ]
    assert found["alerts.webhooks.0.url"] == [
        "Webhook: Geben Sie eine http://- oder https://-Adresse an."
    ]


def test_run_as_and_history_messages_in_german(app, db, admin_client):
    """An unknown run-as user and a bad history page, in the reader's language."""
    flask_babel.refresh()
    try:
        res = admin_client.post(
            "/jobs",
            json=job_data(run_as="nobody-here@example.org"),
            headers={"Accept-Language": "de"},
        )
        job_id = admin_client.post("/jobs", json=job_data()).json["id"]
        flask_babel.refresh()
        page = admin_client.get(
            f"/jobs/{job_id}/history?size=500", headers={"Accept-Language": "de"}
        )
    finally:
        flask_babel.refresh()
    assert messages(res)["run_as"] == [
        "Ausführen als: kein Benutzer mit dieser E-Mail-Adresse; nennen Sie "
        "einen bestehenden Benutzer."
    ]
    assert messages(page)["size"] == ["Geben Sie höchstens 100 an."]
