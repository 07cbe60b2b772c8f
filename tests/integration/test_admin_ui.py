# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin UI in headless Chromium: the built assets, the app on a live
server, PostgreSQL, the broker and a real worker.

The assets are built once by ``run-tests.sh`` (``python -m
invenio_jobs.demo.assets``); screenshots of each page are saved in
``.test-artifacts/screenshots`` (or ``JOBS_SCREENSHOTS``).
"""

import json
import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from browser import Browser, LiveServer, chromedriver_path
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_app.factory import create_app as create_combined_app
from invenio_db import db

from invenio_jobs.demo.assets import assets_folder
from invenio_jobs.demo.settings import secure_headers
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service


def _missing(reason):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def ui_assets():
    """The built assets; ``run-tests.sh`` builds them before the tests."""
    folder = assets_folder()
    if not (folder / "static" / "dist" / "manifest.json").exists():
        _missing(f"no built assets in {folder}: run python -m invenio_jobs.demo.assets")
    if chromedriver_path() is None:
        _missing("needs Chromium and chromedriver (Debian: chromium chromium-driver)")
    return folder


# pytest-invenio's base_app takes the module's ``create_app`` when there is
# one: here the combined UI and API app (the suite's fixture still runs, and
# registers the test job types).
create_app = create_combined_app


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory):
    """InvenioRDM's documented ``ExportRecords``, installed with its entry point.

    The test process finds it on ``sys.path``, the workers on ``PYTHONPATH``.
    """
    from seed_site.distribution import install

    paths = install(tmp_path_factory.mktemp("seed-site"))
    patch = pytest.MonkeyPatch()
    patch.setattr(sys, "path", [*paths, *sys.path])
    pythonpath = [*paths, os.environ.get("PYTHONPATH", "")]
    patch.setenv("PYTHONPATH", os.pathsep.join(pythonpath).rstrip(os.pathsep))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def app_config(app_config, ui_assets, seed_site):
    """The demo's theme and security settings, with fast page refreshes."""
    # invenio_app's factory reads the static folder from the environment.
    os.environ["INVENIO_STATIC_FOLDER"] = str(ui_assets / "static")
    app_config.update(
        APP_THEME=["semantic-ui"],
        WEBPACKEXT_PROJECT="invenio_jobs.demo.webpack:project",
        WEBPACKEXT_PROJECT_BUILDDIR=str(ui_assets / "assets"),
        APP_DEFAULT_SECURE_HEADERS=secure_headers(),
        ACCOUNTS_SESSION_STORE_FACTORY="invenio_jobs.demo.settings:shared_session_store",
        ACCOUNTS_LOCAL_LOGIN_ENABLED=True,
        SECURITY_CONFIRMABLE=False,
        SESSION_COOKIE_SECURE=False,
        REST_CSRF_ENABLED=True,
        CSRF_FORCE_SECURE_REFERER=False,
        JOBS_ADMINISTRATION_REFRESH=0.5,
        I18N_LANGUAGES=[("de", "Deutsch")],
        JOBS_SCHEDULER_TIMEZONE="UTC",
    )
    return app_config


@pytest.fixture(scope="module")
def web_server(app, users):
    """The app on a loopback port, for the browser.

    Not named ``live_server``: pytest-flask gives that name a meaning of its own.
    """
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture()
def chromium(web_server, tmp_path):
    """A fresh Chromium for one test.

    Not named ``browser``: pytest-invenio skips every test using a fixture of
    that name unless ``E2E=yes``, and its own one does not work with
    current selenium.
    """
    window = Browser(web_server.url, tmp_path)
    yield window
    window.quit()


@pytest.fixture()
def admin(chromium):
    """Chromium, logged in as the administrator."""
    chromium.login("admin@example.org", "admin-pass")
    return chromium


def make_job(task="mock_chatty", run_args=None, **fields):
    """A job created through the service, as the system."""
    data = {"title": f"Job {uuid.uuid4().hex[:6]}", "task": task, **fields}
    data["run_args"] = run_args or {}
    item = current_jobs_service.create(system_identity, data)
    return item.to_dict()


def db_job(job_id):
    """The job as stored now, read in a fresh transaction."""
    db.session.rollback()
    return db.session.get(Job, job_id)


def runs_of(job_id):
    """The job's runs, newest first, read in a fresh transaction."""
    db.session.rollback()
    return (
        Run.query.filter_by(job_id=job_id, parent_run_id=None)
        .order_by(Run.created.desc())
        .all()
    )


def row_status(browser, run_id):
    """The status a run's row shows on the job page."""
    rows = browser.find_all(f".jobs-run-row[data-run-id='{run_id}']")
    return rows[0].get_attribute("data-status") if rows else None


def test_create_run_and_follow_a_job(admin, start_worker):
    """Create a job with a cron schedule and arguments, run it, follow it."""
    admin.open("/administration")
    menu = admin.find("#admin-side-menu")
    assert "System" in menu.text
    menu.find_element("link text", "Jobs").click()
    admin.find(".jobs-empty")
    assert admin.driver.current_url == admin.base_url + "/administration/jobs"
    admin.click(".jobs-create")

    admin.type("#job-title", "Nightly chatter")
    admin.type("#job-description", "Talks every night.")
    admin.choose("#job-task", "Chatty")
    admin.click("input[name=schedule-kind][value=crontab] + label")
    admin.type("#schedule-minute", "30")
    admin.type("#schedule-hour", "2")
    admin.find("#schedule-timezone input.search").send_keys("Europe/Zur")
    admin.choose("#schedule-timezone", "Europe/Zurich")
    admin.wait(
        lambda: "every day at 02:30 Europe/Zurich"
        in admin.text(".jobs-schedule-preview"),
        "schedule in words",
    )
    assert len(admin.find_all(".jobs-fire-time")) == 5
    admin.type("#argument-tag", "nightly")
    admin.type("#argument-lines", "8")
    admin.type("#argument-sleep", "0.6")
    admin.screenshot("job-create")
    admin.click(".jobs-save")

    admin.wait(lambda: "/edit" not in admin.driver.current_url, "saved")
    admin.find(".jobs-job-title")
    job_id = admin.driver.current_url.rstrip("/").split("/")[-1]
    job = db_job(job_id)
    assert job.title == "Nightly chatter"
    assert job.task == "mock_chatty"
    assert job.schedule["minute"] == "30" and job.schedule["hour"] == "2"
    assert job.schedule["timezone"] == "Europe/Zurich"
    assert job.run_args["tag"] == "nightly"
    assert job.run_args["lines"] == 8 and job.run_args["sleep"] == 0.6
    assert job.next_run_at is not None

    admin.open("/administration/jobs")
    row = admin.find(f".jobs-row[data-job-id='{job_id}']")
    assert "Nightly chatter" in row.text
    assert "every day at 02:30 Europe/Zurich" in row.text
    assert row.find_element("css selector", ".jobs-next-run time").text.startswith(
        "in "
    )
    admin.screenshot("jobs-list")

    # Run now, with no worker yet: the run waits QUEUED on the page.
    admin.open(f"/administration/jobs/{job_id}")
    admin.driver.execute_script("window.__samePage = true;")
    admin.click(".jobs-run-now")
    assert admin.find("#argument-tag").get_attribute("value") == "nightly"
    admin.click(".jobs-run-confirm")
    first = admin.wait(lambda: runs_of(job_id), "a run")[0]
    admin.wait(lambda: row_status(admin, first.id) == "QUEUED", "QUEUED shown")

    start_worker()
    admin.wait(lambda: row_status(admin, first.id) == "RUNNING", "RUNNING", 30)
    admin.find(f".jobs-run-row[data-run-id='{first.id}'] .jobs-stop")
    admin.screenshot("job-page-running")
    admin.wait(lambda: row_status(admin, first.id) == "SUCCESS", "SUCCESS", 30)
    assert admin.driver.execute_script("return window.__samePage === true;")
    admin.screenshot("job-page")

    # Run again with an edited argument, and follow its log live.
    admin.click(".jobs-run-now")
    admin.type("#argument-sleep", "0.8")
    admin.click(".jobs-run-confirm")
    second = admin.wait(
        lambda: [r for r in runs_of(job_id) if r.id != first.id], "a second run"
    )[0]
    assert second.args["sleep"] == 0.8 and second.args["tag"] == "nightly"
    admin.click(f".jobs-run-row[data-run-id='{second.id}'] .jobs-run-link")
    admin.find(".jobs-run-log")
    seen = []

    def log_grows():
        count = len(admin.find_all(".jobs-log-line"))
        status = admin.find(".jobs-run-title .jobs-status").get_attribute("data-status")
        if status == "RUNNING" and count:
            seen.append(count)
        return len(set(seen)) >= 3

    admin.wait(log_grows, "log lines appearing while the run runs", 30)
    admin.wait(
        lambda: admin.find(".jobs-run-title .jobs-status").get_attribute("data-status")
        == "SUCCESS",
        "run page shows SUCCESS",
        30,
    )
    admin.wait(lambda: "the run has ended" in admin.text(".jobs-log-state"), "log end")
    lines = [line.text for line in admin.find_all(".jobs-log-line")]
    assert any("nightly: main 7" in line for line in lines)
    # The job's markup in a log line is text, not HTML.
    assert any("<b>markup</b>" in line for line in lines)
    assert not admin.find_all(".jobs-log-lines b")
    ids = [int(e.get_attribute("data-id")) for e in admin.find_all(".jobs-log-line")]
    assert ids == sorted(set(ids))
    admin.screenshot("run-page")
    assert admin.errors() == []


def test_stop_a_long_run(admin, start_worker):
    """A running run stopped from its job page ends CANCELLED."""
    job = make_job("mock_controlled", {"sleep": 60, "steps": 120}, title="Long one")
    start_worker()
    admin.open(f"/administration/jobs/{job['id']}")
    admin.click(".jobs-run-now")
    admin.click(".jobs-run-confirm")
    run = admin.wait(lambda: runs_of(job["id"]), "a run")[0]
    admin.wait(lambda: row_status(admin, run.id) == "RUNNING", "RUNNING", 30)
    admin.click(f".jobs-run-row[data-run-id='{run.id}'] .jobs-stop")
    admin.click(".jobs-stop-dialog .jobs-stop-confirm")  # stops only once confirmed
    admin.wait(lambda: row_status(admin, run.id) == "CANCELLED", "CANCELLED", 30)
    assert runs_of(job["id"])[0].status == RunStatusEnum.CANCELLED
    assert not admin.find_all(f".jobs-run-row[data-run-id='{run.id}'] .jobs-stop")


def test_invalid_cron_field_shows_its_error_and_saves_nothing(admin):
    """An invalid cron field is named under the field; the job is unchanged."""
    schedule = {"type": "crontab", "minute": "0", "hour": "3", "timezone": "UTC"}
    job = make_job(title="Early", schedule=schedule)
    admin.open(f"/administration/jobs/{job['id']}/edit")
    admin.find(".jobs-schedule-preview")
    admin.type("#schedule-minute", "61")
    error = admin.find(".field.error .prompt.label")
    minute_field = admin.driver.execute_script(
        "return document.getElementById('schedule-minute').closest('.field');"
    )
    assert "61" in error.text or "minute" in error.text.lower()
    assert minute_field.find_elements("css selector", ".prompt.label")
    admin.screenshot("job-edit-invalid-cron")
    admin.click(".jobs-save")
    admin.find(".jobs-form-error")
    assert "/edit" in admin.driver.current_url
    assert db_job(job["id"]).schedule["minute"] == "0"

    admin.type("#schedule-minute", "15")
    admin.wait(lambda: not admin.find_all(".field.error"), "error gone")
    admin.click(".jobs-save")
    admin.wait(lambda: "/edit" not in admin.driver.current_url, "saved")
    assert db_job(job["id"]).schedule["minute"] == "15"


def test_delete_a_job_from_the_list(admin):
    """Delete asks first, then removes the job and only it."""
    kept = make_job(title="Keep me")
    gone = make_job(title="Remove me")
    admin.open("/administration/jobs")
    admin.click(f".jobs-row[data-job-id='{gone['id']}'] .jobs-delete")
    modal = admin.find(".jobs-delete-modal")
    assert "Remove me" in modal.text
    admin.screenshot("jobs-delete-confirm")
    admin.click(".jobs-delete-confirm")
    admin.wait(
        lambda: not admin.find_all(f".jobs-row[data-job-id='{gone['id']}']"),
        "row removed",
    )
    assert db_job(gone["id"]) is None
    assert db_job(kept["id"]) is not None
    admin.find(f".jobs-row[data-job-id='{kept['id']}']")


def test_user_text_is_shown_as_text(admin):
    """A title made of HTML shows as text and runs no script."""
    title = '<img src=x onerror="window.__injected=1">'
    job = make_job(title=title, description="<script>window.__injected=2</script>")
    for path in ("/administration/jobs", f"/administration/jobs/{job['id']}"):
        admin.open(path)
        admin.wait(lambda: title in admin.driver.find_element("tag name", "body").text)
        assert not admin.find_all("#invenio-jobs-app img[src='x']")
        assert admin.driver.execute_script("return window.__injected") is None
    admin.screenshot("job-page-escaped-title")


def test_search_filter_and_activate(admin):
    """Search by title, filter inactive jobs, and activate one from the list."""
    make_job(title="Alpha report")
    sleeper = make_job(title="Beta sleeper", active=False)
    admin.open("/administration/jobs")
    admin.type("input[name=q]", "beta\n")
    admin.wait(lambda: len(admin.find_all(".jobs-row")) == 1, "one match")
    assert "Beta sleeper" in admin.text(".jobs-row")
    admin.type("input[name=q]", "\n")
    admin.choose("#jobs-filter-active", "Inactive")
    admin.wait(
        lambda: [r.text for r in admin.find_all(".jobs-row")]
        and all("Beta" in r.text for r in admin.find_all(".jobs-row")),
        "inactive only",
    )
    admin.click(f".jobs-row[data-job-id='{sleeper['id']}'] .jobs-toggle")
    admin.wait(lambda: db_job(sleeper["id"]).active, "activated")


def test_pages_speak_the_language_of_the_page(admin):
    """With German chosen (``?ln=de``), the pages' own words are German."""
    job = make_job(title="Nightly")
    admin.open("/administration/jobs?ln=de")
    admin.wait(lambda: admin.text(".jobs-create") == "Job erstellen", "German list")
    admin.find(".jobs-table th")  # the table comes with the jobs, after the page
    headers = [h.text for h in admin.find_all(".jobs-table th")]
    assert "Nächster Lauf" in headers and "Zeitplan" in headers
    assert admin.driver.find_element("tag name", "html").get_attribute("lang") == "de"
    admin.open(f"/administration/jobs/{job['id']}?ln=de")
    admin.wait(lambda: "Jetzt starten" in admin.text(".jobs-page-actions"), "German")
    assert "Dieser Job ist noch nicht gelaufen." in admin.text(".jobs-no-runs")
    admin.screenshot("job-page-german")
    # The server's words too (the page title comes from the Python catalog).
    admin.open(f"/administration/jobs/{job['id']}/edit?ln=de")
    assert admin.driver.title.startswith("Job bearbeiten")
    assert admin.text(".jobs-form-page h1") == "Job bearbeiten"


def test_pages_are_refused_to_non_administrators(chromium, client, users):
    """A logged-in user without administration access gets 403 everywhere."""
    job = make_job(title="Secret")
    paths = [
        "/administration/jobs",
        "/administration/jobs/new",
        f"/administration/jobs/{job['id']}",
        f"/administration/jobs/{job['id']}/edit",
        f"/administration/jobs/{job['id']}/runs/{uuid.uuid4()}",
    ]
    for path in paths:
        assert client.get(path).status_code in (302, 401, 403), path
    chromium.login("user@example.org", "user-pass")
    for path in paths:
        chromium.open(path)
        assert not chromium.find_all("#invenio-jobs-app")
        assert "Secret" not in chromium.driver.page_source
    chromium.open(paths[0])
    chromium.screenshot("jobs-list-refused")
    from invenio_accounts.testutils import login_user_via_session

    login_user_via_session(client, email="user@example.org")
    for path in paths:
        assert client.get(path).status_code == 403, path


def run_status(job_id):
    """The status of the job's newest run, read in a fresh transaction."""
    runs = runs_of(job_id)
    return runs[0].status if runs else None


def save_new_job(admin, title, job_type):
    """Fill the create form's title and job type; the caller saves."""
    admin.type("#job-title", title)
    admin.choose("#job-task", job_type)


def saved_job_id(admin):
    """The id of the job the form saved, from the job page it went to."""
    admin.wait(lambda: "/create" not in admin.driver.current_url, "saved")
    admin.find(".jobs-job-title")
    return admin.driver.current_url.rstrip("/").split("/")[-1]


def test_job_type_without_arguments_schema_is_created_and_run(admin, start_worker):
    """A type made with ``arguments_schema=None``: no form, no error, SUCCESS.

    The create form is opened at InvenioRDM's address, ``/jobs/create``.
    """
    start_worker()
    admin.open("/administration/jobs/create")
    save_new_job(admin, "Lift embargoes", "No schema")
    admin.find(".jobs-arguments-segment .jobs-no-arguments")
    assert not admin.find_all(".jobs-arguments-segment [id^=argument-]")
    admin.click(".jobs-save")
    job_id = saved_job_id(admin)
    assert db_job(job_id).task == "no_schema"

    admin.click(".jobs-run-now")
    admin.find(".jobs-run-modal .jobs-no-arguments")
    assert not admin.find_all(".jobs-run-modal .ui.error.message")
    admin.click(".jobs-run-confirm")
    run = admin.wait(lambda: runs_of(job_id), "a run")[0]
    admin.wait(lambda: row_status(admin, run.id) == "SUCCESS", "SUCCESS", 60)
    assert run_status(job_id) == RunStatusEnum.SUCCESS
    assert admin.errors() == []


def test_seed_export_records_runs_with_serializer_set(admin, start_worker):
    """The documentation's ``ExportRecords``: ``serializer`` set in the admin UI.

    Its schema does not declare ``serializer`` (a trailing comma makes it a
    tuple), so the form sets it under "Other arguments"; the task receives
    ``since`` and ``serializer``. The run is then opened at InvenioRDM's run
    address, ``/administration/runs/<run_id>``.
    """
    start_worker()
    admin.open("/administration/jobs/create")
    save_new_job(admin, "Export to JSON", "Export records")
    admin.find("#argument-since")
    admin.click(".jobs-extra-arguments-open")
    admin.type("#arguments-extra", "[1, 2]")
    admin.click(".jobs-save")
    admin.find(".jobs-form-error")
    assert "Other arguments must be a JSON object." in admin.text(".jobs-form-error")
    admin.type("#arguments-extra", '{"serializer": "json"}')
    admin.wait(lambda: not admin.find_all(".jobs-form-error"), "error gone")
    admin.screenshot("job-create-other-arguments")
    admin.click(".jobs-save")
    job_id = saved_job_id(admin)
    assert db_job(job_id).run_args.get("serializer") == "json"

    admin.click(".jobs-run-now")
    extra = admin.find(".jobs-run-modal #arguments-extra")
    assert json.loads(extra.get_attribute("value")) == {"serializer": "json"}
    admin.click(".jobs-run-confirm")
    run = admin.wait(lambda: runs_of(job_id), "a run")[0]
    admin.wait(lambda: row_status(admin, run.id) == "SUCCESS", "SUCCESS", 60)
    run = runs_of(job_id)[0]
    assert run.status == RunStatusEnum.SUCCESS
    assert run.args["serializer"] == "json"

    admin.open(f"/administration/runs/{run.id}")
    status = admin.find(".jobs-run-title .jobs-status")
    assert status.get_attribute("data-status") == "SUCCESS"
    admin.wait(
        lambda: any(
            "serializer=json" in line.text and "since=" in line.text
            for line in admin.find_all(".jobs-log-line")
        ),
        "the task's line with since and serializer",
        30,
    )
    assert json.loads(admin.text(".jobs-run-args"))["serializer"] == "json"
    admin.screenshot("run-page-inveniordm-address")
    assert admin.errors() == []


def test_a_job_of_a_removed_job_type_is_marked_not_available(admin):
    """The list and the job page say its type is gone, and why."""
    job = make_job(title="Orphan")
    db.session.execute(
        sa.update(Job).where(Job.id == uuid.UUID(job["id"])).values(task="vanished")
    )
    db.session.commit()
    admin.open("/administration/jobs")
    row = f".jobs-row[data-job-id='{job['id']}']"
    admin.wait(
        lambda: "Job type not available" in admin.find(row).text, "label in the list"
    )
    admin.open(f"/administration/jobs/{job['id']}")
    admin.wait(
        lambda: "is not registered (was it removed or renamed?)"
        in admin.find(".jobs-task-unavailable").text,
        "reason on the job page",
    )
    admin.screenshot("job-type-not-available")


def test_last_run_of_a_queued_and_a_running_run_in_the_list(admin):
    """A queued last run: its badge's glyph, and "by admin" without a "-".

    A running one shows how long it has run so far, and what started it.
    """
    from admin_fixtures import number_stored
    from invenio_accounts.models import User

    queued_job = make_job(title="Queued last")
    running_job = make_job(title="Running last")
    now = datetime.now(timezone.utc)
    runs = [
        Run(job_id=queued_job["id"], status=RunStatusEnum.QUEUED, trigger="manual"),
        Run(job_id=running_job["id"], status=RunStatusEnum.RUNNING),
    ]
    runs[0].started_by_id = db.session.scalar(
        sa.select(User.id).where(User.email == "admin@example.org")
    )
    runs[1].trigger = "scheduled"
    runs[1].started_at = now - timedelta(seconds=90)
    for run in runs:
        run.args, run.queue = {}, "celery"
    db.session.add_all(number_stored(runs))
    db.session.commit()

    admin.open("/administration/jobs")
    queued = f".jobs-row[data-job-id='{queued_job['id']}']"
    admin.find(f"{queued} .jobs-status[data-status=QUEUED]")
    assert admin.text(f"{queued} .jobs-status") == "Queued"
    assert admin.text(f"{queued} .jobs-last-run-note") == "by admin"
    # The badge's icon is one of the loaded icon font's glyphs.
    glyph = admin.driver.execute_script(
        """
        const icon = document.querySelector(arguments[0]);
        const before = getComputedStyle(icon, "::before");
        const family = before.fontFamily.replace(/["']/g, "");
        const loaded = [...document.fonts].some(
          (face) => face.family.replace(/["']/g, "") === family
                    && face.status === "loaded");
        return [icon.className, before.content, family, loaded];
        """,
        f"{queued} .jobs-status i.icon",
    )
    assert "hourglass" in glyph[0] and glyph[1] not in ("none", '""'), glyph
    assert glyph[3], f"the font {glyph[2]} of the queued icon is not loaded"

    running = f".jobs-row[data-job-id='{running_job['id']}']"
    note = admin.text(f"{running} .jobs-last-run-note")
    assert note.startswith("1 min ") and note.endswith(" · scheduled"), note
    assert "-" not in note
    assert admin.errors() == []
