# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo as people use it, in Chromium, on what ``./run-demo.sh`` starts.

The demo's own launcher (web, solo-pool worker, beat) on its embedded SQLite
and filesystem broker, not the test app: Stop on a running demo job ends it
CANCELLED within seconds with the stop in its log, and while a run writes
with a delay, every page load and API call (writes included) answers 2xx.
"""

import statistics
import time

import pytest
import requests
import test_demo
from browser import Browser, chromedriver_path
from test_demo import FINISHED, PASSWORD, Demo, demo_env, ui_built

pytestmark = pytest.mark.timeout(600)

ADMIN = "admin@demo.org"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, started once for the module, its first import done.

    It serves the admin UI built before the tests (``JOBS_UI_ASSETS``) as
    it is (``DEMO_NO_ASSETS``): sources edited since must not start a
    rebuild of minutes inside the test.
    """
    if not ui_built() or chromedriver_path() is None:
        pytest.skip("needs the built admin UI and Chromium with chromedriver")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            test_demo, "demo_env", lambda: {**demo_env(), "DEMO_NO_ASSETS": "1"}
        )
        started = Demo(tmp_path_factory.mktemp("demo"))
    try:
        started.wait_until(
            lambda: requests.get(started.url + "/", timeout=5).status_code == 200,
            timeout=180,
            what="web app",
        )
        started.http = logged_in(started)
        started.api = started.url + "/api"
        jobs = started.http.get(f"{started.api}/jobs", timeout=10).json()
        started.jobs = {hit["title"]: hit["id"] for hit in jobs["hits"]["hits"]}

        def first_import_done():
            runs = started.http.get(
                f"{started.api}/jobs/{started.jobs['Update affiliations']}/runs",
                timeout=10,
            ).json()["hits"]["hits"]
            return runs and all(run["status"] in FINISHED for run in runs)

        started.wait_until(first_import_done, timeout=120, what="first import")
        yield started
    finally:
        started.close()


def logged_in(demo) -> requests.Session:
    """A session logged in as the demo's administrator, with its CSRF token."""
    http = requests.Session()
    login = http.post(
        demo.url + "/api/login",
        data={"email": ADMIN, "password": PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
    return http


@pytest.fixture()
def chromium(demo, tmp_path):
    """Chromium logged in to the demo as its administrator."""
    browser = Browser(demo.url, tmp_path)
    try:
        browser.login(ADMIN, PASSWORD)
        yield browser
    finally:
        browser.quit()


def start_slow_check(demo, delay: float) -> str:
    """Run "Check affiliations" now, slowed down; wait until it makes progress."""
    job_id = demo.jobs["Check affiliations"]
    started = demo.http.post(
        f"{demo.api}/jobs/{job_id}/runs",
        json={"title": "Slow check", "args": {"delay": delay}},
        timeout=30,
    )
    assert started.status_code == 201, started.text + demo.log
    run_url = f"{demo.api}/jobs/{job_id}/runs/{started.json()['id']}"

    def progressing():
        run = demo.http.get(run_url, timeout=30).json()
        done = run["updated_entries"] + run["errored_entries"]
        return run if run["status"] == "RUNNING" and done >= 3 else None

    demo.wait_until(progressing, timeout=120, what="a running check")
    return started.json()["id"]


def run_of(demo, run_id) -> dict:
    """A run of the check job, through the API."""
    job_id = demo.jobs["Check affiliations"]
    return demo.http.get(f"{demo.api}/jobs/{job_id}/runs/{run_id}", timeout=30).json()


def log_of(demo, run_id) -> list[str]:
    """The messages of a run's log."""
    found = demo.http.get(
        f"{demo.api}/logs/jobs", params={"q": run_id, "size": 500}, timeout=30
    ).json()
    return [hit["message"] for hit in found["hits"]["hits"]]


def test_stop_on_the_run_page_ends_a_demo_run_within_seconds(demo, chromium):
    """Stop, confirmed, ends the solo pool's running run CANCELLED; the log says who."""
    run_id = start_slow_check(demo, delay=0.5)
    job_id = demo.jobs["Check affiliations"]
    chromium.open(f"/administration/jobs/{job_id}/runs/{run_id}")
    assert chromium.text(".jobs-run-title").startswith("#")
    chromium.click(".jobs-stop")
    chromium.find(".jobs-stop-dialog")
    assert run_of(demo, run_id)["status"] == "RUNNING"  # nothing before the answer
    chromium.click(".jobs-stop-dialog .jobs-stop-confirm")
    asked = time.monotonic()
    chromium.wait(
        lambda: chromium.find_all(
            ".jobs-run-title .jobs-status[data-status=CANCELLED]"
        ),
        "CANCELLED on the run page",
        timeout=30,
    )
    took = time.monotonic() - asked
    run = run_of(demo, run_id)
    assert run["status"] == "CANCELLED", run
    assert took < 10, f"the stop took {took:.1f} s"
    done = run["updated_entries"] + run["errored_entries"]
    assert 3 <= done < run["total_entries"]
    lines = log_of(demo, run_id)
    assert any(line.startswith(f"Stop requested by {ADMIN} at ") for line in lines)
    assert any(line.startswith("Stopping now") for line in lines), lines[-5:]
    chromium.wait(
        lambda: f"Stop requested by {ADMIN}" in chromium.text(".jobs-log-lines"),
        "the stop in the page's log",
    )
    print(
        f"stop on the demo: CANCELLED on the page {took:.1f} s after the confirmation"
    )


def test_pages_and_api_answer_while_a_demo_run_writes(demo, chromium):
    """50 page loads and API calls in a row, writes among them: all 2xx, none slow.

    A run checks affiliations with a delay after each write (the demo's
    SQLite has one writer) while the administrator reads the pages, logs in,
    creates jobs and follows the run. Latencies are printed.
    """
    run_id = start_slow_check(demo, delay=0.2)
    job_id = demo.jobs["Check affiliations"]
    pages = [
        "/administration/jobs",
        f"/administration/jobs/{job_id}",
        f"/administration/jobs/{job_id}/runs/{run_id}",
    ]
    api_calls = [
        f"/jobs/{job_id}/runs?status=RUNNING&trigger=manual",
        f"/jobs/{job_id}/runs/{run_id}",
        f"/jobs/{job_id}/runs/{run_id}/logs",
        "/jobs",
    ]
    answers = []
    for index in range(50):
        began = time.monotonic()
        if index % 10 == 9:
            response = logged_in(demo).get(demo.url + pages[0], timeout=60)
            kind = "login + page"
        elif index % 5 == 4:
            response = demo.http.post(
                f"{demo.api}/jobs",
                json={"title": f"Made during a run {index}", "task": "demo_clean_up"},
                timeout=60,
            )
            kind = "create job"
        elif index % 2:
            response = demo.http.get(demo.api + api_calls[index % 4], timeout=60)
            kind = "API"
        else:
            response = demo.http.get(demo.url + pages[index % 3], timeout=60)
            kind = "page"
        answers.append((kind, response.status_code, time.monotonic() - began))
        if index % 10 == 0:
            chromium.open(pages[index % 3])
            chromium.find(".jobs-run-page, .jobs-job-page, .jobs-list-page, table")
            assert not chromium.find_all(".ui.negative.message"), chromium.driver.title
    failed = [answer for answer in answers if not 200 <= answer[1] < 300]
    assert not failed, (failed, demo.log)
    assert run_of(demo, run_id)["status"] == "RUNNING"  # all of it during the run
    seconds = [answer[2] for answer in answers]
    print(
        f"50 requests during a run writing every 0.2 s: all 2xx; "
        f"median {statistics.median(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms"
    )
    assert max(seconds) < 10
    demo.http.post(
        f"{demo.api}/jobs/{job_id}/runs/{run_id}/actions/stop", timeout=30
    ).raise_for_status()


def test_run_history_filters_numbers_and_run_again(demo, chromium):
    """Filters in the address, #numbers in the table, and Run again from a run page.

    Run again asks first, then opens the new run: the next number, the same
    arguments, and a blank title still shown as "Manual run".
    """
    job_id = demo.jobs["Update affiliations"]
    made = demo.http.post(
        f"{demo.api}/jobs/{job_id}/runs", json={"args": {"strict": True}}, timeout=30
    ).json()

    def ended():
        run = demo.http.get(f"{demo.api}/jobs/{job_id}/runs/{made['id']}", timeout=30)
        return run.json()["status"] in FINISHED and run.json()

    first = demo.wait_until(ended, timeout=120, what="a finished manual run")
    assert first["number"] >= 2  # after the demo's first import

    chromium.open(
        f"/administration/jobs/{job_id}?status=PARTIAL_SUCCESS&trigger=manual"
    )
    row = f".jobs-run-row[data-run-id='{first['id']}']"
    chromium.find(row)
    rows = chromium.find_all(".jobs-run-row")
    assert all(r.get_attribute("data-status") == "PARTIAL_SUCCESS" for r in rows)
    assert chromium.text(f"{row} .jobs-run-number") == f"#{first['number']}"
    assert chromium.text(f"{row} .jobs-run-link") == "Manual run"
    filters = chromium.text(".jobs-run-filters")
    assert "Partial success" in filters and "manual" in filters

    chromium.click(f"{row} .jobs-run-link")
    chromium.find(".jobs-run-again")
    crumbs = chromium.text(".jobs-breadcrumb")
    assert crumbs.endswith(f"/ #{first['number']}"), crumbs
    chromium.click(".jobs-run-again")
    chromium.find(".jobs-run-again-modal")
    assert '"strict": true' in chromium.text(".jobs-run-again-modal")
    chromium.click(".jobs-run-again-confirm")
    chromium.wait(
        lambda: first["id"] not in chromium.driver.current_url,
        "the new run's page",
        timeout=30,
    )
    new_id = chromium.driver.current_url.rstrip("/").rsplit("/", 1)[-1]
    again = demo.http.get(f"{demo.api}/jobs/{job_id}/runs/{new_id}", timeout=30).json()
    assert again["number"] == first["number"] + 1
    assert again["args"] == first["args"] and again["title"] is None
    chromium.wait(
        lambda: chromium.text(".jobs-run-title").startswith(
            f"#{again['number']} Manual run"
        ),
        "the new run's number and name",
    )
