# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Schedules in the reader's language: German words, in the API and the CLI."""

import flask_babel
import pytest
from schedule_helpers import cron, every

from invenio_jobs.schedules import describe, parse_cron_expression

GERMAN_INTERVALS = {
    "alle 4 Stunden": {"hours": 4},
    "jede Stunde": {"hours": 1},
    "jeden Tag": {"days": 1},
    "alle 1 Tag und 6 Stunden": {"days": 1, "hours": 6},
    "alle 1 Stunde, 30 Minuten und 15 Sekunden": {
        "hours": 1,
        "minutes": 30,
        "seconds": 15,
    },
    "alle 1,5 Stunden": {"hours": 1.5},
}
"""Intervals in words of our catalog, by their fields."""

GERMAN_CRONS = {
    "Um 02:30 (Europe/Zurich)": "30 2 * * * Europe/Zurich",
    "Alle 15 Minuten (UTC)": "*/15 * * * * UTC",
    "Um 09:00, Montag bis Freitag (UTC)": "0 9 * * 1-5 UTC",
    "Um 00:00, am 1 Tag des Monats, nur im Januar (UTC)": "0 0 1 1 * UTC",
}
"""Crontabs in cron-descriptor's words, names and zone ours; by cron and zone."""


@pytest.mark.parametrize("words", list(GERMAN_INTERVALS))
def test_intervals_in_german(words):
    """Intervals in our catalog's words, plurals and decimal comma included."""
    assert describe(every(**GERMAN_INTERVALS[words]), "UTC", "de") == words


@pytest.mark.parametrize("words", list(GERMAN_CRONS))
def test_crontabs_in_german(words):
    """The cron part by cron-descriptor, day and month names in German, our zone."""
    *fields, zone = GERMAN_CRONS[words].split()
    schedule = parse_cron_expression(" ".join(fields), zone)
    assert describe(schedule, "UTC", "de") == words
    assert describe(None, "UTC", "de") == "nicht geplant"


@pytest.mark.parametrize("language", [None, "en", "en_GB", "en-US"])
def test_english_keeps_its_sentences(language):
    """English readers (and clients comparing the text) get the sentences they had."""
    schedule = cron(minute="30", hour="2", timezone="Europe/Zurich")
    assert describe(schedule, "UTC", language) == "every day at 02:30 Europe/Zurich"


def test_a_regional_locale_and_an_unknown_language():
    """de_CH reads German; a language without a catalog reads cron-descriptor's."""
    assert describe(every(hours=4), "UTC", "de_CH") == "alle 4 Stunden"
    assert describe(every(hours=4), "UTC", "fr") == "every 4 hours"
    assert describe(cron(minute="*/15"), "UTC", "fr") == "Toutes les 15 minutes (UTC)"


def test_both_day_fields_keep_celerys_meaning():
    """Days 1-7 and Monday is the first Monday: both must match, not either."""
    schedule = parse_cron_expression("0 2 1-7 * mon,fri")
    assert describe(schedule, "UTC", "de") == (
        "Um 02:00, zwischen Tag 1 und 7 des Monats, nur wenn dieser Tag ein "
        "Montag oder Freitag ist (UTC)"
    )


def test_what_cron_descriptor_cannot_say_is_written_as_cron():
    """A range that wraps around (Celery's) is never an error, at worst notation."""
    words = describe(parse_cron_expression("50-10 * * * *"), "UTC", "de")
    assert words.endswith("(UTC)") and "50" in words and "10" in words


def test_an_invalid_schedule_is_named_in_german():
    """A stored schedule that no longer validates is said to be invalid, not raised."""
    words = describe({"type": "crontab", "minute": "61"}, "UTC", "de")
    assert words.startswith("ungültiger Zeitplan (")


@pytest.fixture(scope="module")
def app_config(app_config):
    """German is one of the instance's languages."""
    app_config["I18N_LANGUAGES"] = [("de", "Deutsch")]
    return app_config


@pytest.fixture()
def zurich_job(app, database):
    """A job at 02:30 Zurich time, removed afterwards."""
    from helpers import delete_jobs_and_runs, make_job

    job = make_job(
        database.session,
        title="Nightly",
        schedule=cron(minute="30", hour="2", timezone="Europe/Zurich"),
    )
    database.session.commit()
    yield job
    delete_jobs_and_runs(database)


def fresh(call, *args, **kwargs):
    """A request with the locale chosen afresh.

    The tests share one app context, where the chosen locale is kept; each
    real request has its own.
    """
    flask_babel.refresh()
    try:
        return call(*args, **kwargs)
    finally:
        flask_babel.refresh()


def test_the_api_speaks_the_requests_language(admin_client, zurich_job):
    """``?ln=de`` and ``Accept-Language: de`` give German words; English otherwise."""
    path = f"/jobs/{zurich_job.id}"
    assert fresh(admin_client.get, path).json["schedule_description"] == (
        "every day at 02:30 Europe/Zurich"
    )
    german = "Um 02:30 (Europe/Zurich)"
    res = fresh(admin_client.get, f"{path}?ln=de")
    assert res.json["schedule_description"] == german
    res = fresh(admin_client.get, path, headers={"Accept-Language": "de-CH,de;q=0.9"})
    assert res.json["schedule_description"] == german
    listed = fresh(admin_client.get, "/jobs?ln=de").json["hits"]["hits"]
    assert listed[0]["schedule_description"] == german
    preview = fresh(
        admin_client.post,
        "/jobs/schedule-preview?ln=de",
        json={"schedule": every(hours=4)},
    ).json
    assert preview["description"] == "alle 4 Stunden"


def test_the_cli_speaks_the_instances_language(app, invoke, zurich_job):
    """The CLI has no request: it follows the locale of its app (the default)."""
    with flask_babel.force_locale("de"):
        result = invoke("show", str(zurich_job.id))
    assert result.exit_code == 0, result.output
    assert "Um 02:30 (Europe/Zurich)" in result.output
    result = fresh(invoke, "show", str(zurich_job.id))
    assert "every day at 02:30 Europe/Zurich" in result.output
