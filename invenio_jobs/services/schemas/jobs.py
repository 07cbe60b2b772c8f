# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job as the API reads and writes it (InvenioRDM's JSON, empty values included)."""

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

from ...jobs import CUSTOM_ARGUMENTS
from ...lifecycle.chaining import DEFAULT_STATUSES, MODES
from ...models import RunStatusEnum
from ...proxies import current_jobs
from ...schedules import MISFIRE_POLICIES, describe
from ..base import current_language
from .alerts import AlertSettingsSchema
from .fields import (
    MAX_TIMEOUT,
    NotificationEmail,
    ScheduleField,
    load_task_arguments,
    parse_custom_args,
    task_errors,
    validate_queue,
)
from .pools import validate_pool
from .run_as import RunAsUser

EMPTY_AS_NULL = {
    "run_args": dict,
    "notification_emails": list,
    "notification_statuses": list,
}
"""A job's fields that InvenioRDM writes as ``null`` when empty; read back empty."""


class RunAfterLinkSchema(Schema):
    """One job that a job runs after, and the statuses of its ends that count."""

    class Meta:
        """Refuse unknown fields."""

        unknown = RAISE

    id = fields.UUID(
        required=True,
        error_messages={"required": lazy_gettext("Run after: choose a job.")},
    )
    statuses = fields.List(
        fields.String(
            validate=validate.OneOf([s.name for s in RunStatusEnum.finished()])
        ),
        load_default=lambda: list(DEFAULT_STATUSES),
        validate=validate.Length(
            min=1, error=lazy_gettext("Run after: choose at least one status.")
        ),
    )
    title = fields.String(dump_only=True)

    @validates_schema
    def _names_a_job(self, data, **kwargs):
        """A link names its job, in an update (a partial load) too."""
        if data.get("id") is None:
            raise ValidationError({"id": [_("Run after: choose a job.")]})


def _max_delay():
    return current_app.config["JOBS_RUN_AFTER_MAX_DELAY_SECONDS"]


class RunAfterSchema(Schema):
    """The jobs a job runs after: which, in which mode, after which delay."""

    class Meta:
        """Refuse unknown fields."""

        unknown = RAISE

    jobs = fields.List(fields.Nested(RunAfterLinkSchema), load_default=list)
    mode = fields.String(load_default="any", validate=validate.OneOf(MODES))
    delay_seconds = fields.Integer(load_default=0)

    @validates_schema
    def _delay_within_bounds(self, data, **kwargs):
        """A delay from none to ``JOBS_RUN_AFTER_MAX_DELAY_SECONDS``."""
        delay = data.get("delay_seconds") or 0
        if not 0 <= delay <= _max_delay():
            message = _(
                "Run after: give a delay of 0 to %(max)s seconds.", max=_max_delay()
            )
            raise ValidationError({"delay_seconds": [message]})

    @validates_schema
    def _each_job_once(self, data, **kwargs):
        """A job named twice would be a typo: refused."""
        ids = [link["id"] for link in data.get("jobs") or ()]
        if len(ids) != len(set(ids)):
            raise ValidationError({"jobs": [_("Run after: name each job once.")]})

    @post_load
    def _as_stored(self, data, **kwargs):
        """JSON to store (ids as text); no jobs is no link at all (None).

        Whole, defaults included, even in a partial load (an update): the
        links are replaced together.
        """
        if not data.get("jobs"):
            return None
        jobs = [
            {
                "id": str(link["id"]),
                "statuses": list(link.get("statuses") or DEFAULT_STATUSES),
            }
            for link in data["jobs"]
        ]
        return {
            "jobs": jobs,
            "mode": data.get("mode") or "any",
            "delay_seconds": data.get("delay_seconds") or 0,
        }


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
    ignore_maintenance_windows = fields.Boolean(load_default=False)
    timeout = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_TIMEOUT),
    )
    max_retries = fields.Integer(load_default=0, validate=validate.Range(0, 100))
    pool = fields.String(allow_none=True, load_default=None, validate=validate_pool)
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
    alerts = fields.Nested(AlertSettingsSchema, allow_none=True, load_default=None)

    # The service account the job's runs execute as (administrators only).
    run_as = RunAsUser(attribute="run_as_id", load_default=None, allow_none=True)

    run_after = fields.Nested(RunAfterSchema, allow_none=True, load_default=None)

    next_run = fields.DateTime(attribute="next_run_at", dump_only=True)
    held_since = fields.DateTime(dump_only=True)
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
        if data.get("pool") == "":  # the form's "no pool"
            data["pool"] = None
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
                raise task_errors(exc, "run_args", job_type) from exc

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
