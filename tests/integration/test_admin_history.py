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


def test_run_again_has_its_own_entry_naming_the_run_repeated(app, admin):
    """Run again on a run's page: "Ran a run again", #2, a repeat of #1; in German too."""
    from invenio_access.permissions import system_identity
    from invenio_db import db

    from invenio_jobs.models import Run, RunStatusEnum
    from invenio_jobs.proxies import current_runs_service

    job = make_job(title="Again and again")
    item = current_runs_service.create(
        system_identity, job["id"], {"args": {"lines": 3}}
    )
    db.session.get(Run, item.id).status = RunStatusEnum.SUCCESS
    db.session.commit()

    admin.open(f"/administration/jobs/{job['id']}/runs/{item.id}")
    admin.click(".jobs-run-again")
    admin.click(".jobs-run-again-modal .jobs-run-again-confirm")
    admin.wait(lambda: str(item.id) not in admin.driver.current_url, "the new run")
    admin.open(f"/administration/jobs/{job['id']}")
    row = admin.find(".jobs-history-row[data-action=run_again]")
    assert "Ran a run again" in row.text
    assert "#2" in row.text and "(a repeat of #1)" in row.text
    assert '"lines":3' in row.text.replace(" ", "")
    assert_accessible(admin, "job page with a run again in its history")
    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    again_row = ".jobs-history-row[data-action=run_again]"
    admin.find(again_row)
    admin.wait(lambda: "Lauf wiederholt" in admin.text(again_row), "German label")
    assert "(Wiederholung von #1)" in admin.text(again_row)
    admin.open(f"/administration/jobs/{job['id']}?ln=en")
