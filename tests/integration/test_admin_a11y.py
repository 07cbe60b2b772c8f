# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Every admin page passes axe-core's checks of WCAG levels A and AA.

The pages are checked as an administrator sees them: with jobs, runs and a
log, with the Run now dialog open, and in German.
"""

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import assert_accessible

from invenio_jobs.models import RunStatusEnum
from invenio_jobs.proxies import current_runs_service


def finished_run(job, status=RunStatusEnum.PARTIAL_SUCCESS):
    """A run of ``job`` that ended, with a few log lines, without a worker."""
    from invenio_access.permissions import system_identity
    from invenio_db import db

    from invenio_jobs.models import Run

    item = current_runs_service.create(
        system_identity, job["id"], {"args": {}, "title": "Checked run"}
    )
    run = db.session.get(Run, item.id)
    run.status = status
    run.message = "7 of 307 records rejected"
    db.session.commit()
    return str(run.id)


def test_every_page_passes_axe(admin):
    """The list, the forms, the job page and the run page: no A or AA violation."""
    job = make_job(
        title="Nightly chatter",
        description="Talks every night.",
        schedule={"type": "crontab", "minute": "30", "hour": "2"},
    )
    make_job(title="Hourly", schedule={"type": "interval", "hours": 1})
    run_id = finished_run(job)

    admin.open("/administration/jobs")
    admin.find(".jobs-row")
    assert_accessible(admin, "jobs list")

    admin.click(f".jobs-row[data-job-id='{job['id']}'] .jobs-run-now")
    admin.find(".jobs-run-modal #argument-tag")
    assert_accessible(admin, "Run now dialog")

    admin.open("/administration/jobs/new")
    admin.find("#job-title")
    admin.click("input[name=schedule-kind][value=crontab] + label")
    admin.find("#schedule-minute")
    assert_accessible(admin, "new job form")

    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find("#argument-tag")
    admin.find(".jobs-schedule-preview")
    assert_accessible(admin, "edit form")

    admin.open(f"/administration/jobs/{job['id']}")
    admin.find(".jobs-run-row")
    admin.find(".jobs-history-row[data-action=created]")
    assert_accessible(admin, "job page")

    admin.open(f"/administration/jobs/{job['id']}/runs/{run_id}")
    admin.find(".jobs-run-page .jobs-status")
    assert_accessible(admin, "run page")


def test_german_pages_pass_axe(admin):
    """The same pages in German."""
    job = make_job(title="Nächtlich", schedule={"type": "interval", "hours": 4})
    finished_run(job, RunStatusEnum.SUCCESS)
    admin.open("/administration/jobs?ln=de")
    admin.find(".jobs-row")
    assert_accessible(admin, "jobs list (de)")
    admin.open(f"/administration/jobs/{job['id']}/edit?ln=de")
    admin.find("#schedule-every")
    assert_accessible(admin, "edit form (de)")
    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.find(".jobs-run-row")
    admin.find(".jobs-history-row")
    assert "Verlauf" in admin.text(".jobs-history h2")
    assert_accessible(admin, "job page (de)")


def test_the_page_of_a_running_run_with_progress_and_a_long_log_passes_axe(
    admin, start_worker
):
    """While it runs: the progress bar's words and the scrolling log pass axe.

    A real worker runs it; its log is longer than its box, which the
    keyboard reaches (Tab) and scrolls.
    """
    from invenio_access.permissions import system_identity
    from page_checks import focused, press
    from selenium.webdriver.common.keys import Keys

    job = make_job(
        task="mock_controlled",
        run_args={"steps": 400, "sleep": 120, "chatter": 120},
    )
    start_worker()
    run = current_runs_service.create(system_identity, job["id"], {}).to_dict()
    admin.open(f"/administration/jobs/{job['id']}/runs/{run['id']}")
    admin.find(".jobs-run-page .jobs-status[data-status=RUNNING]", timeout=60)
    admin.find(".jobs-run-page .jobs-progress", timeout=30)
    admin.wait(
        lambda: len(admin.find_all(".jobs-log-line")) >= 100,
        "the log longer than its box",
        timeout=60,
    )
    box = admin.find(".jobs-log-lines")
    overflow = admin.driver.execute_script(
        "return arguments[0].scrollHeight > arguments[0].clientHeight;", box
    )
    assert overflow, "the log fits its box: nothing to scroll"
    admin.screenshot("run page while running")
    assert_accessible(admin, "run page while running")

    # The keyboard reaches the log and scrolls it.
    admin.driver.execute_script("arguments[0].scrollTop = 0;", box)
    admin.driver.execute_script("document.activeElement.blur();")
    for _ in range(80):
        if focused(admin) == box:
            break
        press(admin, Keys.TAB)
    assert focused(admin) == box, "Tab never reaches the log"
    press(admin, Keys.PAGE_DOWN)
    admin.wait(
        lambda: admin.driver.execute_script("return arguments[0].scrollTop;", box) > 0,
        "the log scrolled by the keyboard",
    )
    current_runs_service.stop(system_identity, job["id"], run["id"])
