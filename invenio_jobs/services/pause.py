# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Pause all scheduled runs, and resume them: one switch for the instance.

While the pause is on, the beat makes no scheduled run (its claim reads
the switch); manual runs stay possible. On resume, or when the pause's
``until`` passes, each job's missed fires follow its misfire policy.

The switch is one row of ``jobs_pause`` whose key can only be 1: pausing
again changes the reason and the end, it never makes a second switch.
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from flask import current_app
from invenio_accounts.models import User
from invenio_db import db
from invenio_i18n import lazy_gettext
from invenio_records_resources.services import Service
from invenio_records_resources.services.base.config import (
    ConfiguratorMixin,
    FromConfig,
    ServiceConfig,
)
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy.dialects import postgresql, sqlite

from ..database.dialects import speaks_postgresql
from ..models import Pause, utcnow
from .base import user_id_of
from .permissions import SchedulingPermissionPolicy

MAX_REASON = 1000
"""Longest reason of a pause, in characters."""


class PauseSchema(Schema):
    """The body of ``POST /api/jobs/actions/pause``: why, and until when."""

    reason = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=MAX_REASON,
            error=lazy_gettext(
                "Reason: say why everything is paused, in {min} to {max} characters."
            ),
        ),
        error_messages={
            "required": lazy_gettext("Reason: say why everything is paused."),
            "null": lazy_gettext("Reason: say why everything is paused."),
        },
    )
    until = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=timezone.utc,
        error_messages={
            "invalid": lazy_gettext(
                "Until: give a date and time such as 2026-12-24T18:00:00Z."
            )
        },
    )

    @validates("reason")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError(lazy_gettext("Reason: say why everything is paused."))

    @validates("until")
    def _ahead(self, value, **kwargs):
        if value is not None and value <= utcnow():
            raise ValidationError(
                lazy_gettext("Until: give a time in the future, or none.")
            )


class PauseServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the pause service."""

    service_id = "jobs-pause"
    permission_policy_cls = FromConfig(
        "JOBS_SCHEDULING_PERMISSION_POLICY",
        default=SchedulingPermissionPolicy,
        import_string=True,
    )
    schema = PauseSchema


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value else None


def pause_state(now: datetime | None = None) -> dict:
    """The pause as the API, the CLI and the jobs list show it: one statement.

    ``paused`` is false when no pause is on, or when its ``until`` passed.
    """
    now = now or utcnow()
    row = db.session.execute(
        sa.select(Pause, User.email)
        .outerjoin(User, User.id == Pause.paused_by_id)
        .where(Pause.id == 1)
    ).first()
    if row is None or (row.Pause.until is not None and row.Pause.until <= now):
        return {"paused": False}
    pause = row.Pause
    return {
        "paused": True,
        "reason": pause.reason,
        "paused_at": _iso(pause.paused_at),
        "until": _iso(pause.until),
        "paused_by": (
            {"id": str(pause.paused_by_id), "email": row.email}
            if pause.paused_by_id is not None
            else None
        ),
    }


class PauseService(Service):
    """Read, switch on and switch off the pause of all scheduled runs."""

    def read(self, identity) -> dict:
        """Whether everything is paused, by whom, why and until when."""
        self.require_permission(identity, "read")
        return pause_state()

    def pause(self, identity, data) -> dict:
        """Pause all scheduled runs (again: a new reason and end); the state.

        One upsert: two administrators pausing at once leave one switch,
        the last one's.
        """
        self.require_permission(identity, "pause")
        values = self.config.schema().load(data or {})
        row = {
            "id": 1,
            "reason": values["reason"].strip(),
            "until": values["until"],
            "paused_at": utcnow(),
            "paused_by_id": user_id_of(identity),
        }
        dialect = postgresql if speaks_postgresql(db.session.get_bind()) else sqlite
        statement = dialect.insert(Pause.__table__).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={key: statement.excluded[key] for key in row if key != "id"},
        )
        db.session.execute(statement)
        db.session.commit()
        current_app.logger.info(
            "Scheduled runs paused by user %s: %s", row["paused_by_id"], row["reason"]
        )
        return pause_state()

    def resume(self, identity) -> dict:
        """Resume scheduled runs; the beat applies each job's misfire policy.

        Resuming what is not paused changes nothing and is no error.
        """
        self.require_permission(identity, "pause")
        deleted = db.session.execute(sa.delete(Pause.__table__)).rowcount
        db.session.commit()
        if deleted:
            current_app.logger.info(
                "Scheduled runs resumed by user %s.", user_id_of(identity)
            )
        return pause_state()
