# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The fields and argument checks the job and run schemas share."""

import json

from flask import current_app
from invenio_i18n import gettext as _
from invenio_i18n import lazy_gettext
from marshmallow import (
    ValidationError,
    fields,
)

from ...errors import InvalidScheduleError
from ...jobs import CUSTOM_ARGUMENTS, normalise_arguments
from ...schedules import INTERVAL_UNITS, validate_schedule
from ..arguments import describe_schema

MAX_TIMEOUT = 30 * 24 * 3600
"""Longest timeout of a job, in seconds (30 days); the column is a 32-bit integer."""


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


def task_errors(exc: ValidationError, key: str, job_type=None) -> ValidationError:
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
