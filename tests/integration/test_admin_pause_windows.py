# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Pause all and maintenance windows in the admin UI: Chromium, axe, German.

The pause is switched from the jobs list with the keyboard-reachable
dialog, shown as a banner while on, and named in the Run now dialog; the
windows editor adds windows and shows the API's errors under the field;
the schedule preview marks the fires a window holds.
"""

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from invenio_access.permissions import system_identity
from invenio_db import db
from page_checks import (
    assert_accessible,
    focus_is_inside,
    message_under,
    press,
    tab_to,
    wait_for_focus,
)
from selenium.webdriver.common.keys import Keys

from invenio_jobs.models import MaintenanceWindow
from invenio_jobs.proxies import current_jobs


def paused():
    """Whether the pause is on, read in a fresh transaction."""
    db.session.rollback()
    return current_jobs.pause_service.read(system_identity)["paused"]


def test_pause_banner_run_now_warning_and_resume(admin):
    """Pause from the list, see who, why; Run now warns; Resume ends it."""
    job = make_job(title="Nightly export", schedule={"type": "interval", "hours": 1})
    admin.open("/administration/jobs")
    admin.find(".jobs-row")
    admin.click(".jobs-pause-all")
    admin.find(".jobs-pause-modal #jobs-pause-reason")
    assert_accessible(admin, "pause dialog")
    admin.click(".jobs-pause-confirm")
    assert "Reason" in message_under(admin, "#jobs-pause-reason")
    assert not paused()
    admin.type("#jobs-pause-reason", "Upgrade to v14")
    admin.click(".jobs-pause-confirm")
    admin.find(".jobs-pause-banner")
    banner = admin.text(".jobs-pause-banner")
    assert "All scheduled runs are paused" in banner
    assert "admin@example.org" in banner and "Upgrade to v14" in banner
    assert paused()
    assert_accessible(admin, "jobs list with the pause banner")

    admin.click(f".jobs-row[data-job-id='{job['id']}'] .jobs-run-now")
    admin.find(".jobs-run-modal .jobs-run-paused")
    assert "Upgrade to v14" in admin.text(".jobs-run-paused")
    assert admin.text(".jobs-run-confirm") == "Run anyway"
    assert_accessible(admin, "Run now dialog while paused")
    admin.click(".jobs-run-confirm")
    admin.wait(lambda: runs_of(job["id"]), "the manual run")

    admin.open("/administration/jobs")
    admin.click(".jobs-resume")
    admin.click(".jobs-resume-confirm")
    admin.find(".jobs-pause-all")
    assert not paused()


def test_pause_banner_in_german(admin):
    """The banner's words in German, clean under axe."""
    current_jobs.pause_service.pause(system_identity, {"reason": "Migration"})
    make_job(title="Nächtlich")
    admin.open("/administration/jobs?ln=de")
    admin.find(".jobs-pause-banner")
    banner = admin.text(".jobs-pause-banner")
    assert "Alle geplanten Läufe sind pausiert" in banner
    assert "Geplante Läufe fortsetzen" in banner
    assert_accessible(admin, "pause banner (de)")


def test_window_editor_adds_refuses_and_deletes(admin):
    """A window is added; a bad cron is named under its field; delete asks."""
    admin.open("/administration/jobs")
    admin.find("#window-title")
    assert_accessible(admin, "windows editor, empty")
    admin.type("#window-title", "Sunday night")
    admin.type("#window-cron", "61 1 * * 0")
    admin.type("#window-duration", "240")
    admin.click(".jobs-window-add")
    assert "minute" in message_under(admin, "#window-cron")
    db.session.rollback()
    assert db.session.query(MaintenanceWindow).count() == 0

    admin.type("#window-cron", "0 1 * * 0")
    admin.type("#window-timezone", "Europe/Zurich")
    admin.click(".jobs-window-add")
    admin.find(".jobs-window-row")
    assert "Sunday" in admin.text(".jobs-window-row")
    assert_accessible(admin, "windows editor with a window")

    admin.click(".jobs-window-delete")
    admin.click(".jobs-window-delete-confirm")
    admin.find(".jobs-windows-empty")
    db.session.rollback()
    assert db.session.query(MaintenanceWindow).count() == 0


def test_preview_marks_fires_held_by_a_window_in_german(admin):
    """The schedule editor's preview says which fires wait, until when."""
    current_jobs.windows_service.create(
        system_identity, {"title": "Always", "cron": "0 * * * *", "duration": 60}
    )
    job = make_job(title="Hourly", schedule={"type": "interval", "hours": 1})
    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find(".jobs-fire-held")
    assert "held by a maintenance window until" in admin.text(".jobs-schedule-preview")
    assert_accessible(admin, "edit form with held fires")
    admin.open(f"/administration/jobs/{job['id']}/edit?ln=de")
    admin.find(".jobs-fire-held")
    assert "von einem Wartungsfenster" in admin.text(".jobs-schedule-preview")
    admin.open("/administration/jobs?ln=de")
    admin.find(".jobs-window-row")
    assert "Wartungsfenster" in admin.text("#jobs-windows-header")
    assert_accessible(admin, "windows editor (de)")


def test_job_page_warns_before_a_manual_run_while_paused(admin):
    """The job page's Run now names the pause; the job's window setting shows."""
    job = make_job(title="Harvest", schedule={"type": "interval", "hours": 1})
    current_jobs.pause_service.pause(system_identity, {"reason": "Reindex"})
    admin.open(f"/administration/jobs/{job['id']}")
    admin.find(".jobs-page-actions .jobs-run-now")
    assert "Waits for their end" in admin.text("body")
    admin.click(".jobs-page-actions .jobs-run-now")
    admin.find(".jobs-run-modal .jobs-run-paused")
    assert "Reindex" in admin.text(".jobs-run-paused")
    assert_accessible(admin, "job page's Run now while paused")


def test_pause_and_resume_with_the_keyboard(admin):
    """Tab to Pause all, type the reason, confirm; Tab to Resume, confirm."""
    make_job(title="Keyboard")
    admin.open("/administration/jobs")
    admin.find(".jobs-row")
    tab_to(admin, ".jobs-pause-all")
    press(admin, Keys.ENTER)
    wait_for_focus(admin, "#jobs-pause-reason", "the reason takes the focus")
    press(admin, "Keyboard only")
    tab_to(admin, ".jobs-pause-confirm")
    assert focus_is_inside(admin, ".jobs-pause-modal")
    press(admin, Keys.ENTER)
    admin.find(".jobs-pause-banner")
    assert paused()
    tab_to(admin, ".jobs-resume")
    press(admin, Keys.ENTER)
    wait_for_focus(admin, ".jobs-resume-confirm", "Resume's confirmation")
    press(admin, Keys.ENTER)
    admin.find(".jobs-pause-all")
    assert not paused()
