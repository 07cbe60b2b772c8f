# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The curator pages and the Access section, in Chromium, checked by axe.

A curator (``user@example.org``, no administration access) follows the jobs
granted to them on pages outside ``/administration``; the administrator
gives and takes access on the admin job page, with the keyboard.
"""

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from invenio_access.models import ActionUsers
from invenio_db import db
from page_checks import assert_accessible, focused, press, tab_to, wait_for_focus
from selenium.webdriver.common.keys import Keys

from invenio_jobs.models import RunLog, RunStatusEnum, utcnow
from invenio_jobs.services.grants import job_action

CURATOR = ("user@example.org", "user-pass")

SITE_FRAME = ("header", "#footer")
"""The site's own header and footer around a curator page (invenio-theme's,
an instance's own in production): the same on every page, not part of these."""


def assert_page_accessible(browser, page):
    """The curator page's own content passes axe, the site's frame left out."""
    assert_accessible(browser, page, exclude=SITE_FRAME)


def curator_id():
    """The curator's user id."""
    from invenio_accounts.models import User

    db.session.rollback()
    return User.query.filter_by(email=CURATOR[0]).one().id


def grant_to_curator(users, job_id, permission):
    """Grant the curator ``permission`` on the job, as the API would."""
    db.session.add(
        ActionUsers.allow(job_action(permission, job_id), user_id=curator_id())
    )
    db.session.commit()


def run_with_log(job, lines=3, status=RunStatusEnum.SUCCESS):
    """A run of ``job`` that ended, with log lines, without a worker."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.models import Run
    from invenio_jobs.proxies import current_runs_service

    item = current_runs_service.create(
        system_identity, job["id"], {"args": {}, "title": "Harvest of today"}
    )
    run = db.session.get(Run, item.id)
    run.status = status
    run.started_at = run.finished_at = utcnow()
    run.message = "Harvested 12 records."
    for number in range(lines):
        db.session.add(
            RunLog(
                run_id=run.id,
                timestamp=utcnow(),
                level="INFO",
                logger="harvest",
                message=f"harvested record {number}",
            )
        )
    db.session.commit()
    return str(run.id)


def test_a_curator_follows_the_job_granted_and_no_other(chromium, users):
    """Read on A: the list, A's page and its run's log; no Run now; B not found."""
    job = make_job(title="Harvest of CERN", description="Every night.")
    other = make_job(title="Secret clean-up")
    run_id = run_with_log(job)
    grant_to_curator(users, job["id"], "read")
    chromium.login(*CURATOR)

    chromium.open("/jobs")
    chromium.find(".jobs-curator-list")
    assert "Harvest of CERN" in chromium.text(".jobs-curator-list")
    assert "Secret clean-up" not in chromium.driver.page_source
    assert_page_accessible(chromium, "curator's list of jobs")

    chromium.click(".jobs-curator-list .jobs-job-link")
    chromium.find(".jobs-curator-job .jobs-run-row")
    assert chromium.text(".jobs-job-title-text") == "Harvest of CERN"
    assert not chromium.find_all(".jobs-run-now")
    assert "/administration" not in chromium.driver.current_url
    assert_page_accessible(chromium, "curator's job page")

    chromium.click(".jobs-run-link")
    chromium.wait(
        lambda: len(chromium.find_all(".jobs-log-line")) == 3, "the run's log lines"
    )
    assert "harvested record 2" in chromium.text(".jobs-log-lines")
    assert chromium.driver.current_url.endswith(f"/jobs/{job['id']}/runs/{run_id}")
    # Reading is all: neither Run again (the run ended) nor Stop.
    assert not chromium.find_all(".jobs-run-again")
    assert not chromium.find_all(".jobs-stop")
    assert_page_accessible(chromium, "curator's run page")
    chromium.click(".jobs-job-link")
    chromium.find(".jobs-curator-job")

    chromium.open(f"/jobs/{other['id']}")
    assert not chromium.find_all("#invenio-jobs-app")
    assert "Secret clean-up" not in chromium.driver.page_source
    assert "404" in chromium.driver.title or "not found" in (
        chromium.driver.page_source.lower()
    )


def test_a_runner_starts_a_run_from_the_curator_page(chromium, users):
    """Run on the job: Run now asks, starts a run and opens its page."""
    job = make_job(title="Harvest on demand")
    grant_to_curator(users, job["id"], "run")
    chromium.login(*CURATOR)
    chromium.open(f"/jobs/{job['id']}")
    chromium.find(".jobs-curator-job")
    chromium.click(".jobs-run-now")
    chromium.find(".jobs-run-now-modal .jobs-run-now-confirm")
    assert_page_accessible(chromium, "curator's Run now dialog")
    wait_for_focus(chromium, ".jobs-run-now-confirm", "the dialog's Run now")
    press(chromium, Keys.ENTER)
    chromium.wait(lambda: "/runs/" in chromium.driver.current_url, "the run's page")
    chromium.find(".jobs-run-page")
    assert "/administration" not in chromium.driver.current_url
    db.session.rollback()
    runs = runs_of(job["id"])
    assert len(runs) == 1
    assert runs[0].started_by_id == curator_id()


def test_a_runner_runs_again_and_stops_from_the_run_pages(chromium, users):
    """Run on the job: Run again with the keyboard, then Stop on the new run.

    Both through the REST routes, as the curator: the history says who ran
    which run again; a reader of another job sees neither button.
    """
    from invenio_access.permissions import system_identity

    from invenio_jobs.services.history import read_history

    job = make_job(title="Harvest again")
    run_id = run_with_log(job, lines=1)
    grant_to_curator(users, job["id"], "run")
    chromium.login(*CURATOR)

    chromium.open(f"/jobs/{job['id']}/runs/{run_id}")
    chromium.find(".jobs-run-page .jobs-run-again")
    assert not chromium.find_all(".jobs-stop")
    tab_to(chromium, ".jobs-run-again")
    press(chromium, Keys.ENTER)
    chromium.find(".jobs-run-again-modal")
    wait_for_focus(chromium, ".jobs-run-again-confirm", "the dialog's Run again")
    assert_page_accessible(chromium, "curator's Run again dialog")
    press(chromium, Keys.ENTER)
    chromium.wait(lambda: run_id not in chromium.driver.current_url, "the new run")
    assert "/administration" not in chromium.driver.current_url
    db.session.rollback()
    runs = runs_of(job["id"])
    assert len(runs) == 2
    again = next(run for run in runs if str(run.id) != run_id)
    assert again.title == "Harvest of today"
    assert again.started_by_id == curator_id()
    entry = read_history(system_identity, job["id"])["hits"]["hits"][0]
    assert entry["action"] == "run_again"
    assert entry["details"]["source_run_id"] == run_id
    assert entry["user"]["id"] == curator_id()

    # The new run is queued (no worker here): its page offers Stop.
    chromium.find(".jobs-run-page .jobs-stop")
    assert not chromium.find_all(".jobs-run-again")
    assert_page_accessible(chromium, "curator's page of a queued run")
    tab_to(chromium, ".jobs-stop")
    press(chromium, Keys.ENTER)
    chromium.find(".jobs-stop-dialog .jobs-stop-confirm")
    assert_page_accessible(chromium, "curator's Stop dialog")
    tab_to(chromium, ".jobs-stop-confirm")
    press(chromium, Keys.ENTER)
    chromium.wait(
        lambda: chromium.find(".jobs-run-title .jobs-status").get_attribute(
            "data-status"
        )
        == "CANCELLED",
        "the run stopped",
    )
    db.session.rollback()
    entry = read_history(system_identity, job["id"])["hits"]["hits"][0]
    assert entry["action"] == "run_stopped"
    assert entry["details"]["run_id"] == str(again.id)


def test_a_reader_sees_no_stop_on_the_job_page(chromium, users):
    """Read only: a queued run is listed without Stop, and no Run now."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_runs_service

    job = make_job(title="Watched harvest")
    current_runs_service.create(system_identity, job["id"], {"args": {}})
    db.session.commit()
    grant_to_curator(users, job["id"], "read")
    chromium.login(*CURATOR)
    chromium.open(f"/jobs/{job['id']}")
    chromium.find(".jobs-curator-job .jobs-run-row")
    assert not chromium.find_all(".jobs-stop")
    assert not chromium.find_all(".jobs-run-now")
    chromium.click(".jobs-run-link")
    chromium.find(".jobs-run-page .jobs-run-title")
    assert not chromium.find_all(".jobs-stop")
    assert not chromium.find_all(".jobs-run-again")


def test_the_access_section_gives_and_takes_access_with_the_keyboard(admin, users):
    """Grant by e-mail, see it listed and announced; a bad e-mail named; remove."""
    job = make_job(title="Shared harvest")
    admin.open(f"/administration/jobs/{job['id']}")
    admin.find(".jobs-access .jobs-access-none")
    assert_accessible(admin, "job page with its Access section")

    permission = tab_to(admin, "#jobs-access-permission")
    permission.send_keys(Keys.END)  # the last: manage
    assert permission.get_attribute("value") == "manage"
    who = tab_to(admin, "#jobs-access-who", backwards=True)
    who.send_keys("nobody@example.org")
    press(admin, Keys.ENTER)
    admin.find("#jobs-access-who-error")
    assert "nobody@example.org" in admin.text("#jobs-access-who-error")
    assert focused(admin).get_attribute("id") == "jobs-access-who"
    assert_accessible(admin, "Access section with an error")

    who.send_keys(Keys.CONTROL, "a")
    who.send_keys("user@example.org")
    assert who.get_attribute("value") == "user@example.org"
    press(admin, Keys.ENTER)
    admin.wait(
        lambda: admin.find_all(".jobs-access-row")
        or admin.find_all(".jobs-access-error"),
        "the grant listed",
    )
    assert not admin.find_all(".jobs-access-error"), admin.text(".jobs-access-error")
    assert "user@example.org" in admin.text(".jobs-access-table")
    assert "user@example.org" in admin.text(".jobs-access-notice")
    assert_accessible(admin, "Access section with a grant")
    db.session.rollback()
    stored = ActionUsers.query.filter_by(argument=job["id"]).all()
    assert [(row.action, row.user_id) for row in stored] == [
        ("jobs-manage", curator_id())
    ]

    remove = tab_to(admin, ".jobs-access-remove")
    assert "user@example.org" in remove.get_attribute("aria-label")
    press(admin, Keys.ENTER)
    admin.find(".jobs-access-none")
    db.session.rollback()
    assert ActionUsers.query.filter_by(argument=job["id"]).count() == 0


def test_the_access_section_and_the_curator_page_in_german(admin, users):
    """The Access section and a curator's page speak German."""
    job = make_job(title="Ernte")
    run_with_log(job, lines=1)
    grant_to_curator(users, job["id"], "read")
    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.find(".jobs-access-row")
    assert admin.text("#jobs-access-header") == "Zugriff"
    assert "Zugriff geben" in admin.text(".jobs-access-form")
    assert_accessible(admin, "German Access section")

    admin.open("/jobs?ln=de")
    admin.find(".jobs-curator-list")
    assert "Letzter Lauf" in admin.text(".jobs-curator-list")
    assert "Erfolgreich" in admin.text(".jobs-curator-list")
    assert_page_accessible(admin, "German curator list of jobs")

    admin.open(f"/jobs/{job['id']}?ln=de")
    admin.find(".jobs-curator-job .jobs-run-row")
    assert "Läufe" in admin.text(".jobs-runs-header")
    assert_page_accessible(admin, "German curator job page")
