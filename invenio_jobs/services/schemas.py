# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Marshmallow schemas: what clients may send, and what they get back.

Loading validates everything a client can type and names the field that is
wrong; dumping gives the InvenioRDM JSON shape of jobs and runs.
"""

import json
import uuid

from flask import current_app
from invenio_i18n import gettext as _
from invenio_i18n import lazy_gettext
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from ..errors import InvalidScheduleError
from ..jobs import CUSTOM_ARGUMENTS, normalise_arguments
from ..models import RunStatusEnum, RunTrigger
from ..proxies import current_jobs
from ..schedules import INTERVAL_UNITS, MISFIRE_POLICIES, describe, validate_schedule
from .arguments import describe_schema
from .base import current_language

MAX_PAGE_SIZE = 1000
"""Largest page a client may ask for."""

MAX_PAGE = 1_000_000
"""Highest page number: beyond it, offsets would overflow the database."""

MAX_TIMEOUT = 30 * 24 * 3600
"""Longest timeout of a job, in seconds (30 days); the column is a 32-bit integer."""

MAX_LOG_ID = 2**63 - 1
"""Largest log line id (a big integer): larger cursors are refused, not sent."""


def _queue_names():
    return list(current_app.config["JOBS_QUEUES"])


def validate_queue(value):
    """Refuse queues no worker is configured to consume."""
    if value is not None and value not in _queue_names():
        raise ValidationError(
            _(
                "Queue: '%(queue)s' is not a queue of this site; choose one of "
                "%(queues)s.",
                queue=value,
                queues=", ".join(_queue_names()),
            )
        )


def _interval_units():
    """The interval units in the reader's language, for messages."""
    return {
        "weeks": _("weeks"),
        "days": _("days"),
        "hours": _("hours"),
        "minutes": _("minutes"),
        "seconds": _("seconds"),
        "milliseconds": _("milliseconds"),
        "microseconds": _("microseconds"),
    }


def schedule_error_message(error: InvalidScheduleError, value: dict) -> str:
    """A schedule's error in the reader's language, naming the field and the fix.

    ``schedules`` knows no languages: its messages are English, each with
    its catalog entry and values, looked up here. The most common mistake,
    an interval of zero or less, is worded here again.
    """
    number = value.get(error.field)
    if (
        error.field in INTERVAL_UNITS
        and isinstance(number, (int, float))
        and not isinstance(number, bool)
        and not number > 0
    ):
        return _(
            "Every: give a number of %(unit)s greater than 0, not %(value)s.",
            unit=_interval_units()[error.field],
            value=number,
        )
    return _(error.template, **error.params)


class ScheduleField(fields.Field):
    """A job's schedule: a crontab or an interval, checked by ``schedules``.

    It loads as the compiled schedule, so that the service that stores it
    (its ``data``) and computes its fire times parses it only here.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValidationError(_("Not a valid schedule: expected an object."))
        try:
            return validate_schedule(
                value, default_timezone=current_app.config["JOBS_SCHEDULER_TIMEZONE"]
            )
        except InvalidScheduleError as error:
            message = schedule_error_message(error, value)
            raise ValidationError({error.field: [message]}) from error

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def parse_custom_args(value) -> dict | None:
    """``custom_args`` as InvenioRDM's admin form sends it: a JSON object or text.

    Empty (None, "", "{}") is None: no custom arguments.
    """
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValidationError(
                {CUSTOM_ARGUMENTS: [_("Not valid JSON: %(error)s", error=error)]}
            ) from None
    if not isinstance(value, dict):
        raise ValidationError({CUSTOM_ARGUMENTS: [_("Give a JSON object.")]})
    return value or None


def load_task_arguments(job_type, args: dict | None) -> dict:
    """Validate a run's arguments with the job type's schema; return them as JSON.

    ``custom_args`` may come as JSON text, as InvenioRDM's form sends it;
    the rest is the job type's own normalisation (see
    :func:`invenio_jobs.jobs.normalise_arguments`).
    """
    args = dict(args or {})
    if CUSTOM_ARGUMENTS in args:
        args[CUSTOM_ARGUMENTS] = parse_custom_args(args[CUSTOM_ARGUMENTS])
    return normalise_arguments(job_type, args)


def _task_errors(exc: ValidationError, key: str, job_type=None) -> ValidationError:
    """A job type's argument errors under ``key``, each naming its field.

    The form shows them under the fields; the field's label starts each
    message, so that the text still says which field is meant in a list.
    """
    messages = _translated(exc.normalized_messages())
    schema = getattr(job_type, "arguments_schema", None)
    if schema is not None and isinstance(messages, dict):
        titles = {entry["name"]: entry["title"] for entry in describe_schema(schema)}
        messages = {
            name: (
                [f"{titles[name]}: {text}" for text in value]
                if name in titles and isinstance(value, list)
                else value
            )
            for name, value in messages.items()
        }
    return ValidationError({key: messages})


def _generic_messages():
    """Marshmallow's default messages, reworded to say what to type instead."""
    return {
        "Missing data for required field.": _("required: give a value."),
        "Field may not be null.": _("required: give a value."),
        "Not a valid integer.": _("give a whole number."),
        "Not a valid number.": _("give a number."),
        "Not a valid boolean.": _("choose yes or no."),
        "Not a valid string.": _("give a text."),
        "Not a valid list.": _("give a list of values."),
        "Not a valid datetime.": _(
            "give a date and time like 2026-01-31T02:00:00+00:00."
        ),
        "Not a valid date.": _("give a date like 2026-01-31."),
    }


def _translated(messages, generic=None):
    """Marshmallow's own messages (a job type's schema) through the catalog."""
    generic = generic if generic is not None else _generic_messages()
    if isinstance(messages, dict):
        return {k: _translated(value, generic) for k, value in messages.items()}
    if isinstance(messages, list):
        return [_translated(value, generic) for value in messages]
    if isinstance(messages, str) and messages:
        return generic.get(messages) or _(messages)
    return messages


class NotificationEmail(fields.Email):
    """An address to notify; a wrong one is named in its message."""

    default_error_messages = {
        "invalid": lazy_gettext(
            "Email addresses: '{input}' is not an email address; write it like "
            "name@example.org."
        )
    }


EMPTY_AS_NULL = {
    "run_args": dict,
    "notification_emails": list,
    "notification_statuses": list,
}
"""A job's fields that InvenioRDM writes as ``null`` when empty; read back empty."""


class JobSchema(Schema):
    """A job, as created, updated and read through the API."""

    class Meta:
        """Refuse unknown fields: a typo must not be silently dropped."""

        unknown = RAISE

    id = fields.UUID(dump_only=True)
    title = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=255,
            error=lazy_gettext(
                "Title: give the job a title of {min} to {max} characters."
            ),
        ),
        error_messages={
            "required": lazy_gettext("Title: give the job a title."),
            "null": lazy_gettext("Title: give the job a title."),
        },
    )
    description = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    task = fields.String(
        required=True,
        error_messages={
            "required": lazy_gettext("Job type: choose what the job runs."),
            "null": lazy_gettext("Job type: choose what the job runs."),
        },
    )
    default_queue = fields.String(
        allow_none=True,
        load_default=lambda: current_jobs.default_queue,
        validate=validate_queue,
    )
    schedule = ScheduleField(allow_none=True, load_default=None)
    run_args = fields.Dict(load_default=dict, allow_none=True)
    misfire_policy = fields.String(
        load_default="coalesce", validate=validate.OneOf(MISFIRE_POLICIES)
    )
    allow_overlap = fields.Boolean(load_default=False)
    timeout = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_TIMEOUT),
    )
    max_retries = fields.Integer(load_default=0, validate=validate.Range(0, 100))
    notification_emails = fields.List(
        NotificationEmail(), load_default=list, allow_none=True
    )
    notification_statuses = fields.List(
        fields.String(
            validate=validate.OneOf([s.name for s in RunStatusEnum.finished()])
        ),
        load_default=list,
        allow_none=True,
    )

    next_run = fields.DateTime(attribute="next_run_at", dump_only=True)
    schedule_description = fields.Method("_describe_schedule", dump_only=True)
    created = fields.DateTime(dump_only=True)
    updated = fields.DateTime(dump_only=True)
    # InvenioRDM's names: ``args`` is ``run_args`` as its edit form reads it;
    # ``default_args`` (what a run would get, JSON text) is added by the service.
    args = fields.Function(lambda job: job.run_args or {}, dump_only=True)

    @pre_load
    def _inveniordm_arguments(self, data, **kwargs):
        """Take InvenioRDM's admin body: ``args``, ``custom_args``, ``default_args``.

        ``args`` are the run arguments (``job_arg_schema`` inside is its form's
        marker); ``custom_args`` (JSON text) are stored in them, and on an
        update the stored ones are kept when none are given, as InvenioRDM
        does; ``default_args`` is computed, so what a client sends back is
        ignored.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        data.pop("default_args", None)
        for name, empty in EMPTY_AS_NULL.items():
            if name in data and data[name] is None:
                data[name] = empty()
        custom = parse_custom_args(data.pop(CUSTOM_ARGUMENTS, None))
        if "args" in data:
            args = data.pop("args")
            if args is not None and not isinstance(args, dict):
                raise ValidationError({"args": [_("Give a JSON object.")]})
            data["run_args"] = dict(args or {})
            if custom is None:
                custom = (self.context.get("run_args") or {}).get(CUSTOM_ARGUMENTS)
        elif custom is not None and "run_args" not in data:
            data["run_args"] = dict(self.context.get("run_args") or {})
        if custom is not None and isinstance(data.get("run_args"), dict):
            data["run_args"] = {**data["run_args"], CUSTOM_ARGUMENTS: custom}
        return data

    @staticmethod
    def _describe_schedule(job):
        """The schedule in words, as lists show it ("every 4 hours").

        The stored schedule is compiled once here, for its words only.
        """
        return describe(
            job.schedule,
            current_app.config["JOBS_SCHEDULER_TIMEZONE"],
            current_language(),
        )

    @validates_schema(skip_on_field_errors=False)
    def _validate_task_and_arguments(self, data, partial=None, **kwargs):
        """The job type must exist, and the arguments must suit it.

        Checked even when other fields are wrong, so that a form shows all
        its errors on the first save.
        """
        task_id = data.get("task", self.context.get("task"))
        if task_id is None:
            return
        if not task_id:
            raise ValidationError({"task": [_("Job type: choose what the job runs.")]})
        if task_id not in current_jobs.registry:
            raise ValidationError(
                {
                    "task": [
                        _(
                            "Job type: '%(task)s' is not a registered job type; "
                            "choose one of the list.",
                            task=task_id,
                        )
                    ]
                },
            )
        if "run_args" in data or "task" in data:
            args = data.get("run_args", self.context.get("run_args"))
            job_type = current_jobs.registry.get(task_id)
            try:
                load_task_arguments(job_type, args)
            except ValidationError as exc:
                raise _task_errors(exc, "run_args", job_type) from exc

    @post_dump
    def _empty_as_null(self, data, **kwargs):
        """No arguments or notifications is ``null``, as InvenioRDM writes it."""
        for name in EMPTY_AS_NULL:
            if name in data and not data[name]:
                data[name] = None
        return data

    @post_load
    def _normalise_arguments(self, data, **kwargs):
        """Store the arguments in the job type's own normalised form."""
        if "run_args" in data:
            task_id = data.get("task", self.context.get("task"))
            job_type = current_jobs.registry.get(task_id)
            data["run_args"] = load_task_arguments(job_type, data["run_args"])
        return data


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
    scheduled_at = fields.DateTime(dump_only=True, allow_none=True)
    trigger = fields.String(dump_only=True)
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

    def _duration(self, run):
        duration = run.duration
        return None if duration is None else round(duration.total_seconds(), 3)


class RunCreateSchema(Schema):
    """What "run now" accepts: a title, the arguments and a queue."""

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

    @post_load
    def _custom_args(self, data, **kwargs):
        """Parse ``custom_args``; None when empty."""
        data["custom_args"] = parse_custom_args(data.get("custom_args"))
        return data


class SearchParamsSchema(Schema):
    """Paging shared by every list."""

    class Meta:
        """Ignore unknown query string parameters, as browsers add their own."""

        unknown = "exclude"

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    size = fields.Integer(
        load_default=25, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )


JOBS_SORT_KEYS = ("title", "created", "next_run", "last_run_start_time")
JOBS_SORT_KEYS += ("jobs", "user")  # InvenioRDM's: by title; by last run's starter
JOBS_SORT_OPTIONS = JOBS_SORT_KEYS + tuple(f"-{key}" for key in JOBS_SORT_KEYS)

SORT_DIRECTIONS = ("asc", "desc")


def _directed(data: dict) -> dict:
    """Apply InvenioRDM's ``sort_direction`` to a sort key without its own sign."""
    direction = data.pop("sort_direction", None)
    if direction and not data["sort"].startswith("-"):
        data["sort"] = data["sort"] if direction == "asc" else f"-{data['sort']}"
    return data


class JobsSearchParamsSchema(SearchParamsSchema):
    """Query string of the jobs list."""

    q = fields.String(load_default="")
    active = fields.Boolean(load_default=None, allow_none=True)
    sort = fields.String(
        load_default="title", validate=validate.OneOf(JOBS_SORT_OPTIONS)
    )
    sort_direction = fields.String(
        load_default=None, validate=validate.OneOf(SORT_DIRECTIONS)
    )

    @post_load
    def _direction(self, data, **kwargs):
        """``sort_direction=desc`` turns ``title`` into ``-title``."""
        return _directed(data)


RUNS_SORT_OPTIONS = ("-created", "created")
"""``created`` is InvenioRDM's: newest first unless ``sort_direction=asc``."""


class RunsSearchParamsSchema(SearchParamsSchema):
    """Query string of a job's run history.

    Subtasks are left out unless ``include_subtasks`` is true or
    ``parent_run_id`` asks for the subtasks of one run, as InvenioRDM does.
    """

    q = fields.String(load_default="")
    status = fields.List(fields.String(), load_default=list)
    trigger = fields.List(fields.String(), load_default=list)
    sort = fields.String(
        load_default="-created", validate=validate.OneOf(RUNS_SORT_OPTIONS)
    )
    sort_direction = fields.String(
        load_default=None, validate=validate.OneOf(SORT_DIRECTIONS)
    )
    include_subtasks = fields.Boolean(load_default=False)
    parent_run_id = fields.UUID(load_default=None, allow_none=True)

    @post_load
    def _direction(self, data, **kwargs):
        """``created`` is newest first, as InvenioRDM's default direction."""
        if data["sort"] == "created":
            data["sort"] = "-created"
            if data.get("sort_direction") == "asc":
                data["sort"] = "created"
        data.pop("sort_direction", None)
        return data

    @staticmethod
    def _values(data, key, parse, known):
        """Parse a repeated or comma-separated filter; a bad value names ``known``."""
        values = []
        for item in data.get(key) or []:
            for token in str(item).split(","):
                token = token.strip()
                if not token:
                    continue
                try:
                    values.append(parse(token))
                except (KeyError, ValueError):
                    message = _(
                        "Unknown %(field)s '%(token)s'. Use one of: %(known)s.",
                        field=key,
                        token=token,
                        known=", ".join(known),
                    )
                    raise ValidationError({key: [message]}) from None
        data[key] = values
        return data

    @post_load
    def _parse_statuses(self, data, **kwargs):
        """Accept names (FAILED) or letters (F), comma-separated or repeated."""

        def parse(token):
            token = token.upper()
            return RunStatusEnum[token] if len(token) > 1 else RunStatusEnum(token)

        return self._values(data, "status", parse, [s.name for s in RunStatusEnum])

    @post_load
    def _parse_triggers(self, data, **kwargs):
        """Accept trigger words (manual, scheduled ...), comma-separated or repeated."""
        known = [trigger.value for trigger in RunTrigger]
        return self._values(
            data, "trigger", lambda token: RunTrigger(token.lower()), known
        )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def levels_from(level: str | None) -> list[str] | None:
    """The level names at or above ``level`` (None: every level)."""
    if not level:
        return None
    return list(LOG_LEVELS[LOG_LEVELS.index(level) :])


class LogFilterSchema(Schema):
    """What both log readers take: a page size, a least level, a text."""

    class Meta:
        """Ignore unknown parameters."""

        unknown = "exclude"

    size = fields.Integer(load_default=500, validate=validate.Range(1, MAX_PAGE_SIZE))
    level = fields.String(
        load_default=None, validate=validate.OneOf(LOG_LEVELS), allow_none=True
    )
    text = fields.String(load_default="")


class CursorField(fields.Field):
    """``search_after`` as InvenioRDM sends it: ``[value]``, repeated, or bare.

    The value is the ``hits.sort`` of the last line read: here, a line id.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise ValidationError(_("Give the one value of the last hit's sort."))
            value = value[0]
        if isinstance(value, str):
            value = value.strip().strip("[]").strip().strip('"')
        try:
            cursor = int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                _("Not a cursor: give the hits.sort value of the last line.")
            ) from None
        if not 0 <= cursor <= MAX_LOG_ID:
            raise ValidationError(_("Not a cursor: out of range."))
        return cursor


class LogsSearchParamsSchema(LogFilterSchema):
    """Query string of ``/api/logs/jobs``: a run or a job, a cursor, a size.

    Without ``size``, an answer holds up to ``JOBS_LOGS_MAX_RESULTS`` lines,
    as InvenioRDM's; with it, a page of that many lines.
    """

    size = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, MAX_PAGE_SIZE)
    )
    q = fields.String(required=True, validate=validate.Length(min=1))
    search_after = CursorField(load_default=None, allow_none=True)
    sort = fields.String(
        load_default="timestamp", validate=validate.OneOf(["timestamp"])
    )

    @post_load
    def _log_owner(self, data, **kwargs):
        """``q`` is a run id or a job id: bare, quoted, or ``run_id:``/``job_id:``."""
        value = data["q"].strip().strip('"').strip()
        for prefix in ("run_id:", "context.run_id:", "job_id:", "context.job_id:"):
            if value.startswith(prefix):
                value = value[len(prefix) :].strip().strip('"')
                break
        try:
            data["id"] = uuid.UUID(value)
        except ValueError:
            raise ValidationError(
                {"q": [_("Give the id of a run or a job.")]}
            ) from None
        return data


class LogsTailParamsSchema(LogFilterSchema):
    """Query string of a run's log tail: lines after a cursor."""

    after = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=MAX_LOG_ID)
    )
