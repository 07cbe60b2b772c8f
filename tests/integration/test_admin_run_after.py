# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages' "Run after", in Chromium, checked by axe."""

import uuid

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import assert_accessible
from selenium.webdriver.common.keys import Keys

from invenio_jobs import lifecycle
from invenio_jobs.models import Run, RunStatusEnum, utcnow


def test_the_form_picks_jobs_by_title_and_the_pages_show_both_ways(admin):
    """B's form: "Import ROR" picked by typing its title; saved, B's page shows
    it runs after it, and Import ROR's page shows B runs before... after it."""
    ror = make_job(title="Import ROR")
    relink = make_job(title="Relink affiliations")
    admin.open(f"/administration/jobs/{relink['id']}/edit")
    search = admin.find("#job-run-after input.search")
    search.send_keys("Import")
    admin.wait(
        lambda: any(
            item.is_displayed() and item.text == "Import ROR"
            for item in admin.find_all("#job-run-after .menu .item")
        ),
        "the job found by its title",
    )
    search.send_keys(Keys.ENTER)
    admin.find("#job-run-after a.label")
    admin.wait(
        lambda: admin.find("#job-run-after").get_attribute("aria-expanded") != "true",
        "the menu closed once a job is picked",
    )
    assert_accessible(admin, "job form with Run after")
    admin.choose(
        "#job-run-after-mode", "After all of them have ended since its last run"
    )
    admin.type("#job-run-after-delay", "90")
    admin.click(".jobs-save")
    admin.wait(lambda: admin.driver.current_url.endswith(relink["id"]), "the job page")

    stored = db_job(uuid.UUID(relink["id"]))
    assert stored.run_after == {
        "jobs": [{"id": ror["id"], "statuses": ["SUCCESS", "PARTIAL_SUCCESS"]}],
        "mode": "all",
        "delay_seconds": 90,
    }
    assert "Import ROR" in admin.text(".jobs-settings")
    assert_accessible(admin, "job page that runs after another")
    admin.open(f"/administration/jobs/{ror['id']}")
    admin.wait(
        lambda: "Relink affiliations" in admin.text(".jobs-settings"), "runs before"
    )


def test_a_cycle_is_named_in_the_form(admin):
    """A after B while B runs after A: the form shows the cycle, nothing saved."""
    a = make_job(title="Alpha")
    make_job(title="Beta", run_after={"jobs": [{"id": a["id"]}]})
    admin.open(f"/administration/jobs/{a['id']}/edit")
    admin.choose("#job-run-after", "Beta")
    admin.click(".jobs-save")
    admin.find(".jobs-form-error")
    admin.wait(lambda: "Alpha → Beta → Alpha" in admin.text(".jobs-form"), "the cycle")
    assert_accessible(admin, "job form with a cycle")
    assert db_job(uuid.UUID(a["id"])).run_after is None


def test_a_run_started_by_an_end_says_after_which_run_in_german(admin):
    """The run row and the run page link the run that started it, in German."""
    from invenio_db import db

    a = make_job(title="Import ROR")
    b = make_job(title="Folgejob", run_after={"jobs": [{"id": a["id"]}]})
    end = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(a["id"]),
        number=42,
        status=RunStatusEnum.SUCCESS,
        queue="celery",
        args={},
        finished_at=utcnow(),
    )
    db.session.add(end)
    db.session.commit()
    lifecycle.start_after(end.id, db.session.connection())
    db.session.commit()
    (run,) = runs_of(b["id"])

    admin.open(f"/administration/jobs/{b['id']}?ln=de")
    row = f".jobs-run-row[data-run-id='{run.id}'] .jobs-run-after"
    admin.find(row)
    assert admin.text(row) == "nach #42 von Import ROR"
    assert "Läuft nach" in admin.text(".jobs-settings")
    assert_accessible(admin, "German job page with a run after another")
    admin.open(f"/administration/jobs/{b['id']}/runs/{run.id}?ln=de")
    admin.find(".jobs-run-details .jobs-run-after-link")
    assert_accessible(admin, "German run page of a run after another")
