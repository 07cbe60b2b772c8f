# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A refused job form shows, under each wrong field, its name and the fix."""

import pytest
from admin_fixtures import *  # noqa: F401,F403 (the admin pages' fixtures)
from page_checks import message_under

from invenio_jobs.models import Job


def new_job_form(browser, task="Chatty", title="Checked"):
    """The new job form with a title and, unless None, a job type."""
    browser.open("/administration/jobs/new")
    browser.type("#job-title", title) if title else browser.find("#job-title")
    if task:
        browser.choose("#job-task", task)
        browser.find(".jobs-arguments")


def interval(browser, every):
    """An interval schedule of ``every`` hours."""
    browser.click("input[name=schedule-kind][value=interval] + label")
    browser.type("#schedule-every", str(every))


def save(browser):
    """Press Save and wait for the banner of a refused form."""
    browser.click(".jobs-save")
    return browser.text(".jobs-form-error")


def jobs_count():
    """How many jobs are stored."""
    from invenio_db import db

    db.session.rollback()
    return Job.query.count()


@pytest.mark.parametrize("every", ["0", "-5"])
def test_an_interval_of_zero_or_less_says_so_under_every(admin, every):
    """The preview and the save both put the message under Every."""
    new_job_form(admin)
    interval(admin, every)
    expected = f"Every: give a number of hours greater than 0, not {every}."
    assert message_under(admin, "#schedule-every") == expected
    before = jobs_count()
    assert "see the messages under them" in save(admin)
    assert message_under(admin, "#schedule-every") == expected
    assert jobs_count() == before


def test_an_empty_title_says_to_give_one(admin):
    """An empty title is named with its length."""
    new_job_form(admin, title=None)
    save(admin)
    assert (
        message_under(admin, "#job-title")
        == "Title: give the job a title of 1 to 255 characters."
    )


def test_no_job_type_says_to_choose_one(admin):
    """Without a job type, the message asks to choose what the job runs."""
    new_job_form(admin, task=None)
    save(admin)
    assert message_under(admin, "#job-task") == "Job type: choose what the job runs."


def test_the_bad_email_address_is_named_once(admin):
    """Of two addresses, the wrong one is named, once, with an example."""
    new_job_form(admin)
    admin.type("#job-notification-emails", "ops@example.org, ops-at-home")
    save(admin)
    assert message_under(admin, "#job-notification-emails") == (
        "Email addresses: 'ops-at-home' is not an email address; "
        "write it like name@example.org."
    )


def test_argument_errors_come_on_the_first_save_with_the_others(admin):
    """A bad argument and an empty title are both shown after one save."""
    new_job_form(admin, title=None)
    admin.type("#argument-since", "yesterday")
    admin.type("#argument-lines", "1.5")
    save(admin)
    assert message_under(admin, "#job-title").startswith("Title: ")
    assert message_under(admin, "#argument-since").startswith("Since: give a date")
    assert message_under(admin, "#argument-lines") == "Lines: give a whole number."
