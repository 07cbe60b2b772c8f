# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Search all logs, in Chromium: the lines of real runs, and each hit's run at its line.

Two jobs run on a real worker; one writes 1,200 lines, so that the line
looked for is past the first page (1,000 lines) that the run page's log
reads. The page keeps its query in the address, pages with "Load more",
says where a malformed query is wrong, and is clean under axe.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from conftest import wait_until
from page_checks import assert_accessible, press, tab_to, wait_for_focus
from selenium.webdriver.common.keys import Keys
from test_admin_screenshots import no_horizontal_scroll

from invenio_jobs.models import RunLog

DEEP = 1100
"""The main line looked for: past the 1,100th line of its run's log."""


def run_to_its_end(job, **args):
    """Run ``job`` on the worker as the system; the finished run."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_runs_service

    current_runs_service.create(system_identity, job["id"], {"args": args})

    def ended():
        found = runs_of(job["id"])
        return found and found[0].status.is_finished and found[0]

    return wait_until(ended, timeout=90, message="the run to end")


def line_of(run, message):
    """The id of the run's line with this message, and how many lines precede it."""
    import sqlalchemy as sa
    from invenio_db import db

    db.session.rollback()
    line_id = db.session.scalar(
        sa.select(RunLog.id).where(RunLog.run_id == run.id, RunLog.message == message)
    )
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RunLog)
        .where(RunLog.run_id == run.id, RunLog.id < line_id)
    )
    return line_id, earlier


@pytest.fixture()
def logged_runs(app, start_worker):
    """A harvest that wrote 1,200 main lines and a short run of another job."""
    start_worker()
    harvest = make_job(title="Harvest DOIs")
    other = make_job(title="Tidy up")
    harvest_run = run_to_its_end(harvest, tag="doi-harvest", lines=1200, threads=0)
    other_run = run_to_its_end(other, tag="tidy", lines=2, threads=0)
    return {
        "harvest": harvest,
        "other": other,
        "harvest_run": harvest_run,
        "other_run": other_run,
    }


def search(browser, query):
    """Type ``query`` in the box and press Enter, as a person would."""
    browser.type("#jobs-log-query", query)
    browser.find("#jobs-log-query").send_keys(Keys.ENTER)


def status(browser):
    """What the page says about the search, once it has answered."""
    return browser.wait(
        lambda: browser.text(".jobs-log-search-status"), "the search's answer"
    )


def hit_messages(browser):
    """The messages of the hits shown, top to bottom."""
    return [row.text for row in browser.find_all(".jobs-log-hit .jobs-log-hit-message")]


def test_search_all_logs_and_open_a_hit_at_its_line(admin, logged_runs):
    """Query, share, page, follow a hit to its run at that line; axe-clean."""
    harvest, other = logged_runs["harvest"], logged_runs["other"]
    harvest_run = logged_runs["harvest_run"]

    admin.open("/administration/jobs")
    admin.click(".jobs-logs-link")
    admin.find("#jobs-log-query")
    assert urlsplit(admin.driver.current_url).path == "/administration/jobs/logs"
    assert admin.find("label[for=jobs-log-query]").text == "Query"
    assert 'message:"DOI 10.1234"' in admin.text(".jobs-log-query-help")
    assert_accessible(admin, "log search, empty")

    # Errors of both jobs, newest first, each with its job and run.
    search(admin, "level:ERROR")
    assert status(admin) == "2 lines match, newest first."
    rows = admin.find_all(".jobs-log-hit")
    assert [r.find_element("css selector", ".jobs-log-hit-job").text for r in rows] == [
        other["title"],
        harvest["title"],
    ]
    assert hit_messages(admin) == [
        "tidy: error <b>markup</b>",
        "doi-harvest: error <b>markup</b>",
    ]
    assert parse_qs(urlsplit(admin.driver.current_url).query)["q"] == ["level:ERROR"]
    assert_accessible(admin, "log search with hits")

    # A phrase of one job: 1,200 lines, fifty at a time.
    query = f'"doi-harvest: main" AND context.job_id:{harvest["id"]}'
    search(admin, query)
    assert status(admin) == "More than 1000 lines match, newest first."
    admin.wait(lambda: len(hit_messages(admin)) == 50, "the first fifty")
    assert hit_messages(admin)[0] == "doi-harvest: main 1199"
    admin.click(".jobs-log-load-more")
    admin.wait(lambda: len(hit_messages(admin)) == 100, "fifty more")
    wait_for_focus(
        admin,
        ".jobs-log-hit:nth-child(51) .jobs-log-hit-job a",
        "the first of the new hits",
    )
    assert hit_messages(admin)[50:52] == [
        "doi-harvest: main 1149",
        "doi-harvest: main 1148",
    ]
    assert len(set(hit_messages(admin))) == 100

    # The address holds the query: a reload searches it again.
    admin.driver.refresh()
    admin.wait(lambda: len(hit_messages(admin)) == 50, "the search again")
    assert admin.find("#jobs-log-query").get_attribute("value") == query

    # The deep line, opened from its hit with the keyboard.
    search(admin, f'message:"doi-harvest: main {DEEP}"')
    admin.wait(lambda: hit_messages(admin) == [f"doi-harvest: main {DEEP}"], "1 hit")
    target, earlier = line_of(harvest_run, f"doi-harvest: main {DEEP}")
    assert earlier >= DEEP > 1000, "past the first page of the run's log"
    link = admin.find(".jobs-log-hit-run a")
    assert link.get_attribute("textContent") == "#1 at this line"
    assert link.get_attribute("href").endswith(
        f"/administration/jobs/{harvest['id']}/runs/{harvest_run.id}#line-{target}"
    )
    tab_to(admin, ".jobs-log-hit-run a")
    press(admin, Keys.ENTER)

    line = admin.find(".jobs-log-line.jobs-log-line-target")
    assert line.get_attribute("data-id") == str(target)
    assert f"doi-harvest: main {DEEP}" in line.text
    wait_for_focus(admin, ".jobs-log-line-target", "the line found has the focus")
    position = admin.driver.execute_script("""
        const line = document.querySelector(".jobs-log-line-target");
        const box = document.querySelector(".jobs-log-lines").getBoundingClientRect();
        const r = line.getBoundingClientRect();
        const lines = [...document.querySelectorAll(".jobs-log-line")];
        return {
          inBox: r.top >= box.top && r.bottom <= box.bottom,
          inWindow: r.top >= 0 && r.bottom <= window.innerHeight,
          before: lines.indexOf(line),
        };
        """)
    assert position["inBox"] and position["inWindow"], position
    # The lines just before it are there, the earlier ones a button away.
    assert position["before"] == 200
    assert admin.text(".jobs-log-state").endswith("Earlier lines are not shown yet.")
    assert (
        admin.driver.execute_script(
            "return document.querySelector('#log-follow').checked"
        )
        is False
    ), "the log stays at the line rather than following its end"
    assert_accessible(admin, "run page at a line")
    admin.screenshot("run-page-at-a-line")
    admin.click(".jobs-log-earlier")
    admin.wait(
        lambda: len(admin.find_all(".jobs-log-line")) > 1200, "every earlier line"
    )
    assert not admin.find_all(".jobs-log-earlier")
    assert "Earlier lines" not in admin.text(".jobs-log-state")
    assert admin.find_all(".jobs-log-line")[earlier].get_attribute("data-id") == str(
        target
    )
    assert admin.driver.execute_script("""
        const line = document.querySelector(".jobs-log-line-target");
        const box = document.querySelector(".jobs-log-lines").getBoundingClientRect();
        const r = line.getBoundingClientRect();
        return r.top >= box.top && r.bottom <= box.bottom;
        """), "the line found stays in view when earlier lines come above it"


def test_a_job_page_links_the_search_of_its_logs(admin, logged_runs):
    """From the job page, its runs' lines, newest first; the query is the job's."""
    harvest = logged_runs["harvest"]
    admin.open(f"/administration/jobs/{harvest['id']}")
    admin.find(".jobs-run-row")
    admin.click(".jobs-job-logs-link")
    admin.wait(lambda: len(hit_messages(admin)) == 50, "the job's lines")
    assert admin.find("#jobs-log-query").get_attribute("value") == (
        f"context.job_id:{harvest['id']}"
    )
    assert hit_messages(admin)[0] == "doi-harvest: error <b>markup</b>"
    assert status(admin).endswith("lines match, newest first.")


def test_malformed_and_empty_queries_say_so(admin, logged_runs):
    """The API's message beside the box, announced; nothing found is said too."""
    admin.open("/administration/jobs/logs?q=level:ERROR")
    admin.wait(lambda: len(hit_messages(admin)) == 2, "the shared search")

    search(admin, "level:ERROR AND AND tidy")
    message = admin.wait(
        lambda: admin.find_all(".jobs-log-query-error .label")
        and admin.text(".jobs-log-query-error .label"),
        "the query's error",
    )
    assert "at character 17, near 'AND'" in message, message
    region = admin.find("#jobs-log-query-error")
    assert region.get_attribute("aria-live") == "assertive"
    box = admin.find("#jobs-log-query")
    assert box.get_attribute("aria-invalid") == "true"
    assert "jobs-log-query-error" in box.get_attribute("aria-describedby")
    assert hit_messages(admin) == []
    assert_accessible(admin, "log search with a malformed query")

    search(admin, '"no line says this"')
    assert status(admin) == "No log line matches this query."
    assert not admin.find_all(".jobs-log-query-error .label")
    assert admin.find("#jobs-log-query").get_attribute("aria-invalid") == "false"

    # An example of the help goes into the box.
    admin.click(".jobs-log-example")
    wait_for_focus(admin, "#jobs-log-query", "the box after an example")
    assert admin.find("#jobs-log-query").get_attribute("value") == (
        'message:"DOI 10.1234"'
    )


def test_log_search_in_german(admin, logged_runs):
    """Every word of the page in German, the API's message too."""
    admin.open("/administration/jobs/logs?ln=de")
    admin.wait(
        lambda: admin.text("h1") == "Alle Protokolle durchsuchen", "German heading"
    )
    assert admin.find("label[for=jobs-log-query]").text == "Abfrage"
    assert "Alle Protokolle durchsuchen" in admin.text("#admin-side-menu")
    search(admin, "level:ERROR")
    assert status(admin) == "2 Zeilen passen, neueste zuerst."
    search(admin, "level:ERROR AND AND tidy")
    admin.wait(lambda: admin.find_all(".jobs-log-query-error .label"), "the error")
    assert "Zeichen" in admin.text(".jobs-log-query-error .label")
    admin.screenshot("log-search-de")
    assert_accessible(admin, "log search in German")


@pytest.mark.parametrize("width", (1024, 1366))
def test_log_search_fits_common_widths(admin, logged_runs, width):
    """Long messages wrap and long titles are cut: nothing past the window."""
    admin.driver.set_window_size(width, 900)
    admin.open("/administration/jobs/logs?q=doi-harvest")
    admin.wait(lambda: len(hit_messages(admin)) == 50, "hits")
    assert no_horizontal_scroll(admin)
    assert admin.find(".jobs-log-search-button").is_displayed()
    assert admin.screenshot(f"log-search-{width}").stat().st_size > 10_000
