# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The query parameters of the jobs and runs lists: paging, sorting, filters."""

from invenio_i18n import gettext as _
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
)

from ...models import RunStatusEnum, RunTrigger

MAX_PAGE_SIZE = 1000
"""Largest page a client may ask for."""


MAX_PAGE = 1_000_000
"""Highest page number: beyond it, offsets would overflow the database."""


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
