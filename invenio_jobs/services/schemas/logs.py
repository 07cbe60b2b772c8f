# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The query parameters of a run's log and of the log search."""

from invenio_i18n import gettext as _
from marshmallow import Schema, ValidationError, fields, post_load, validate

from .params import MAX_PAGE_SIZE

MAX_LOG_ID = 2**63 - 1
"""Largest log line id (a big integer): larger cursors are refused, not sent."""


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
    """Query string of ``/api/logs/jobs``: a query, a cursor, a size, an order.

    ``q`` is a run or job id (that log, in time order, as InvenioRDM's
    clients ask for it) or a query in the log search language
    (:mod:`invenio_jobs.services.log_query`), whose hits come newest first.
    ``sort`` chooses: ``timestamp`` oldest first, ``-timestamp`` newest
    first. Without ``size``, an answer holds up to ``JOBS_LOGS_MAX_RESULTS``
    lines, as InvenioRDM's; with it, a page of that many lines.
    """

    size = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, MAX_PAGE_SIZE)
    )
    q = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    search_after = CursorField(load_default=None, allow_none=True)
    sort = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["timestamp", "-timestamp"]),
    )

    @post_load
    def _query_present(self, data, **kwargs):
        """A ``q`` of spaces asks for nothing: say so, as for a missing one."""
        if not data["q"].strip():
            raise ValidationError({"q": [_("Give a run id, a job id or a query.")]})
        return data


class LogsTailParamsSchema(LogFilterSchema):
    """Query string of a run's log tail: lines after a cursor, or before one.

    ``before`` reads back from a line (the lines just before it, in order):
    the run page opened at one line shows what led to it.
    """

    after = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=MAX_LOG_ID)
    )
    before = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=MAX_LOG_ID)
    )

    @post_load
    def _one_cursor(self, data, **kwargs):
        """Lines after a cursor or before one, not between two."""
        if data["after"] is not None and data["before"] is not None:
            raise ValidationError(
                {"before": [_("Give either after or before, not both.")]}
            )
        return data
