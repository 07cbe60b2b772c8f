# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Telling a job's subscribers that a run ended: the e-mail and what decides it.

The Celery task that sends the e-mail is declared in ``tasks.py`` under
InvenioRDM's name; it is found by that name here, so that a run's end
imports no task module.
"""

import uuid

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from ..models import Job, Run
from .dispatch import task_named
from .recipients import admin_run_url, curator_run_url, curators_among

logger = get_task_logger(__name__)

SEND_NOTIFICATION = "invenio_jobs.tasks.send_run_notification"
"""The Celery task that e-mails a run's end (InvenioRDM's name)."""


NOT_READ = object()
"""A job's notification settings that the caller has not read."""


def notify_run_end(run_id, status=None, notifications=NOT_READ):
    """Send the job's notification email when the run ended in a status it watches.

    ``status`` and ``notifications`` (the job's settings), when the caller
    knows them for a top-level run, spare reading them.
    """
    if status is None or notifications is NOT_READ:
        row = db.session.execute(
            sa.select(Run.status, Job.notifications)
            .join(Job, Job.id == Run.job_id)
            .where(Run.id == run_id, Run.parent_run_id.is_(None))
        ).first()
        if row is None:
            return
        status, notifications = row
    notifications = notifications or {}
    if notifications.get("emails") and status.name in (
        notifications.get("statuses") or []
    ):
        try:
            task_named(SEND_NOTIFICATION).delay(str(run_id))
        except Exception:  # noqa: BLE001 -- a notification never fails a run
            logger.warning("Could not send notification of %s", run_id, exc_info=True)


STATUS_COLORS = {
    "SUCCESS": "#21ba45",
    "FAILED": "#db2828",
    "PARTIAL_SUCCESS": "#f2711c",
    "CANCELLED": "#767676",
}
"""The colour of each ending in the notification e-mails (grey for others)."""


def status_info(job, run) -> dict:
    """The words and colour of a run's end, as the e-mail templates read them."""
    from invenio_i18n import gettext as _

    title, status = job.title, run.status.name
    headings = {
        "SUCCESS": _("Job completed"),
        "FAILED": _("Job failed"),
        "PARTIAL_SUCCESS": _("Job completed with errors"),
        "CANCELLED": _("Job stopped"),
    }
    messages = {
        "SUCCESS": _("The job '%(title)s' ran to the end without errors."),
        "FAILED": _("The job '%(title)s' stopped with an error."),
        "PARTIAL_SUCCESS": _("The job '%(title)s' ended, but some entries failed."),
        "CANCELLED": _("The job '%(title)s' was stopped before it ended."),
    }
    actions = {
        "SUCCESS": _("Open the run to see what it did."),
        "FAILED": _("Open the run to read the error and its log."),
        "PARTIAL_SUCCESS": _("Open the run to see which entries failed."),
        "CANCELLED": _("Open the run to see how far it got."),
    }
    heading = headings.get(status) or _("Job ended: %(status)s", status=status)
    message = messages.get(status) or _("The job '%(title)s' ended as %(status)s.")
    return {
        "title": heading,
        "summary": f"{heading}: {title}",
        "user_message": message % {"title": title, "status": status},
        "action": actions.get(status) or _("Open the run for the details."),
        "color": STATUS_COLORS.get(status, "#767676"),
    }


def email_templates():
    """The app's templates, then the package's: the API app has no UI blueprint."""
    from jinja2 import ChoiceLoader, PackageLoader

    env = current_app.jinja_env
    package = PackageLoader("invenio_jobs", "templates/semantic-ui")
    return env.overlay(loader=ChoiceLoader([env.loader, package]))


def send_notification(run_id):
    """Email the job's subscribers that a run ended, with a link to it.

    The body comes from ``invenio_jobs/emails/run_notification.html`` and
    ``.txt`` (InvenioRDM's names, which instances override), with
    InvenioRDM's context: ``job``, ``run``, ``status_info``, ``run_url``,
    ``success_count`` and ``config``. Administrators, and addresses of no
    user, get the link to the admin page; users who are not administrators
    get their own e-mail, with the link to the curator page
    (:mod:`.recipients`).
    """
    run = db.session.get(Run, uuid.UUID(str(run_id)))
    if run is None:
        return
    job = run.job
    info = status_info(job, run)
    success_count = None
    if run.status.name == "PARTIAL_SUCCESS" and run.total_entries:
        success_count = max(run.total_entries - (run.errored_entries or 0), 0)
    recipients = list(job.notification_emails)
    curators = curators_among(recipients)
    admins = [email for email in recipients if email.lower() not in curators]
    others = [email for email in recipients if email.lower() in curators]
    for group, run_url in (
        (admins, admin_run_url(run)),
        (others, curator_run_url(run)),
    ):
        if group:
            _send(job, run, info, success_count, group, run_url)


def _send(job, run, info, success_count, recipients, run_url):
    """One e-mail of a run's end to ``recipients``, linking to ``run_url``."""
    from flask_mail import Message

    context = {
        "job": job,
        "run": run,
        "status_info": info,
        "status_color": info["color"],
        "title": info["title"],
        "run_url": run_url,
        "success_count": success_count,
        "config": current_app.config,
    }
    templates = email_templates()
    html = templates.get_template("invenio_jobs/emails/run_notification.html")
    text = templates.get_template("invenio_jobs/emails/run_notification.txt")
    message = Message(
        subject=f"[{run.status.name}] {job.title}: {run.title or job.title}",
        recipients=recipients,
        body=text.render(context),
        html=html.render(context),
        sender=current_app.config["JOBS_NOTIFICATIONS_SENDER"]
        or current_app.config.get("MAIL_DEFAULT_SENDER"),
    )
    current_app.extensions["mail"].send(message)
