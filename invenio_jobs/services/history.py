# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The history of every job: who changed what, when, and through what.

Every change to a job (creation, each changed field with its old and new
value, activation, deactivation, run-as, deletion, grants) and every action
on its runs (run now, run again, stop, with the arguments) becomes one entry of
``jobs_job_event``, written in the transaction of the change. Code that
changes jobs elsewhere (grants, imports) records its events with
:func:`record_job_event`. The channel of a change (UI, API, CLI, import) is
the one set with :func:`change_source`, else the request's (the admin pages
say ``ui`` in a header), else ``system``.

The history is read a page at a time, newest first; a deleted job's history
stays, readable by administrators.
"""

import contextlib
import contextvars
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask import has_request_context, request
from invenio_accounts.models import User
from invenio_db import db
from invenio_i18n import gettext as _
from marshmallow import ValidationError

from ..job_events import ChangeSource, JobAction, add_job_event
from ..models import Job, JobEvent
from ..proxies import current_jobs
from .base import parse_uuid, user_id_of
from .errors import JobNotFoundError
from .grants import require_on_job

CLIENT_HEADER = "X-Jobs-Client"
"""The header by which the admin pages say that a change comes from the UI."""

HISTORY_FIELDS = (
    "title",
    "description",
    "task",
    "default_queue",
    "schedule",
    "run_args",
    "notifications",
    "misfire_policy",
    "allow_overlap",
    "timeout",
    "max_retries",
)
"""The fields of a job whose changes the history lists one by one.

``active`` and ``run_as_id`` have entries of their own (activated,
deactivated, run_as_changed).
"""

_source = contextvars.ContextVar("invenio_jobs_change_source", default=None)


@contextlib.contextmanager
def change_source(source):
    """Record the changes made inside as coming through ``source`` (cli, import ...)."""
    token = _source.set(ChangeSource(source))
    try:
        yield
    finally:
        _source.reset(token)


def set_change_source(source):
    """Record the later changes of this context as made through ``source``.

    For the command line, whose commands all come through it. Returns what
    :func:`reset_change_source` takes to end it.
    """
    return _source.set(ChangeSource(source))


def reset_change_source(token):
    """End what :func:`set_change_source` began."""
    _source.reset(token)


def current_change_source() -> ChangeSource:
    """Through what the change being made comes."""
    explicit = _source.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        if request.headers.get(CLIENT_HEADER, "").lower() == ChangeSource.UI:
            return ChangeSource.UI
        return ChangeSource.API
    return ChangeSource.SYSTEM


def as_json(value):
    """A field's value as the history stores it (JSON)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return value


def record_job_event(
    job, action, identity=None, details=None, source=None, user_id=None
) -> JobEvent:
    """Add an entry to a job's history, in the current transaction.

    ``job`` is a :class:`Job` or a job id; ``action`` a :class:`JobAction`
    (or its value, e.g. ``"granted"``); who acted is ``identity`` (or
    ``user_id``; neither: the system); ``details`` a JSON-able dict (for a
    grant: ``{"subject": {...}, "permission": "read"}``); ``source`` a
    :class:`ChangeSource`, by default :func:`current_change_source`. The
    caller commits (or its unit of work does).
    """
    if isinstance(job, Job):
        job_id, title = job.id, job.title
    else:
        job_id, title = uuid.UUID(str(job)), None
        stored = db.session.get(Job, job_id)
        title = stored.title if stored is not None else None
    if user_id is None and identity is not None:
        user_id = user_id_of(identity)
    return add_job_event(
        job_id,
        JobAction(action),
        ChangeSource(source) if source else current_change_source(),
        user_id=user_id,
        job_title=title,
        details=as_json(details) if details else None,
    )


def job_fields(job: Job) -> dict:
    """The values of a job that its history follows, as stored in it."""
    return {
        name: as_json(getattr(job, name))
        for name in (*HISTORY_FIELDS, "active", "run_as_id")
    }


def record_job_changes(job: Job, before: dict, identity):
    """Record what changed in ``job`` since ``before`` (:func:`job_fields`).

    One ``updated`` entry with every changed field (old and new value), and
    one entry for an activation or deactivation, and one for a new run-as
    user; nothing when nothing changed.
    """
    after = job_fields(job)
    changes = {
        name: {"old": before[name], "new": after[name]}
        for name in HISTORY_FIELDS
        if before[name] != after[name]
    }
    if changes:
        record_job_event(job, JobAction.UPDATED, identity, changes)
    if before["active"] != after["active"]:
        action = JobAction.ACTIVATED if after["active"] else JobAction.DEACTIVATED
        record_job_event(job, action, identity)
    if before["run_as_id"] != after["run_as_id"]:
        details = {"run_as": {"old": before["run_as_id"], "new": after["run_as_id"]}}
        record_job_event(job, JobAction.RUN_AS_CHANGED, identity, details)


def record_run_action(identity, job_id, action, run: dict, again_of: dict = None):
    """Record an action on a run (run now, run again, stop) and commit it.

    Called where the action is taken (the REST API, the command line), after
    the runs service did it: ``run`` is the run as the service returned it;
    ``again_of`` the run that was run again (``run_again``).
    """
    details = {"run_id": run.get("id"), "run_number": run.get("number")}
    if action in (JobAction.RUN_STARTED, JobAction.RUN_AGAIN):
        details["args"] = run.get("args")
        details["title"] = run.get("title")
        details["queue"] = run.get("queue")
    if again_of is not None:
        details["source_run_id"] = str(again_of["id"])
        details["source_run_number"] = again_of.get("number")
    record_job_event(job_id, action, identity, details)
    db.session.commit()


HISTORY_MAX_PAGE_SIZE = 100
"""The most entries of a history page."""


def _page_params(params) -> tuple[int, int]:
    """``page`` and ``size`` of a history page, checked (400 naming the field)."""
    values = {}
    for name, default, largest in (
        ("page", 1, None),
        ("size", 25, HISTORY_MAX_PAGE_SIZE),
    ):
        raw = (params or {}).get(name, default)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({name: [_("Give a whole number.")]})
        if value < 1:
            raise ValidationError({name: [_("Give a number of at least 1.")]})
        if largest and value > largest:
            raise ValidationError(
                {name: [_("Give at most %(largest)s.", largest=largest)]}
            )
        values[name] = value
    return values["page"], values["size"]


def read_history(identity, job_id, params=None) -> dict:
    """A page of a job's history, newest first, with who acted by e-mail.

    A job that exists needs ``read_history``; a deleted job's history
    (entries left, no job) needs ``read_deleted_history``; an id with
    neither is not found, and so is a job for someone without a grant on
    it (as every route of a job). Three statements: the job, the count, the page
    (and the users named on it, when any).
    """
    service = current_jobs.jobs_service
    job_uuid = parse_uuid(job_id, JobNotFoundError)
    require_on_job(service, identity, "read_history", job_uuid)
    page, size = _page_params(params)
    job = db.session.get(Job, job_uuid)
    total = db.session.scalar(
        sa.select(sa.func.count()).where(JobEvent.job_id == job_uuid)
    )
    if job is None:
        if not total:
            raise JobNotFoundError(job_id)
        service.require_permission(identity, "read_deleted_history")
    events = db.session.scalars(
        sa.select(JobEvent)
        .where(JobEvent.job_id == job_uuid)
        .order_by(JobEvent.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    emails = _emails_of(
        {event.user_id for event in events}
        | {user for event in events for user in _run_as_users(event)}
    )
    return {
        "job_id": str(job_uuid),
        "job_deleted": job is None,
        "hits": {
            "hits": [_dump_event(event, emails) for event in events],
            "total": total,
        },
        "page": page,
        "size": size,
    }


def _run_as_users(event: JobEvent):
    """The user ids a run-as entry names (old and new)."""
    if event.action != JobAction.RUN_AS_CHANGED or not event.details:
        return []
    change = event.details.get("run_as") or {}
    return [user for user in (change.get("old"), change.get("new")) if user]


def _emails_of(user_ids) -> dict:
    """The e-mail of each user id given, in one statement (none for no ids)."""
    user_ids = {user for user in user_ids if user is not None}
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.email).where(User.id.in_(user_ids))
    )
    return dict(rows.all())


def _dump_event(event: JobEvent, emails: dict) -> dict:
    details = event.details
    if event.action == JobAction.RUN_AS_CHANGED and details:
        change = details.get("run_as") or {}
        details = {
            "run_as": {
                key: (
                    {"id": change.get(key), "email": emails.get(change.get(key))}
                    if change.get(key)
                    else None
                )
                for key in ("old", "new")
            }
        }
    return {
        "id": event.id,
        "job_id": str(event.job_id),
        "job_title": event.job_title,
        "action": event.action,
        "created": event.created.isoformat(),
        "source": event.source,
        "user": (
            {"id": event.user_id, "email": emails.get(event.user_id)}
            if event.user_id is not None
            else None
        ),
        "details": details,
    }
