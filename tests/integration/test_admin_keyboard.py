# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages with the keyboard only: Tab, Shift+Tab, Enter and Esc."""

from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from invenio_access.permissions import system_identity
from page_checks import focus_is_inside, press, tab_to, wait_for_focus
from selenium.webdriver.common.keys import Keys

from invenio_jobs.models import RunStatusEnum
from invenio_jobs.proxies import current_runs_service


def row(job, css=""):
    """A selector inside the list's row of ``job``."""
    return f".jobs-row[data-job-id='{job['id']}'] {css}".strip()


def focus_stays_in_the_dialog(admin, dialog, opener, tabs):
    """The open ``dialog`` has the focus and keeps it over ``tabs`` Tabs and a
    Shift+Tab; Esc closes it and gives the focus back to ``opener``."""
    admin.wait(lambda: focus_is_inside(admin, dialog), "focus in the dialog")
    for _ in range(tabs):
        press(admin, Keys.TAB)
        assert focus_is_inside(admin, dialog)
    press(admin, Keys.SHIFT, Keys.TAB)
    assert focus_is_inside(admin, dialog)

    press(admin, Keys.ESCAPE)
    admin.wait(lambda: not admin.find_all(dialog), "dialog closed")
    wait_for_focus(admin, opener, f"focus back on {opener}")


def test_run_now_dialog_takes_the_focus_and_gives_it_back(admin):
    """Enter opens the dialog with the focus in it; Tab stays in; Esc returns it."""
    job = make_job(title="Keyboard run", run_args={"tag": "keys"})
    admin.open("/administration/jobs")
    admin.find(row(job))
    tab_to(admin, row(job, ".jobs-run-now"))
    press(admin, Keys.ENTER)
    admin.find(".jobs-run-modal #argument-tag")
    focus_stays_in_the_dialog(admin, ".jobs-run-modal", row(job, ".jobs-run-now"), 14)

    # Open it again and start the run from the keyboard.
    press(admin, Keys.ENTER)
    admin.find(".jobs-run-modal #argument-tag")
    tab_to(admin, ".jobs-run-modal .jobs-run-confirm")
    press(admin, Keys.ENTER)
    admin.wait(lambda: runs_of(job["id"]), "a run")
    admin.wait(lambda: not admin.find_all(".jobs-run-modal"), "dialog closed")


def test_stop_a_run_with_the_keyboard(admin):
    """Stop on the run page is reached with Tab and pressed with Enter."""
    job = make_job(title="Keyboard stop")
    run = current_runs_service.create(system_identity, job["id"], {"args": {}})

    admin.open(f"/administration/jobs/{job['id']}/runs/{run.id}")
    admin.find(".jobs-stop")
    tab_to(admin, ".jobs-stop")
    press(admin, Keys.ENTER)
    # A confirmation, when the page asks for one, is answered with Enter too.
    if admin.wait(
        lambda: admin.find_all(".ui.modal")
        or runs_of(job["id"])[0].status
        in (RunStatusEnum.CANCELLING, RunStatusEnum.CANCELLED),
        "a confirmation or the stop",
    ) and admin.find_all(".ui.modal"):
        tab_to(admin, ".ui.modal .ui.button.red, .ui.modal .ui.button.negative")
        press(admin, Keys.ENTER)
    admin.wait(
        lambda: runs_of(job["id"])[0].status
        in (RunStatusEnum.CANCELLING, RunStatusEnum.CANCELLED),
        "run stopped",
    )


def test_delete_asks_and_enter_confirms(admin):
    """Delete opens its confirmation with the focus on it; Enter deletes."""
    job = make_job(title="Keyboard delete")
    admin.open("/administration/jobs")
    tab_to(admin, row(job, ".jobs-delete"))
    press(admin, Keys.ENTER)
    admin.find(".jobs-delete-modal")
    wait_for_focus(admin, ".jobs-delete-confirm", "focus on the confirmation")
    press(admin, Keys.ENTER)
    admin.wait(lambda: db_job(job["id"]) is None, "job deleted")
    admin.wait(lambda: not admin.find_all(row(job)), "row gone")


def test_deactivate_asks_and_says_what_it_did(admin):
    """Deactivate asks first (Esc keeps the job active), then reports it."""
    job = make_job(title="Keyboard pause", schedule={"type": "interval", "hours": 1})
    admin.open("/administration/jobs")
    tab_to(admin, row(job, ".jobs-toggle"))
    press(admin, Keys.ENTER)
    admin.find(".jobs-deactivate-modal")
    press(admin, Keys.ESCAPE)
    admin.wait(lambda: not admin.find_all(".jobs-deactivate-modal"), "closed")
    assert db_job(job["id"]).active is True

    press(admin, Keys.ENTER)
    admin.find(".jobs-deactivate-modal")
    wait_for_focus(admin, ".jobs-deactivate-confirm", "focus on the confirmation")
    press(admin, Keys.ENTER)
    admin.wait(lambda: db_job(job["id"]).active is False, "deactivated")
    notice = admin.text(".jobs-notice")
    assert "Keyboard pause" in notice and "deactivated" in notice


def test_fill_and_save_a_job_with_the_keyboard(admin):
    """Title, job type, its argument and Save, with Tab, typing and Enter."""
    admin.open("/administration/jobs/new")
    admin.find("#job-title")
    tab_to(admin, "#job-title")
    press(admin, "Typed job")
    tab_to(admin, "#job-task input.search")
    press(admin, "Echo")
    press(admin, Keys.ENTER)
    admin.find("#argument-message")
    tab_to(admin, "#argument-message")
    press(admin, "hello")
    tab_to(admin, ".jobs-save")
    press(admin, Keys.ENTER)
    admin.wait(lambda: "/new" not in admin.driver.current_url, "saved")
    job_id = (
        admin.find(".jobs-job-title")
        and admin.driver.current_url.rstrip("/").split("/")[-1]
    )
    job = db_job(job_id)
    assert job.title == "Typed job" and job.task == "mock_echo"
    assert job.run_args["message"] == "hello"


def test_run_again_dialog_takes_the_focus_and_gives_it_back(admin):
    """Run again asks in the shared dialog: focus in, Tab kept inside, Esc returns it.

    Enter on its button then starts the new run and opens its page.
    """
    from invenio_db import db

    from invenio_jobs.models import Run

    job = make_job(title="Keyboard again")
    item = current_runs_service.create(system_identity, job["id"], {"args": {}})
    done = db.session.get(Run, item.id)
    done.status = RunStatusEnum.SUCCESS
    db.session.commit()

    admin.open(f"/administration/jobs/{job['id']}/runs/{item.id}")
    admin.find(".jobs-run-again")
    tab_to(admin, ".jobs-run-again")
    press(admin, Keys.ENTER)
    admin.find(".jobs-run-again-modal")
    wait_for_focus(admin, ".jobs-run-again-confirm", "focus on the confirmation")
    focus_stays_in_the_dialog(admin, ".jobs-run-again-modal", ".jobs-run-again", 6)
    assert len(runs_of(job["id"])) == 1

    press(admin, Keys.ENTER)
    admin.find(".jobs-run-again-modal")
    wait_for_focus(admin, ".jobs-run-again-confirm", "focus on the confirmation")
    press(admin, Keys.ENTER)
    admin.wait(lambda: len(runs_of(job["id"])) == 2, "a second run")
    admin.wait(
        lambda: str(item.id) not in admin.driver.current_url, "the new run's page"
    )
