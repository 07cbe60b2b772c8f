# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alerts in the admin pages: settings in the job form, deliveries on the job page.

Headless Chromium on the live server; each page also passes axe's WCAG
A and AA checks, in English and German.
"""

import uuid

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from invenio_db import db
from page_checks import assert_accessible

from invenio_jobs.models import AlertDelivery, AlertState, utcnow


def test_alert_settings_are_saved_from_the_form(admin):
    """Thresholds, addresses and a Slack webhook typed in the form are stored."""
    job = make_job(title="Harvest")  # noqa: F405
    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find("#job-alerts-late-minutes")
    assert_accessible(admin, "edit form with alert settings")
    admin.type("#job-alerts-late-minutes", "15")
    admin.type("#job-alerts-failures-in-row", "3")
    admin.type("#job-alerts-emails", "ops@example.org")
    admin.type("#job-alerts-webhooks", "https://hooks.example.org/jobs")
    admin.click("#job-alerts-slack + label")
    admin.click(".jobs-save")
    admin.wait(lambda: "/edit" not in admin.driver.current_url, "saved")
    admin.find(".jobs-no-deliveries")
    stored = db_job(job["id"]).alerts  # noqa: F405
    assert stored == {
        "late_minutes": 15,
        "failures_in_row": 3,
        "recovered": True,
        "emails": ["ops@example.org"],
        "webhooks": [{"url": "https://hooks.example.org/jobs", "format": "slack"}],
    }

    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.wait(
        lambda: admin.find("#job-alerts-late-minutes").get_attribute("value") == "15",
        "settings read back",
    )
    admin.type("#job-alerts-late-minutes", "0")
    admin.click(".jobs-save")
    admin.wait(
        lambda: "1" in admin.text(".jobs-alert-settings .ui.pointing.label"),
        "the threshold's message under it",
    )
    assert db_job(job["id"]).alerts["late_minutes"] == 15  # noqa: F405


def _alerted(job_id):
    """An open alert with a delivery that is waiting for its third try."""
    now = utcnow()
    job_id = uuid.UUID(job_id)
    db.session.add(AlertState(job_id=job_id, kind="failures", started_at=now))
    db.session.add(
        AlertDelivery(
            job_id=job_id,
            kind="failures",
            event="started",
            channel="webhook",
            target="https://hooks.example.org/jobs",
            body={"text": "failed"},
            status="pending",
            tries=2,
            last_error="HTTP 500 Internal Server Error",
            due_at=now,
            created=now,
        )
    )
    db.session.commit()


def test_the_job_page_lists_alerts_and_deliveries(admin):
    """The open alert, and each delivery with its status, tries and last error."""
    job = make_job(title="Export", alerts={"failures_in_row": 2})  # noqa: F405
    _alerted(job["id"])
    admin.open(f"/administration/jobs/{job['id']}")
    row = admin.find(".jobs-delivery-row")
    assert "HTTP 500" in row.text and "hooks.example.org" in row.text
    assert "Failures in a row" in admin.text(".jobs-open-alerts")
    assert_accessible(admin, "job page with alerts")

    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.find(".jobs-delivery-row")
    assert "Warnungen" in admin.text(".jobs-alerts-header")
    assert "Wartet auf den nächsten Versuch" in admin.text(".jobs-delivery-row")
    assert_accessible(admin, "job page with alerts (de)")


def test_the_health_panel_counts_the_jobs_each_alert_holds_for(admin):
    """ "1 job failing in a row" above the jobs list; German too."""
    job = make_job(title="Import", alerts={"failures_in_row": 2})  # noqa: F405
    _alerted(job["id"])
    admin.open("/administration/jobs")
    count = admin.find(".jobs-health-alerts-failures")
    assert count.text == "1 job failing in a row"
    assert_accessible(admin, "jobs list with alerts")
    admin.open("/administration/jobs?ln=de")
    admin.wait(
        lambda: admin.text(".jobs-health-alerts-failures")
        == "1 Job schlägt wiederholt fehl",
        "German count",
    )
