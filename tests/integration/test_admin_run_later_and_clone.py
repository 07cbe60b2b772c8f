# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages' "Run later at ..." and "Clone", in Chromium, checked by axe."""

import uuid
from datetime import datetime, timedelta, timezone

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import assert_accessible, press, tab_to
from selenium.webdriver.common.keys import Keys

from invenio_jobs.models import RunStatusEnum


def set_local_time(admin, css, value):
    """Give a ``datetime-local`` input a value, as React sees a person's typing."""
    admin.driver.execute_script(
        """
        const input = document.querySelector(arguments[0]);
        const setter = Object.getOwnPropertyDescriptor(
          HTMLInputElement.prototype, "value").set;
        setter.call(input, arguments[1]);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        """,
        css,
        value,
    )


def browser_local(admin, moment):
    """``moment`` as the browser's ``datetime-local`` value (its wall clock)."""
    return admin.driver.execute_script(
        """
        const d = new Date(arguments[0]);
        const pad = (n) => String(n).padStart(2, "0");
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
          `T${pad(d.getHours())}:${pad(d.getMinutes())}`;
        """,
        moment.isoformat(),
    )


def open_run_later(admin, job):
    """The job page's Run now dialog, switched to "Run later at"."""
    admin.open(f"/administration/jobs/{job['id']}")
    admin.click(".jobs-page-actions .jobs-run-now")
    admin.find(".jobs-run-modal #argument-tag")
    admin.click(".jobs-run-modal .jobs-run-later label")
    return admin.find(".jobs-run-modal #run-at")


def test_run_later_queues_a_run_that_waits_and_shows_when(admin):
    """A chosen time gives a QUEUED run at that time, "scheduled for" on the page."""
    job = make_job(title="Later job", run_args={"tag": "later"})
    open_run_later(admin, job)
    assert "later" in admin.text(".jobs-run-modal .header").lower()
    assert_accessible(admin, "Run later dialog")

    # Past the allowed horizon: the API's message shows at the field.
    far = datetime.now(timezone.utc) + timedelta(days=400)
    set_local_time(admin, "#run-at", browser_local(admin, far))
    admin.click(".jobs-run-modal .jobs-run-confirm")
    admin.find(".jobs-run-modal .field.error #run-at")
    assert "days ahead" in admin.text(".jobs-run-modal .field.error")
    assert_accessible(admin, "Run later dialog with an error")
    assert runs_of(job["id"]) == []

    wanted = (datetime.now(timezone.utc) + timedelta(hours=5)).replace(
        second=0, microsecond=0
    )
    set_local_time(admin, "#run-at", browser_local(admin, wanted))
    admin.click(".jobs-run-modal .jobs-run-confirm")
    admin.wait(lambda: runs_of(job["id"]), "a run")
    (run,) = runs_of(job["id"])
    assert run.status is RunStatusEnum.QUEUED
    assert run.scheduled_at == wanted and run.dispatched_at is None
    admin.find(f".jobs-run-row[data-run-id='{run.id}'] .jobs-run-waits")
    assert_accessible(admin, "job page with a run that waits")


def test_run_later_with_the_keyboard(admin):
    """The switch is reached with Tab and turned on with Space."""
    job = make_job(title="Keyboard later", run_args={"tag": "k"})
    admin.open(f"/administration/jobs/{job['id']}")
    admin.click(".jobs-page-actions .jobs-run-now")
    admin.find(".jobs-run-modal #argument-tag")
    tab_to(admin, ".jobs-run-modal #run-later")
    press(admin, Keys.SPACE)
    admin.find(".jobs-run-modal #run-at")


def test_clone_opens_the_copy_for_editing(admin):
    """Clone on the job page: an inactive "Copy of ..." opened in the form."""
    job = make_job(title="Original", run_args={"tag": "copied"})
    admin.open(f"/administration/jobs/{job['id']}")
    admin.find(".jobs-page-actions .jobs-clone")
    assert_accessible(admin, "job page with Clone")
    admin.click(".jobs-page-actions .jobs-clone")
    admin.wait(lambda: admin.driver.current_url.endswith("/edit"), "the edit form")
    copy_id = admin.driver.current_url.rstrip("/").split("/")[-2]
    assert copy_id != job["id"]
    title = admin.find("#job-title").get_attribute("value")
    assert title == "Copy of Original"
    copy = db_job(uuid.UUID(copy_id))
    assert copy.active is False and copy.run_args["tag"] == "copied"


def test_clone_in_the_list_and_in_german(admin):
    """The list's Clone, on a German page: "Kopie von ..."; the list passes axe."""
    job = make_job(title="Liste")
    admin.open("/administration/jobs?ln=de")
    admin.find(f".jobs-row[data-job-id='{job['id']}'] .jobs-clone")
    assert_accessible(admin, "German jobs list with Clone")
    admin.click(f".jobs-row[data-job-id='{job['id']}'] .jobs-clone")
    admin.wait(lambda: admin.driver.current_url.endswith("/edit"), "the edit form")
    assert admin.find("#job-title").get_attribute("value") == "Kopie von Liste"
