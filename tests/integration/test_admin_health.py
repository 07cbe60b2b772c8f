# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Health at a glance in Chromium: a job's runs chart, the jobs list's panel,
and schedules in the page's language.

With ``JOBS_DOCS_IMAGES=1`` the README's images of the chart and the panel
(``docs/images/job-chart.png``, ``docs/images/jobs-health.png``) are written
again; they are always saved in the screenshots folder.
"""

import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone

from admin_fixtures import number_stored
from browser import REPOSITORY, SCREENSHOTS
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from selenium.webdriver.common.action_chains import ActionChains
from test_admin_ui import (  # noqa: F401 (fixtures of the admin pages)
    admin,
    app_config,
    chromium,
    create_app,
    make_job,
    runs_of,
    seed_site,
    ui_assets,
    web_server,
)

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_runs_service

COLORS = {
    "SUCCESS": "#21ba45",
    "FAILED": "#db2828",
    "RUNNING": "#2185d0",
    "QUEUED": "#767676",
    "PARTIAL_SUCCESS": "#f2711c",
}
"""The colour of each status's bar (Semantic UI's label colours)."""

PIXEL_JS = """
const canvas = document.querySelector('.jobs-runs-chart canvas');
const ratio = canvas.width / canvas.clientWidth;
const pixel = canvas.getContext('2d').getImageData(
  Math.round(arguments[0] * ratio), Math.round(arguments[1] * ratio), 1, 1).data;
return '#' + [pixel[0], pixel[1], pixel[2]]
  .map((v) => v.toString(16).padStart(2, '0')).join('');
"""


def element_shot(browser, css, name):
    """Save one element of the page; copy it to the README's images if asked."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    element = browser.find(css)
    browser.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'})", element
    )
    element.screenshot(str(path))
    assert path.stat().st_size > 5_000
    if os.environ.get("JOBS_DOCS_IMAGES") == "1":
        shutil.copyfile(path, REPOSITORY / "docs" / "images" / f"{name}.png")
    return path


def start_run(job, **args):
    """Run the job now through the service, as the system; return the run id."""
    item = current_runs_service.create(system_identity, job["id"], {"args": args})
    return item.to_dict()["id"]


def status_of(run_id):
    """A run's status now, read in a fresh transaction."""
    db.session.rollback()
    return db.session.get(Run, uuid.UUID(run_id)).status.name


def chart_rows(browser):
    """The bars of the chart as its table lists them: (run id, status, colour)."""
    return [
        (
            row.get_attribute("data-run-id"),
            row.get_attribute("data-status"),
            row.get_attribute("data-color"),
        )
        for row in browser.find_all(".jobs-runs-chart tr[data-run-id]")
    ]


def test_the_chart_has_a_bar_per_run_in_its_status_colour(admin, start_worker):
    """After successful, failed and running runs: one bar each, coloured by status.

    The colours are read from the canvas at each bar; a running run's bar
    grows; clicking a bar opens its run.
    """
    start_worker(concurrency=2)
    job = make_job(run_args={"lines": 2, "threads": 0, "sleep": 0.4})
    done = [start_run(job), start_run(job)]
    for run_id in done:
        wait_until(lambda: status_of(run_id) == "SUCCESS", message="success")
    failed = start_run(job, fail=True)
    wait_until(lambda: status_of(failed) == "FAILED", message="failure")
    running = start_run(job, lines=200, sleep=0.5)
    wait_until(lambda: status_of(running) == "RUNNING", message="running")
    made = {done[0]: "SUCCESS", done[1]: "SUCCESS", failed: "FAILED"}
    made[running] = "RUNNING"

    admin.open(f"/administration/jobs/{job['id']}")
    admin.wait(lambda: len(chart_rows(admin)) == 4, "four bars")
    rows = chart_rows(admin)
    assert [run_id for run_id, _, _ in rows] == [done[0], done[1], failed, running]
    for run_id, status, color in rows:
        assert status == made[run_id]
        assert color == COLORS[status]

    def drawn(run_id):
        row = admin.find(f".jobs-runs-chart tr[data-run-id='{run_id}']")
        x, y = int(row.get_attribute("data-x")), int(row.get_attribute("data-y"))
        return admin.driver.execute_script(PIXEL_JS, x, y)

    admin.wait(lambda: all(drawn(r) == COLORS[s] for r, s in made.items()), "colours")

    def seconds(run_id):
        cell = admin.find(
            f".jobs-runs-chart tr[data-run-id='{run_id}'] td[data-seconds]"
        )
        return int(cell.get_attribute("data-seconds"))

    before = seconds(running)
    admin.wait(lambda: seconds(running) >= before + 2, "the running bar grows")
    median = float(admin.find(".jobs-chart-median").get_attribute("data-value"))
    finished = [runs for runs in runs_of(job["id"]) if str(runs.id) in done + [failed]]
    durations = sorted((r.finished_at - r.started_at).total_seconds() for r in finished)
    assert abs(median - durations[1]) < 0.01
    assert admin.find(".jobs-chart-success").get_attribute("data-value") == "67"
    assert admin.errors() == []

    row = admin.find(f".jobs-runs-chart tr[data-run-id='{failed}']")
    x, y = int(row.get_attribute("data-x")), int(row.get_attribute("data-y"))
    canvas = admin.find(".jobs-runs-chart canvas")
    admin.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'})", canvas
    )
    size = canvas.size
    ActionChains(admin.driver).move_to_element_with_offset(
        canvas, x - size["width"] // 2, y - size["height"] // 2
    ).click().perform()
    admin.wait(lambda: failed in admin.driver.current_url, "the run's page")
    assert (
        admin.driver.current_url.endswith(
            f"/administration/jobs/{job['id']}/runs/{failed}"
        )
        or f"/runs/{failed}" in admin.driver.current_url
    )


def stored(job_id, status, created, seconds, lag=None, message=None):
    """A run stored directly, created ``created`` ago and lasting ``seconds``."""
    now = datetime.now(timezone.utc)
    start = now - created
    active = status in (RunStatusEnum.QUEUED, RunStatusEnum.RUNNING)
    return Run(
        job_id=job_id,
        status=status,
        args={},
        queue="celery",
        created=start,
        scheduled_at=start - timedelta(seconds=lag) if lag is not None else None,
        started_at=None if status == RunStatusEnum.QUEUED else start,
        finished_at=None if active else start + timedelta(seconds=seconds),
        message=message,
    )


def test_the_health_panel_counts_the_runs_made(admin):
    """Totals, failures, failing jobs and lag match the stored runs; 7 days more."""
    S, F, P = RunStatusEnum.SUCCESS, RunStatusEnum.FAILED, RunStatusEnum.PARTIAL_SUCCESS
    nightly = make_job(title="Update affiliations")
    exports = make_job(title="Export records")
    h = lambda hours: timedelta(hours=hours)  # noqa: E731
    runs = []
    # Nightly: a run every hour of the last day, lags 1..24 s, every 6th failed.
    for hour in range(1, 25):
        status = F if hour % 6 == 0 else (P if hour % 8 == 0 else S)
        message = "ROR dump unreachable\nTraceback ..." if status == F else None
        runs.append(
            stored(
                nightly["id"], status, h(hour - 0.5), 40 + 7 * (hour % 5), hour, message
            )
        )
    # Exports: three days ago (only in 7 days), then failed last; a reindex runs.
    runs.append(stored(exports["id"], S, h(72), 300, 2))
    runs.append(stored(exports["id"], F, h(2), 12, 3, "Disk full"))
    reindex = make_job(title="Reindex")
    runs.append(stored(reindex["id"], RunStatusEnum.RUNNING, h(0.01), 0))
    db.session.add_all(number_stored(runs))
    db.session.commit()

    admin.open("/administration/jobs")
    admin.find(".jobs-health-total")
    # 24 nightly, the failed export and the reindex within the last day.
    assert admin.find(".jobs-health-total").get_attribute("data-value") == "26"
    failed_day = 4 + 1  # hours 6, 12, 18, 24, and the export
    assert admin.find(".jobs-health-failed-count").get_attribute("data-value") == str(
        failed_day
    )
    links = admin.find_all(".jobs-health-failed-items a")
    assert len(links) == 5
    assert links[0].text == "Export records"  # the latest failure first
    assert admin.find(".jobs-health-failing-count").get_attribute("data-value") == "1"
    failing = admin.find_all(".jobs-health-failing-items a")
    assert [a.text for a in failing] == ["Export records"]
    assert (
        failing[0]
        .get_attribute("href")
        .endswith(f"/administration/jobs/{exports['id']}")
    )
    # Lags of the day: 1..24 s and 3 s (25 runs): p50 is 12 s, p95 23 s.
    assert float(admin.find(".jobs-health-lag-p50").get_attribute("data-value")) == 12
    assert float(admin.find(".jobs-health-lag-p95").get_attribute("data-value")) == 23
    now = admin.find(".jobs-health-now")
    assert now.get_attribute("data-running") == "1"
    element_shot(admin, ".jobs-health", "jobs-health")

    admin.click(".jobs-health-window [data-window='7d']")
    admin.wait(
        lambda: admin.find(".jobs-health-total").get_attribute("data-value") == "27",
        "seven days",
    )
    assert admin.errors() == []

    admin.open(f"/administration/jobs/{nightly['id']}")
    admin.wait(lambda: len(chart_rows(admin)) == 24, "a bar per run")
    # 4 failed and 2 partial successes of 24: 18 succeeded.
    assert admin.find(".jobs-chart-success").get_attribute("data-value") == "75"
    element_shot(admin, ".jobs-runs-chart", "job-chart")


def test_schedules_read_in_the_pages_language(admin):
    """``?ln=de``: the list and the job page say the schedule in German."""
    job = make_job(
        title="Nachtlauf",
        schedule={
            "type": "crontab",
            "minute": "30",
            "hour": "2",
            "day_of_week": "1-5",
            "timezone": "Europe/Zurich",
        },
    )
    german = "Um 02:30, Montag bis Freitag (Europe/Zurich)"
    admin.open("/administration/jobs?ln=de")
    admin.wait(lambda: german in admin.text(".jobs-schedule"), "German schedule")
    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.wait(lambda: german in admin.text(".jobs-job-page"), "German schedule")
    admin.open("/administration/jobs?ln=en")
    admin.wait(
        lambda: "at 02:30 Europe/Zurich on Monday to Friday"
        in admin.text(".jobs-schedule"),
        "English schedule",
    )
