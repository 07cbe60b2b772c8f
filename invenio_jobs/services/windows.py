# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Maintenance windows: recurring times when scheduled fires are held.

A window is given as a cron expression of its starts ("0 1 * * 0"), a time
zone and a duration in minutes. The beat holds the fires of jobs that
respect windows until a window's end, then applies each job's misfire
policy. Any change to the windows releases the jobs held so far: the next
look holds them again under the windows as they now are, from their first
held fire, so nothing is lost and nothing stays held by a window that is
gone.
"""

import uuid
from datetime import timezone

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from invenio_i18n import lazy_gettext
from invenio_records_resources.services import Service
from invenio_records_resources.services.base.config import (
    ConfiguratorMixin,
    FromConfig,
    ServiceConfig,
)
from marshmallow import Schema, ValidationError, fields, post_load, validate

from ..errors import InvalidScheduleError
from ..models import Job, MaintenanceWindow, utcnow
from ..schedules import (
    compile_window,
    describe,
    held_until,
    hold_fire_times,
    parse_cron_expression,
)
from ..schedules.windows import MAX_WINDOW_MINUTES
from ..schedules.words import CRON_ORDER
from .base import current_language, parse_uuid
from .errors import MaintenanceWindowNotFoundError
from .permissions import SchedulingPermissionPolicy
from .schemas.fields import schedule_error_message


class WindowSchema(Schema):
    """A window as the API takes it: title, cron, time zone, duration, active."""

    title = fields.String(
        required=True,
        validate=validate.Length(
            min=1,
            max=255,
            error=lazy_gettext(
                "Title: give the window a title of {min} to {max} characters."
            ),
        ),
        error_messages={
            "required": lazy_gettext("Title: give the window a title."),
            "null": lazy_gettext("Title: give the window a title."),
        },
    )
    cron = fields.String(
        required=True,
        error_messages={
            "required": lazy_gettext(
                "Cron: give when each window starts, such as 0 1 * * 0."
            ),
            "null": lazy_gettext(
                "Cron: give when each window starts, such as 0 1 * * 0."
            ),
        },
    )
    timezone = fields.String(load_default=None, allow_none=True)
    duration = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            min=1,
            max=MAX_WINDOW_MINUTES,
            error=lazy_gettext("Duration: give {min} to {max} minutes."),
        ),
        error_messages={
            "required": lazy_gettext("Duration: give the window's length in minutes."),
            "null": lazy_gettext("Duration: give the window's length in minutes."),
            "invalid": lazy_gettext("Duration: give a whole number of minutes."),
        },
    )
    active = fields.Boolean(load_default=True)

    @post_load
    def _compile(self, data, **kwargs):
        """Turn the cron text and time zone into the stored schedule."""
        if "cron" not in data:  # a partial update of other fields
            return data
        default_timezone = current_app.config["JOBS_SCHEDULER_TIMEZONE"]
        text = data.pop("cron")
        zone = data.pop("timezone", None) or default_timezone
        try:
            data["schedule"] = parse_cron_expression(text, zone, default_timezone)
        except InvalidScheduleError as error:
            field = error.field if error.field in ("timezone",) else "cron"
            message = schedule_error_message(error, {})
            raise ValidationError({field: [message]}) from error
        return data


class WindowsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the maintenance windows service."""

    service_id = "jobs-maintenance-windows"
    permission_policy_cls = FromConfig(
        "JOBS_SCHEDULING_PERMISSION_POLICY",
        default=SchedulingPermissionPolicy,
        import_string=True,
    )
    schema = WindowSchema


def _iso(value):
    return value.astimezone(timezone.utc).isoformat() if value else None


def cron_text(schedule: dict) -> str:
    """The five cron fields of a stored crontab, in the usual order."""
    return " ".join(str(schedule.get(field, "*")) for field in CRON_ORDER)


def release_held_jobs():
    """Let the next look hold the held jobs again under the current windows.

    Each goes back to its first held fire time; the caller commits.
    """
    job = Job.__table__.c
    db.session.execute(
        sa.update(Job.__table__)
        .where(job.held_since.is_not(None))
        .values(next_run_at=job.held_since, held_since=None)
    )


class WindowsService(Service):
    """List, read, create, change and delete maintenance windows."""

    def _dump(self, window: MaintenanceWindow, now=None) -> dict:
        now = now or utcnow()
        default_timezone = current_app.config["JOBS_SCHEDULER_TIMEZONE"]
        compiled = compile_window(window.schedule, window.duration, default_timezone)
        in_force = held_until([compiled], now) if window.active else None
        return {
            "id": str(window.id),
            "title": window.title,
            "cron": cron_text(window.schedule),
            "timezone": window.schedule.get("timezone") or default_timezone,
            "duration": window.duration,
            "active": window.active,
            "description": describe(
                window.schedule, default_timezone, language=current_language()
            ),
            "next_start": _iso(compiled.starts.next_after(now)),
            "in_force_until": _iso(in_force),
            "created": _iso(window.created),
            "updated": _iso(window.updated),
            "links": {
                "self": f"{current_app.config.get('SITE_API_URL', '')}"
                f"/jobs/maintenance-windows/{window.id}"
            },
        }

    def _get(self, window_id) -> MaintenanceWindow:
        window_uuid = parse_uuid(window_id, MaintenanceWindowNotFoundError)
        window = db.session.get(MaintenanceWindow, window_uuid)
        if window is None:
            raise MaintenanceWindowNotFoundError(window_id)
        return window

    def search(self, identity) -> dict:
        """Every window, by title (an instance has a handful)."""
        self.require_permission(identity, "read")
        windows = db.session.scalars(
            sa.select(MaintenanceWindow).order_by(
                sa.func.lower(MaintenanceWindow.title), MaintenanceWindow.id
            )
        ).all()
        now = utcnow()
        hits = [self._dump(window, now) for window in windows]
        return {"hits": {"hits": hits, "total": len(hits)}}

    def read(self, identity, window_id) -> dict:
        """One window."""
        self.require_permission(identity, "read")
        return self._dump(self._get(window_id))

    def create(self, identity, data) -> dict:
        """Add a window; it holds fires from the beat's next look."""
        self.require_permission(identity, "manage_windows")
        values = self.config.schema().load(data or {})
        now = utcnow()
        window = MaintenanceWindow(id=uuid.uuid4(), created=now, updated=now, **values)
        db.session.add(window)
        release_held_jobs()
        db.session.commit()
        return self._dump(window)

    def update(self, identity, window_id, data) -> dict:
        """Change the fields given (``cron`` with its ``timezone``)."""
        self.require_permission(identity, "manage_windows")
        window = self._get(window_id)
        data = dict(data or {})
        # The cron text and its time zone make one schedule: a change of
        # either keeps the other as stored.
        if "timezone" in data and "cron" not in data:
            data["cron"] = cron_text(window.schedule)
        if "cron" in data and "timezone" not in data:
            data["timezone"] = window.schedule.get("timezone")
        values = self.config.schema(partial=True).load(data)
        for key, value in values.items():
            setattr(window, key, value)
        window.updated = utcnow()
        release_held_jobs()
        db.session.commit()
        return self._dump(window)

    def delete(self, identity, window_id) -> None:
        """Delete a window; the fires it held are planned at the next look."""
        self.require_permission(identity, "manage_windows")
        window = self._get(window_id)
        db.session.delete(window)
        release_held_jobs()
        db.session.commit()

    def windows_in_force(self) -> list:
        """The active windows, compiled: for previews."""
        default_timezone = current_app.config["JOBS_SCHEDULER_TIMEZONE"]
        rows = db.session.execute(
            sa.select(MaintenanceWindow.schedule, MaintenanceWindow.duration).where(
                MaintenanceWindow.active
            )
        ).all()
        return [compile_window(r.schedule, r.duration, default_timezone) for r in rows]

    def holds(self, fires) -> list:
        """The end of the window holding each fire time, or None: one query.

        What the schedule editor's preview shows beside each fire; the
        preview's own permission check covers it, so it makes none.
        """
        windows = self.windows_in_force()
        return [end for _, end in hold_fire_times(list(fires), windows)]
