# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run once at a chosen time: "Run later at ...".

Such a run is born QUEUED with its chosen time as ``scheduled_at`` and
``due_at``, and is not sent: it waits in the database, as a retry waits,
until the beat's look takes it (:func:`lifecycle.take_due`). So a beat
restarted meanwhile loses nothing, several beats send it once, and a stop
before its time cancels it as any queued run.
"""

from datetime import timedelta, timezone

from flask import current_app
from invenio_db import db
from invenio_i18n import gettext as _
from marshmallow import ValidationError

from .. import lifecycle
from ..database import one_statement
from ..models import utcnow


def chosen_time(at):
    """The time a run is asked for, in UTC, checked; None for a run now.

    It must lie ahead, and at most ``JOBS_RUN_AT_MAX_DAYS`` ahead.
    """
    if at is None:
        return None
    at = at.astimezone(timezone.utc)
    now = utcnow()
    if at <= now:
        raise ValidationError({"at": [_("Choose a time in the future.")]})
    days = current_app.config["JOBS_RUN_AT_MAX_DAYS"]
    if at > now + timedelta(days=days):
        message = _("Choose a time at most %(days)s days ahead.", days=days)
        raise ValidationError({"at": [message]})
    return at


def queue_timed_run(queued: dict, at, alone: bool):
    """Insert a :func:`lifecycle.queued_run` that waits until ``at``; the run.

    Nothing is sent now. ``alone``: the INSERT is its own autocommit
    statement (no transaction around it). A second run of the job for the
    same instant is refused, naming ``at``.
    """
    queued.update(scheduled_at=at, due_at=at)

    def insert(connection=None):
        return lifecycle.insert_timed_run(queued, db.session, connection)

    run = one_statement(db.engine, insert) if alone else insert()
    if run is None:
        message = _("A run of this job is already set for this time.")
        raise ValidationError({"at": [message]})
    return run
