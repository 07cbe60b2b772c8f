# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A concurrency pool as the API reads and writes it, and a job's choice of one."""

from invenio_db import db
from invenio_i18n import gettext as _
from invenio_i18n import lazy_gettext
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ...models import Pool
from ..base import unstorable_text

MAX_SLOTS = 1000
"""The most slots a pool may have: beyond, a pool limits nothing."""

POOL_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""A pool's name: what URLs, the command line and the job form show."""


class PoolSchema(Schema):
    """A pool: its name (its id), what it is for, its slots and their use."""

    class Meta:
        """Refuse unknown fields: a typo must not be silently dropped."""

        unknown = RAISE

    name = fields.String(
        required=True,
        validate=validate.Regexp(
            POOL_NAME,
            error=lazy_gettext(
                "Name: use 1 to 64 lower-case letters, digits, '-' or '_', "
                "starting with a letter or a digit."
            ),
        ),
        error_messages={
            "required": lazy_gettext("Name: give the pool a name."),
            "null": lazy_gettext("Name: give the pool a name."),
        },
    )
    description = fields.String(allow_none=True, load_default=None)
    slots = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            min=1,
            max=MAX_SLOTS,
            error=lazy_gettext("Slots: give a whole number from {min} to {max}."),
        ),
        error_messages={
            "required": lazy_gettext("Slots: say how many runs may run at once."),
            "null": lazy_gettext("Slots: say how many runs may run at once."),
            "invalid": lazy_gettext("Slots: give a whole number."),
        },
    )
    created = fields.DateTime(dump_only=True)
    updated = fields.DateTime(dump_only=True)


def find_pool(name) -> Pool | None:
    """The pool of this name, or None; a name the database cannot store names none.

    PostgreSQL refuses NUL in a text literal, and no pool name holds one,
    so such a name is unknown rather than an error of the database.
    """
    if not isinstance(name, str) or unstorable_text(name):
        return None
    return db.session.get(Pool, name)


def validate_pool(value):
    """Refuse a pool that does not exist; the job form lists those that do."""
    if value is not None and find_pool(value) is None:
        raise ValidationError(
            _(
                "Pool: '%(pool)s' is not a pool of this site; create it first, "
                "or choose one of the list.",
                pool=value,
            )
        )
