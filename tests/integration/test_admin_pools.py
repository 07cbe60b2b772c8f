# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pools page, a job's pool in its form, and what a waiting run says.

In headless Chromium, with axe-core's WCAG A and AA checks, by keyboard,
and in German.
"""

import uuid

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from invenio_access.permissions import system_identity
from invenio_db import db
from page_checks import assert_accessible, message_under, press, tab_to
from selenium.webdriver.common.keys import Keys

from invenio_jobs.models import Job, Pool, Run, RunStatusEnum
from invenio_jobs.proxies import current_runs_service


def pools_service():
    """The pools service of the app."""
    from flask import current_app

    return current_app.extensions["invenio-jobs"].pools_service


def stored_pool(name):
    """The pool as stored now, or None."""
    db.session.rollback()
    return db.session.get(Pool, name)


def waiting_behind_a_running_run(job):
    """A run of ``job`` holding the pool's one slot, and one waiting; their ids."""
    holding = current_runs_service.create(system_identity, job["id"], {"args": {}})
    waiting = current_runs_service.create(system_identity, job["id"], {"args": {}})
    run = db.session.get(Run, holding.id)
    run.status = RunStatusEnum.RUNNING
    run.slot_pool = job["pool"]
    db.session.commit()
    return str(holding.id), str(waiting.id)


def test_pools_are_created_changed_and_deleted_by_keyboard(admin):
    """A pool made with the keyboard alone; its slots changed; then deleted."""
    admin.open("/administration/jobs")
    admin.click(".jobs-pools-link")
    admin.find(".jobs-new-pool")
    assert admin.text(".jobs-empty") == "There are no pools yet."
    assert_accessible(admin, "pools page, empty")

    tab_to(admin, "#pool-name")
    press(admin, "Harvest API")  # not a valid name: the API says why
    tab_to(admin, "#pool-slots")
    press(admin, Keys.CONTROL, "a", Keys.DELETE, "2")
    press(admin, Keys.ENTER)
    assert message_under(admin, "#pool-name").startswith("Name: use 1 to 64")
    assert stored_pool("Harvest API") is None
    assert_accessible(admin, "pools page, with an error")

    admin.type("#pool-name", "harvest")
    admin.type("#pool-description", "The ORCID API allows two at once")
    tab_to(admin, ".jobs-create-pool")
    press(admin, Keys.ENTER)
    admin.find(".jobs-pool-row[data-pool='harvest']")
    assert stored_pool("harvest").slots == 2
    assert "0 of 2 busy" in admin.text(".jobs-pool-row[data-pool='harvest']")
    assert_accessible(admin, "pools page, one pool")

    tab_to(admin, ".jobs-edit-pool")
    press(admin, Keys.ENTER)
    admin.type("#pool-harvest-slots", "3")
    press(admin, Keys.ENTER)
    admin.wait(lambda: stored_pool("harvest").slots == 3, "three slots stored")
    admin.wait(
        lambda: "0 of 3 busy" in admin.text(".jobs-pool-row[data-pool='harvest']"),
        "three slots shown",
    )

    admin.click(".jobs-delete-pool")
    admin.find(".jobs-delete-pool-modal")
    assert_accessible(admin, "delete pool dialog")
    admin.click(".jobs-delete-pool-confirm")
    admin.wait(lambda: stored_pool("harvest") is None, "pool deleted")
    admin.find(".jobs-empty")


def test_a_job_joins_a_pool_in_its_form(admin):
    """The form lists the pools; the job page names the job's pool."""
    pools_service().create(system_identity, {"name": "exports", "slots": 1})
    job = make_job(title="Nightly export")

    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find("#job-pool")
    assert_accessible(admin, "edit form with pools")
    admin.choose("#job-pool", "exports (1 at once)")
    admin.click("button[type=submit]")
    admin.wait(lambda: db_job(uuid.UUID(job["id"])).pool == "exports", "pool saved")
    admin.find(".jobs-pool-link")
    assert admin.text(".jobs-pool-link") == "exports"


def test_a_waiting_run_says_what_it_waits_for(admin):
    """The job list, the job page and the run page say which pool is full."""
    pools_service().create(system_identity, {"name": "harvest", "slots": 1})
    job = make_job(title="ORCID harvest", pool="harvest")
    _, waiting = waiting_behind_a_running_run(job)
    expected = "waiting for pool harvest (1 of 1 busy)"

    admin.open("/administration/jobs")
    row = f".jobs-row[data-job-id='{job['id']}']"
    admin.wait(lambda: admin.text(f"{row} .jobs-pool-wait") == expected, "list")
    assert_accessible(admin, "jobs list with a waiting run")

    admin.open(f"/administration/jobs/{job['id']}")
    run_row = f".jobs-run-row[data-run-id='{waiting}']"
    assert admin.text(f"{run_row} .jobs-pool-wait") == expected

    admin.open(f"/administration/jobs/{job['id']}/runs/{waiting}")
    assert admin.text(".jobs-run-details .jobs-pool-wait") == expected
    assert_accessible(admin, "run page of a waiting run")

    admin.open("/administration/jobs/pools")
    pool_row = ".jobs-pool-row[data-pool='harvest']"
    assert "1 of 1 busy · full" in admin.text(pool_row)


def test_pools_in_german(admin):
    """The pools page and a waiting run, in German, pass axe."""
    pools_service().create(system_identity, {"name": "harvest", "slots": 1})
    job = make_job(title="ORCID-Ernte", pool="harvest")
    _, waiting = waiting_behind_a_running_run(job)

    admin.open("/administration/jobs/pools?ln=de")
    admin.wait(lambda: admin.text(".jobs-create-pool") == "Pool anlegen", "German")
    assert "1 von 1 belegt" in admin.text(".jobs-pool-row[data-pool='harvest']")
    assert_accessible(admin, "pools page (de)")

    admin.open(f"/administration/jobs/{job['id']}/runs/{waiting}?ln=de")
    assert (
        admin.text(".jobs-run-details .jobs-pool-wait")
        == "wartet auf Pool harvest (1 von 1 belegt)"
    )
    assert_accessible(admin, "run page of a waiting run (de)")
    assert db.session.get(Job, uuid.UUID(job["id"])).pool == "harvest"
