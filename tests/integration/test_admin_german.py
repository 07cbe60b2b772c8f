# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""German everywhere once chosen: words, dates with zones, server messages."""

import re
from datetime import datetime, timedelta, timezone

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import message_under

from invenio_jobs.models import Run, RunLog, RunStatusEnum, RunTrigger

ZONE = r"(UTC|GMT[+-]?\d*|MEZ|MESZ)"
"""What Intl writes for the zone of a time (the browser runs in UTC here)."""


def stored_run(job, trigger=RunTrigger.SCHEDULED, started_by_id=None):
    """A finished run of ``job`` with two log lines, stored directly."""
    from invenio_db import db

    now = datetime.now(timezone.utc)
    run = Run(
        job_id=job["id"],
        status=RunStatusEnum.PARTIAL_SUCCESS,
        title="Nachtlauf",
        args={},
        queue="celery",
        trigger=trigger,
        started_by_id=started_by_id,
        scheduled_at=(
            now - timedelta(minutes=5) if trigger == RunTrigger.SCHEDULED else None
        ),
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=4),
        message="7 of 307 records rejected",
    )
    number_stored([run])
    db.session.add(run)
    db.session.flush()
    for level, message in (("INFO", "Beginnt"), ("WARNING", "Abgelehnt")):
        db.session.add(
            RunLog(
                run_id=run.id,
                timestamp=now - timedelta(minutes=4, seconds=30),
                level=level,
                logger="test",
                message=message,
            )
        )
    db.session.commit()
    return str(run.id)


def test_the_language_switcher_keeps_german_on_every_page(admin):
    """Chosen once, German stays on the next pages, without ``?ln=``."""
    job = make_job(title="Stündlich", schedule={"type": "interval", "hours": 1})
    admin.open("/administration/jobs")
    admin.find(".jobs-row")
    admin.click(".jobs-language a[hreflang=de]")
    admin.wait(lambda: admin.text(".jobs-create") == "Job erstellen", "German list")
    assert "ln=" not in admin.driver.current_url
    admin.open(f"/administration/jobs/{job['id']}")
    admin.wait(lambda: "Jetzt starten" in admin.text(".jobs-page-actions"), "German")
    assert (
        admin.find(".jobs-language a[aria-current=true]").get_attribute("hreflang")
        == "de"
    )
    # Back to English the same way.
    admin.click(".jobs-language a[hreflang=en]")
    admin.wait(lambda: "Run now" in admin.text(".jobs-page-actions"), "English again")


def test_dates_are_german_and_carry_their_zone(admin):
    """Next runs of interval and cron jobs, previews and log lines: locale and zone."""
    interval = make_job(title="Intervall", schedule={"type": "interval", "hours": 4})
    cron = make_job(
        title="Cron",
        schedule={
            "type": "crontab",
            "minute": "1",
            "hour": "3",
            "timezone": "Europe/Zurich",
        },
    )
    run_id = stored_run(interval)

    admin.open("/administration/jobs?ln=de")
    interval_time = admin.text(
        f".jobs-row[data-job-id='{interval['id']}'] .jobs-next-run .jobs-muted"
    )
    assert re.search(r"\d{1,2}\. \S+ \d{4}, \d{1,2}:\d{2}:\d{2} " + ZONE, interval_time)
    assert "AM" not in interval_time and "PM" not in interval_time
    cron_time = admin.text(
        f".jobs-row[data-job-id='{cron['id']}'] .jobs-next-run .jobs-muted"
    )
    assert re.search(r"\d{4}, 03:01:00 Europe/Zurich$", cron_time)

    admin.open(f"/administration/jobs/{interval['id']}/edit?ln=de")
    first = admin.wait(lambda: admin.find_all(".jobs-fire-time"), "preview")[0].text
    assert re.search(r"\d{1,2}:\d{2}:\d{2} " + ZONE, first)

    admin.open(f"/administration/jobs/{interval['id']}/runs/{run_id}?ln=de")
    line_time = admin.text(".jobs-log-line .jobs-log-time")
    assert re.fullmatch(
        r"\d{1,2}\.\d{1,2}\.\d{2,4} \d{2}:\d{2}:\d{2}\.\d{3} " + ZONE, line_time
    )


def test_server_messages_badges_arguments_and_run_button_are_german(admin):
    """Validation messages, trigger badges, argument labels and "Starten"."""
    job = make_job(title="Geplant", schedule={"type": "interval", "hours": 4})
    stored_run(job, RunTrigger.SCHEDULED)
    coalesced = stored_run(job, RunTrigger.COALESCE)

    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.find(".jobs-run-row")
    badges = {label.text for label in admin.find_all(".jobs-trigger")}
    assert {"geplant", "zusammengefasst"} <= badges

    admin.open(f"/administration/jobs/{job['id']}/runs/{coalesced}?ln=de")
    assert "(zusammengefasst)" in admin.text(".jobs-run-details")

    admin.open("/administration/jobs/new?ln=de")
    admin.choose("#job-task", "Chatty")
    since = admin.find("#argument-since")
    label = since.find_element(
        "xpath", "./ancestor::div[contains(@class,'field')][1]//label"
    )
    assert label.text == "Seit"
    admin.type("#argument-since", "gestern")
    admin.click(".jobs-save")
    assert message_under(admin, "#job-title") == (
        "Titel: Geben Sie dem Job einen Titel mit 1 bis 255 Zeichen."
    )
    assert message_under(admin, "#argument-since").startswith(
        "Seit: Geben Sie Datum und Uhrzeit"
    )

    admin.open("/administration/jobs?ln=de")
    admin.click(f".jobs-row[data-job-id='{job['id']}'] .jobs-run-now")
    assert admin.text(".jobs-run-modal .jobs-run-confirm") == "Starten"
