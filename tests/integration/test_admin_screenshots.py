# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pages at common screen widths: nothing cut, screenshots of each.

The list, the form with the cron editor, the job page and the run page are
saved at 1024, 1366 and 1920 px, in English and German, in the screenshots
folder (``.test-artifacts/screenshots`` or ``JOBS_SCREENSHOTS``). With
``JOBS_DOCS_IMAGES=1`` the README's tour images in ``docs/images`` are
written again from the 1366 px ones.
"""

import os
import shutil

import pytest
from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from browser import REPOSITORY
from conftest import wait_until
from invenio_db import db

from invenio_jobs.proxies import current_runs_service

WIDTHS = (1024, 1366, 1400, 1920)
SCREENSHOT_WIDTHS = (1024, 1366, 1920)
TOUR = {
    "list": "jobs-list",
    "form": "job-form",
    "job": "job-page",
    "run": "run-page",
}
"""The README's images: page name to file name (``-de`` for German)."""

LONG_DESCRIPTION = ("Imports the organisations of the ROR dump, " * 12).strip()
LONG_TITLE = ("Nightly import of every affiliation of the registry " * 4).strip()


def real_run(job, identity, **args) -> str:
    """Run ``job`` now on the worker, as ``identity`` pressing "Run now"; its id.

    The tour shows runs that happened: their times, counts and log are the
    worker's own.
    """
    from invenio_jobs.models import RunStatusEnum

    run = current_runs_service.create(identity, job["id"], {"args": args}).to_dict()

    def ended():
        found = runs_of(job["id"])
        return found and found[0].status.is_finished and found[0]

    finished = wait_until(ended, timeout=90, message="the tour's run to end")
    assert finished.status is RunStatusEnum.PARTIAL_SUCCESS, finished.message
    return run["id"]


@pytest.fixture()
def tour_jobs(app, users, start_worker):
    """Jobs as a site has them: cron and interval, long texts, real runs."""
    from invenio_access.utils import get_identity
    from invenio_accounts.models import User

    nightly = make_job(
        title="Update affiliations",
        task="mock_controlled",
        description="Import organisations from the ROR dump",
        schedule={
            "type": "crontab",
            "minute": "0",
            "hour": "2",
            "day_of_week": "mon-fri",
            "timezone": "Europe/Zurich",
        },
    )
    long = make_job(
        title=LONG_TITLE,
        task="mock_controlled",
        description=LONG_DESCRIPTION,
        schedule={"type": "interval", "hours": 4},
    )
    make_job(title="Clean up old runs", schedule={"type": "interval", "days": 1})
    start_worker()
    admin = get_identity(
        db.session.query(User).filter_by(email="admin@example.org").one()
    )
    # 300 records: 293 written, 7 rejected, each counted once; a real log.
    run_id = real_run(
        nightly, admin, steps=293, counted_errors=7, partial=7, chatter=12, sleep=3
    )
    real_run(long, admin, steps=20, counted_errors=2, partial=2, chatter=3)
    return {"nightly": nightly, "long": long, "run_id": run_id}


def pages(jobs):
    """The tour's pages and what shows each is loaded."""
    nightly = jobs["nightly"]["id"]
    return {
        "list": ("/administration/jobs", ".jobs-row .jobs-status"),
        "form": (f"/administration/jobs/{nightly}/edit", ".jobs-schedule-preview"),
        "job": (f"/administration/jobs/{nightly}", ".jobs-run-row"),
        "run": (
            f"/administration/jobs/{nightly}/runs/{jobs['run_id']}",
            ".jobs-log-line",
        ),
    }


def no_horizontal_scroll(browser):
    """Nothing of the page's app reaches beyond the window's right edge.

    The administration layout's grid itself is a few pixels wider than the
    window at some widths (its negative margins); only these pages count.
    """
    beyond = browser.driver.execute_script("""
        const app = document.getElementById("invenio-jobs-app");
        return [app, ...app.querySelectorAll("*")]
          .map((element) => [element, element.getBoundingClientRect()])
          .filter(([, r]) => r.width > 0 && r.right > window.innerWidth + 1)
          .map(([element, r]) => `${element.className}: ${Math.round(r.right)}`);
        """)
    assert beyond == [], beyond
    return True


def cut_cron_inputs(browser):
    """The cron inputs that leave their segment or are too narrow to read."""
    return browser.driver.execute_script("""
        const box = document.querySelector(".jobs-schedule-editor").getBoundingClientRect();
        return [...document.querySelectorAll(".jobs-cron-fields input")]
          .map((input) => [input.id, input.getBoundingClientRect()])
          .filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1
                             || r.right > window.innerWidth || r.width < 60)
          .map(([id, r]) => `${id}: ${Math.round(r.left)}-${Math.round(r.right)}`);
        """)


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_is_cut_at_common_widths(admin, tour_jobs, width):
    """Cron fields, long titles and descriptions, statuses at each width."""
    admin.driver.set_window_size(width, 1000)
    job = tour_jobs["long"]

    admin.open(f"/administration/jobs/{tour_jobs['nightly']['id']}/edit")
    admin.find("#schedule-day_of_week")
    assert cut_cron_inputs(admin) == []
    assert no_horizontal_scroll(admin)

    admin.open("/administration/jobs")
    row = f".jobs-row[data-job-id='{job['id']}']"
    description = admin.find(f"{row} .jobs-description")
    assert description.get_attribute("title") == LONG_DESCRIPTION
    assert admin.driver.execute_script(
        "return arguments[0].scrollWidth > arguments[0].clientWidth", description
    ), "a long description is cut to its cell"
    assert admin.find(f"{row} .jobs-title").get_attribute("title") == LONG_TITLE
    schedule_width = admin.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().width",
        f"{row} .jobs-schedule",
    )
    assert schedule_width > 100, "the other columns keep their room"
    status = admin.find(".jobs-row .jobs-status[data-status=PARTIAL_SUCCESS]")
    assert status.size["height"] < 30, "Partial success stays on one line"
    assert no_horizontal_scroll(admin)

    admin.open(f"/administration/jobs/{job['id']}")
    title = admin.find(".jobs-job-title")
    assert title.get_attribute("title") == LONG_TITLE
    assert title.size["height"] < 120, "a long title takes two lines at most"
    crumb = admin.find(".jobs-breadcrumb .jobs-job-crumb[aria-current=page]")
    assert crumb.get_attribute("title") == LONG_TITLE
    assert admin.find(".jobs-breadcrumb").size["height"] < 40, "one line, cut"
    assert admin.find(".jobs-page-actions .jobs-run-now").is_displayed()
    assert no_horizontal_scroll(admin)


@pytest.mark.parametrize("language", ["en", "de"])
def test_screenshots_of_the_tour(admin, tour_jobs, language):
    """Each page of the tour at each width, saved for review and the README."""
    saved = {}
    for width in SCREENSHOT_WIDTHS:
        admin.driver.set_window_size(width, 900)
        for page, (path, ready) in pages(tour_jobs).items():
            admin.open(f"{path}?ln={language}")
            admin.find(ready)
            if page == "run":  # stored with its number, as the service numbers
                assert admin.text(".jobs-run-crumb") == "#1"
            name = f"tour-{page}-{language}-{width}"
            saved[(page, width)] = admin.screenshot(name)
            assert saved[(page, width)].stat().st_size > 10_000
    if os.environ.get("JOBS_DOCS_IMAGES") == "1":
        images = REPOSITORY / "docs" / "images"
        suffix = "" if language == "en" else "-de"
        for page, name in TOUR.items():
            shutil.copyfile(saved[(page, 1366)], images / f"{name}{suffix}.png")
