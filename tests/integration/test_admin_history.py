# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job page's History and a service account, through the admin pages.

A change saved in the form and a run started from the page are in the
history as made on the admin pages; the run executes on a real worker as
the service account, and its page says whom it ran as and who started it.
"""

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import assert_accessible


def test_form_changes_and_runs_are_in_the_history(
    app, admin, start_worker, UserFixture
):
    """Run as set in the form, Run now on the page: both in the History section."""
    from invenio_db import db

    UserFixture(
        email="harvester@example.org", password="harvest-pass", username="harvester"
    ).create(app, db)
    job = make_job(task="mock_chatty", run_args={"lines": 2})

    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find("#argument-tag")
    admin.type("#job-run-as", "harvester@example.org")
    admin.click(".jobs-save")
    admin.wait(lambda: "/edit" not in admin.driver.current_url, "saved")
    admin.find(".jobs-history-row[data-action=run_as_changed]")
    row = admin.find(".jobs-history-row[data-action=run_as_changed]")
    assert "harvester@example.org" in row.text
    assert "admin pages" in row.text and "admin@example.org" in row.text
    assert "harvester@example.org" in admin.text(".jobs-settings")

    start_worker()
    admin.click(".jobs-run-now")
    admin.click(".jobs-run-confirm")
    run = admin.wait(lambda: runs_of(job["id"]), "a run")[0]
    admin.find(".jobs-history-row[data-action=run_started]")
    assert_accessible(admin, "job page with its history")

    admin.open(f"/administration/jobs/{job['id']}/runs/{run.id}")
    admin.wait(
        lambda: admin.find(".jobs-run-title .jobs-status").get_attribute("data-status")
        == "SUCCESS",
        "the run's end",
        60,
    )
    assert admin.text(".jobs-run-as") == (
        "ran as harvester@example.org, started by admin"
    )
    assert_accessible(admin, "run page of a run as a service account")
