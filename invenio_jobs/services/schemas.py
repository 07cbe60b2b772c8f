# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Marshmallow schemas: what clients may send, and what they get back.

Loading validates everything a client can type and names the field that is
wrong; dumping gives the InvenioRDM JSON shape of jobs and runs.
"""

import uuid

from flask import current_app
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..errors import InvalidScheduleError
from ..jobs import SYSTEM_ARGUMENTS
from ..models import RunStatusEnum
from ..proxies import current_jobs
from ..schedules import MISFIRE_POLICIES, describe, validate_schedule

MAX_PAGE_SIZE = 1000
"""Largest page a client may ask for."""

MAX_PAGE = 1_000_000
"""Highest page number: beyond it, offsets would overflow the database."""

MAX_LOG_ID = 2**63 - 1
"""Largest log line id (a big integer): larger cursors are refused, not sent."""


def _queue_names():
    return list(current_app.config["JOBS_QUEUES"])


def validate_queue(value):
    """Refuse queues no worker is configured to consume."""
    if value is not None and value not in _queue_names():
        raise ValidationError(
            f"Unknown queue '{value}'. Known queues: {', '.join(_queue_names())}."
        )


class ScheduleField(fields.Field):
    """A job's schedule: a crontab or an interval, checked by ``schedules``.

    It loads as the compiled schedule, so that the service that stores it
    (its ``data``) and computes its fire times parses it only here.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValidationError("Not a valid schedule: expected an object.")
        try:
            return validate_schedule(
                value, default_timezone=current_app.config["JOBS_SCHEDULER_TIMEZONE"]
            )
        except InvalidScheduleError as error:
            raise ValidationError({error.field: [error.message]}) from error

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def load_task_arguments(job_type, args: dict | None) -> dict:
    """Validate a run's arguments with the job type's schema; return them as JSON.

    The stored form is the schema's own dump of what it loaded, so that
    dates are normalised and defaults are written down.
    """
    schema = job_type.arguments_schema()
    loaded = schema.load(args or {})
    dumped = schema.dump(loaded)
    for name in SYSTEM_ARGUMENTS:  # markers of the form, not arguments
        dumped.pop(name, None)
    return dumped


def _task_errors(exc: ValidationError, key: str) -> ValidationError:
    return ValidationError({key: exc.normalized_messages()})


class JobSchema(Schema):
    """A job, as created, updated and read through the API."""

    class Meta:
        """Refuse unknown fields: a typo must not be silently dropped."""

        unknown = RAISE

    id = fields.UUID(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    task = fields.String(required=True)
    default_queue = fields.String(
        allow_none=True, load_default=None, validate=validate_queue
    )
    schedule = ScheduleField(allow_none=True, load_default=None)
    run_args = fields.Dict(load_default=dict)
    misfire_policy = fields.String(
        load_default="coalesce", validate=validate.OneOf(MISFIRE_POLICIES)
    )
    allow_overlap = fields.Boolean(load_default=False)
    timeout = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=1)
    )
    max_retries = fields.Integer(load_default=0, validate=validate.Range(0, 100))
    notification_emails = fields.List(fields.Email(), load_default=list)
    notification_statuses = fields.List(
        fields.String(
            validate=validate.OneOf([s.name for s in RunStatusEnum.finished()])
        ),
        load_default=list,
    )

    next_run = fields.DateTime(attribute="next_run_at", dump_only=True)
    schedule_description = fields.Method("_describe_schedule", dump_only=True)
    created = fields.DateTime(dump_only=True)
    updated = fields.DateTime(dump_only=True)

    @staticmethod
    def _describe_schedule(job):
        """The schedule in words, as lists show it ("every 4 hours").

        The stored schedule is compiled once here, for its words only.
        """
        return describe(job.schedule, current_app.config["JOBS_SCHEDULER_TIMEZONE"])

    @validates_schema
    def _validate_task_and_arguments(self, data, partial=None, **kwargs):
        """The job type must exist, and the arguments must suit it."""
        task_id = data.get("task", self.context.get("task"))
        if task_id is None:
            return
        if task_id not in current_jobs.registry:
            raise ValidationError(
                {"task": [f"Unknown job type '{task_id}'."]},
            )
        if "run_args" in data or "task" in data:
            args = data.get("run_args", self.context.get("run_args"))
            try:
                load_task_arguments(current_jobs.registry.get(task_id), args)
            except ValidationError as exc:
                raise _task_errors(exc, "run_args") from exc

    @post_load
    def _normalise_arguments(self, data, **kwargs):
        """Store the arguments in the job type's own normalised form."""
        if "run_args" in data:
            task_id = data.get("task", self.context.get("task"))
            job_type = current_jobs.registry.get(task_id)
            data["run_args"] = load_task_arguments(job_type, data["run_args"])
        return data


class StartedBySchema(Schema):
    """Who started a run: a user, or the system (scheduler, CLI)."""

    id = fields.Raw()
    username = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


SYSTEM_STARTER = {"id": "system", "username": "system", "email": None}


class RunSchema(Schema):
    """A run, as read through the API."""

    id = fields.UUID(dump_only=True)
    job_id = fields.UUID(dump_only=True)
    parent_run_id = fields.UUID(dump_only=True, allow_none=True)
    status = fields.Function(lambda run: run.status.name, dump_only=True)
    title = fields.String(allow_none=True)
    args = fields.Dict()
    queue = fields.String()
    task_id = fields.String(dump_only=True, allow_none=True)
    started_by = fields.Method("_started_by", dump_only=True)
    scheduled_at = fields.DateTime(dump_only=True, allow_none=True)
    trigger = fields.String(dump_only=True)
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

    def _started_by(self, run):
        user = run.started_by
        if user is None:
            return SYSTEM_STARTER
        return StartedBySchema().dump(
            {"id": user.id, "username": user.username, "email": user.email}
        )

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


class SearchParamsSchema(Schema):
    """Paging shared by every list."""

    class Meta:
        """Ignore unknown query string parameters, as browsers add their own."""

        unknown = "exclude"

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    size = fields.Integer(
        load_default=25, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )


JOBS_SORT_OPTIONS = ("title", "-title", "created", "-created", "next_run")
JOBS_SORT_OPTIONS += ("-next_run", "last_run_start_time", "-last_run_start_time")


class JobsSearchParamsSchema(SearchParamsSchema):
    """Query string of the jobs list."""

    q = fields.String(load_default="")
    active = fields.Boolean(load_default=None, allow_none=True)
    sort = fields.String(
        load_default="title", validate=validate.OneOf(JOBS_SORT_OPTIONS)
    )


class RunsSearchParamsSchema(SearchParamsSchema):
    """Query string of a job's run history."""

    status = fields.List(fields.String(), load_default=list)
    sort = fields.String(load_default="-created", validate=validate.OneOf(["-created"]))

    @post_load
    def _parse_statuses(self, data, **kwargs):
        """Accept names (FAILED) or letters (F), comma-separated or repeated."""
        statuses = []
        for item in data.get("status") or []:
            for token in str(item).split(","):
                token = token.strip()
                if not token:
                    continue
                try:
                    statuses.append(
                        RunStatusEnum[token.upper()]
                        if len(token) > 1
                        else RunStatusEnum(token.upper())
                    )
                except (KeyError, ValueError):
                    raise ValidationError(
                        {"status": [f"Unknown status '{token}'."]}
                    ) from None
        data["status"] = statuses
        return data


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


class LogsSearchParamsSchema(LogFilterSchema):
    """Query string of ``/api/logs/jobs``: the run, a cursor, a page size."""

    q = fields.String(required=True, validate=validate.Length(min=1))
    search_after = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=MAX_LOG_ID)
    )

    @post_load
    def _run_id(self, data, **kwargs):
        """``q`` is a run id, bare or as ``run_id:<id>``."""
        value = data["q"].strip()
        if value.startswith("run_id:"):
            value = value[len("run_id:") :].strip().strip('"')
        try:
            data["run_id"] = uuid.UUID(value)
        except ValueError:
            raise ValidationError({"q": ["Give the id of a run."]}) from None
        return data


class LogsTailParamsSchema(LogFilterSchema):
    """Query string of a run's log tail: lines after a cursor."""

    after = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=MAX_LOG_ID)
    )
