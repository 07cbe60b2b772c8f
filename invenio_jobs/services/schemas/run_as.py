# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The ``run_as`` field of a job: the service account its runs execute as.

Clients name the user by e-mail (``"run_as": "harvester@example.org"``,
or ``{"email": ...}`` / ``{"id": ...}`` as the field dumps it), ``null``
for none; the job stores the user's id. Only an active user can be named.
"""

import sqlalchemy as sa
from invenio_accounts.models import User
from invenio_db import db
from invenio_i18n import gettext as _
from marshmallow import ValidationError, fields


def find_user(value) -> User | None:
    """The user named by an e-mail, ``{"email": ...}`` or ``{"id": ...}``."""
    if isinstance(value, dict):
        if value.get("id") not in (None, ""):
            try:
                return db.session.get(User, int(value["id"]))
            except (TypeError, ValueError):
                return None
        value = value.get("email")
    if not isinstance(value, str) or not value.strip():
        return None
    email = value.strip().lower()
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


class RunAsUser(fields.Field):
    """A user named by e-mail on load, its id stored, ``{id, email}`` on dump."""

    def _serialize(self, value, attr, obj, **kwargs):
        user = getattr(obj, "run_as", None)
        if user is None:
            return None
        return {"id": user.id, "email": user.email}

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, "") or value == {}:
            return None
        user = find_user(value)
        if user is None:
            raise ValidationError(
                _("Run as: no user with this e-mail address; name an existing user.")
            )
        if not user.active:
            raise ValidationError(
                _("Run as: %(email)s is not an active user.", email=user.email)
            )
        return user.id
