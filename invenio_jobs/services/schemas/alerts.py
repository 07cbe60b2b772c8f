# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job's alert settings and its alerts' deliveries, as the API reads and writes them."""

from invenio_i18n import lazy_gettext
from marshmallow import RAISE, Schema, fields, post_load, validate

from .fields import NotificationEmail

WEEK_MINUTES = 7 * 24 * 60
YEAR_HOURS = 366 * 24


def _range(low, high, message):
    """A range check whose message names the field and the bounds."""
    return validate.Range(min=low, max=high, error=message)


class AlertWebhookSchema(Schema):
    """A URL told of the job's alerts, with the body it takes."""

    class Meta:
        """Refuse unknown fields."""

        unknown = RAISE

    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        error_messages={
            "invalid": lazy_gettext("Webhook: give an http:// or https:// address."),
            "required": lazy_gettext("Webhook: give an http:// or https:// address."),
        },
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(
            ["json", "slack"],
            error=lazy_gettext("Webhook format: choose json or slack."),
        ),
    )


class AlertSettingsSchema(Schema):
    """Which conditions of a job raise an alert, and who hears of it.

    Stored with the values set only; settings that watch nothing and tell
    no one are stored as ``null``.
    """

    class Meta:
        """Refuse unknown fields: a misspelt threshold must not be dropped."""

        unknown = RAISE

    late_minutes = fields.Integer(
        allow_none=True,
        validate=_range(
            1,
            WEEK_MINUTES,
            lazy_gettext("Late after: give minutes from {min} to {max}."),
        ),
    )
    no_success_hours = fields.Integer(
        allow_none=True,
        validate=_range(
            1,
            YEAR_HOURS,
            lazy_gettext("No success within: give hours from {min} to {max}."),
        ),
    )
    too_long_minutes = fields.Integer(
        allow_none=True,
        validate=_range(
            1,
            WEEK_MINUTES,
            lazy_gettext("Run longer than: give minutes from {min} to {max}."),
        ),
    )
    too_long_factor = fields.Float(
        allow_none=True,
        validate=_range(
            1.1,
            1000,
            lazy_gettext(
                "Times the usual duration: give a number from {min} to {max}."
            ),
        ),
    )
    failures_in_row = fields.Integer(
        allow_none=True,
        validate=_range(
            1,
            1000,
            lazy_gettext("Failures in a row: give a number from {min} to {max}."),
        ),
    )
    recovered = fields.Boolean(load_default=True)
    emails = fields.List(NotificationEmail(), load_default=list)
    webhooks = fields.List(fields.Nested(AlertWebhookSchema), load_default=list)

    @post_load
    def _only_what_is_set(self, data, **kwargs):
        """Drop unset values; nothing watched and no one told is ``None``."""
        kept = {k: v for k, v in data.items() if v is not None and v != []}
        if set(kept) <= {"recovered"}:
            return None
        return kept


class AlertDeliverySchema(Schema):
    """One message about an alert, as the job page lists it."""

    id = fields.UUID(dump_only=True)
    kind = fields.String(dump_only=True)
    event = fields.String(dump_only=True)
    channel = fields.String(dump_only=True)
    target = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    tries = fields.Integer(dump_only=True)
    last_error = fields.String(dump_only=True)
    created = fields.DateTime(dump_only=True)
    due_at = fields.DateTime(dump_only=True)
    delivered_at = fields.DateTime(dump_only=True)


class AlertStateSchema(Schema):
    """An alert of a job: its kind, since when, until when (``null``: it holds)."""

    kind = fields.String(dump_only=True)
    started_at = fields.DateTime(dump_only=True)
    ended_at = fields.DateTime(dump_only=True)
