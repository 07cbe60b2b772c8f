# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run as the API reads it, and the body of "run now"."""

import sqlalchemy as sa
from invenio_db import db
from invenio_i18n import lazy_gettext
from marshmallow import RAISE, Schema, fields, post_load, validate

from ...models import Job, Run
from .fields import parse_custom_args, validate_queue

SYSTEM_STARTER = {
    "id": "system",
    "is_ghost": True,
    "username": "System",
    "email": "noreply@inveniosoftware.org",
    "profile": {"full_name": "System"},
}
"""Who started a run the system started, in InvenioRDM's system user shape."""


def _iso(value):
    return value.isoformat() if value is not None else None


def dump_user(user, identity=None) -> dict:
    """A user as InvenioRDM dumps who started a run (invenio-users-resources' shape).

    Read from the user row loaded with the run, so that it costs no query.
    """
    preferences = dict(user.preferences or {})
    preferences.setdefault("visibility", "restricted")
    preferences.setdefault("email_visibility", "restricted")
    identity_id = getattr(identity, "id", None)
    return {
        "id": str(user.id),
        "username": user.username,
        "email": user.email,
        "active": bool(user.active),
        "confirmed": user.confirmed_at is not None,
        "verified": user.verified_at is not None,
        "blocked": user.blocked_at is not None,
        "confirmed_at": _iso(user.confirmed_at),
        "verified_at": _iso(user.verified_at),
        "blocked_at": _iso(user.blocked_at),
        "visibility": preferences["visibility"],
        "domain": user.domain,
        "profile": dict(user.user_profile or {}),
        "preferences": preferences,
        "identities": {},
        "is_current_user": identity_id is not None and str(identity_id) == str(user.id),
        "created": _iso(user.created),
        "updated": _iso(user.updated),
    }


def started_by_of(run, identity=None) -> dict:
    """Who started a run: the user, or the system user, in InvenioRDM's shapes."""
    user = run.started_by
    if user is None:
        return dict(SYSTEM_STARTER)
    return dump_user(user, identity)


class RunSchema(Schema):
    """A run, as read through the API.

    ``subtasks`` (InvenioRDM's list of a run's subtasks) is added by the
    service, bounded, so that a run with thousands of them stays cheap; so
    is ``started_by``'s ``is_current_user``, which depends on the reader.
    """

    id = fields.UUID(dump_only=True)
    job_id = fields.UUID(dump_only=True)
    parent_run_id = fields.UUID(dump_only=True, allow_none=True)
    status = fields.Function(lambda run: run.status.name, dump_only=True)
    title = fields.String(allow_none=True)
    args = fields.Dict()
    queue = fields.String()
    task_id = fields.String(dump_only=True, allow_none=True)
    started_by_id = fields.Integer(dump_only=True, allow_none=True)
    started_by = fields.Method("_started_by", dump_only=True)
    # The service account the run executed as; null: as who started it.
    run_as = fields.Method("_run_as", dump_only=True)
    scheduled_at = fields.DateTime(dump_only=True, allow_none=True)
    trigger = fields.String(dump_only=True)
    after_run_id = fields.UUID(dump_only=True, allow_none=True)
    after = fields.Method("_after", dump_only=True)
    number = fields.Integer(dump_only=True, allow_none=True)
    attempt = fields.Integer(dump_only=True)
    created = fields.DateTime(dump_only=True)
    updated = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
    duration = fields.Method("_duration", dump_only=True)
    message = fields.String(dump_only=True, allow_none=True)
    total_entries = fields.Integer(dump_only=True, allow_none=True)
    inserted_entries = fields.Integer(dump_only=True)
    updated_entries = fields.Integer(dump_only=True)
    errored_entries = fields.Integer(dump_only=True)
    total_subtasks = fields.Integer(dump_only=True)
    completed_subtasks = fields.Integer(dump_only=True)
    failed_subtasks = fields.Integer(dump_only=True)
    subtasks_closed = fields.Boolean(dump_only=True)

    def _started_by(self, run):
        return started_by_of(run)

    def _run_as(self, run):
        user = run.run_as
        return None if user is None else {"id": str(user.id), "email": user.email}

    def _after(self, run):
        """The run whose end started this one: its number and job ("#42 of ...")."""
        if run.after_run_id is None:
            return None
        row = db.session.execute(
            sa.select(Run.number, Run.job_id, Job.title)
            .join(Job, Job.id == Run.job_id)
            .where(Run.id == run.after_run_id)
        ).first()
        if row is None:
            return None
        return {
            "run_id": str(run.after_run_id),
            "number": row.number,
            "job_id": str(row.job_id),
            "job_title": row.title,
        }

    def _duration(self, run):
        duration = run.duration
        return None if duration is None else round(duration.total_seconds(), 3)


AT_EXAMPLE = lazy_gettext(
    "Give a date and time with its zone, such as 2030-01-31T02:00:00+01:00."
)
"""The error of an ``at`` that is not an ISO time with its zone."""


class RunCreateSchema(Schema):
    """What "run now" accepts: a title, the arguments, a queue, and when.

    ``at`` (an ISO time with its zone) asks for the run at that time
    instead of now; the service checks that it lies ahead, within
    ``JOBS_RUN_AT_MAX_DAYS``.
    """

    class Meta:
        """Refuse unknown fields."""

        unknown = RAISE

    title = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=255)
    )
    args = fields.Dict(allow_none=True, load_default=None)
    queue = fields.String(allow_none=True, load_default=None, validate=validate_queue)
    # InvenioRDM's "custom args" of its run form: the task's arguments
    # verbatim, as JSON text (or an object).
    custom_args = fields.Raw(allow_none=True, load_default=None)
    at = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        error_messages={
            "invalid": AT_EXAMPLE,
            "invalid_awareness": AT_EXAMPLE,
            "format": AT_EXAMPLE,
        },
    )

    @post_load
    def _custom_args(self, data, **kwargs):
        """Parse ``custom_args``; None when empty."""
        data["custom_args"] = parse_custom_args(data.get("custom_args"))
        return data
