# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The schedule as invenio-administration's generic forms describe it.

InvenioRDM's package names these schemas here: an admin action (its
"Schedule" button) takes ``ScheduleUISchema`` as the payload schema from
which the administration builds a form, one group of fields per kind of
schedule. Each field carries its label and its place in the form as
metadata. Loading checks only the shape of each kind; the service checks
the values (``schedules.validation``).
"""

from invenio_i18n import lazy_gettext as _
from marshmallow import Schema, fields
from marshmallow_oneofschema import OneOfSchema


def _field(field_class, title, order, **kwargs):
    """A form field with its label and its position."""
    return field_class(metadata={"title": title, "order": order}, **kwargs)


class IntervalScheduleUISchema(Schema):
    """Every so long: the units of ``datetime.timedelta``, summed."""

    microseconds = _field(fields.Integer, _("Microseconds"), 1)
    milliseconds = _field(fields.Integer, _("Milliseconds"), 2)
    seconds = _field(fields.Integer, _("Seconds"), 3)
    minutes = _field(fields.Integer, _("Minutes"), 4)
    hours = _field(fields.Integer, _("Hours"), 5)
    days = _field(fields.Integer, _("Days"), 6)
    weeks = _field(fields.Integer, _("Weeks"), 7)


class CrontabScheduleUISchema(Schema):
    """At the times of a crontab; a field left out is ``*`` (every)."""

    minute = _field(fields.String, _("Minute"), 1, load_default="*")
    hour = _field(fields.String, _("Hour"), 2, load_default="*")
    day_of_week = _field(fields.String, _("Day of the week"), 3, load_default="*")
    day_of_month = _field(fields.String, _("Day of the month"), 4, load_default="*")
    month_of_year = _field(fields.String, _("Month"), 5, load_default="*")


class ScheduleUISchema(OneOfSchema):
    """A schedule of either kind, named by its ``type``.

    The two nested fields describe the form's groups; ``type_schemas``
    loads and dumps a schedule of either kind by its ``type``.
    """

    type_schemas = {
        "interval": IntervalScheduleUISchema,
        "crontab": CrontabScheduleUISchema,
    }

    interval = fields.Nested(IntervalScheduleUISchema, dump_only=True)
    crontab = fields.Nested(CrontabScheduleUISchema, dump_only=True)

    def get_obj_type(self, obj):
        """The kind of a stored schedule: its ``type``."""
        return obj.get("type") if isinstance(obj, dict) else None

    def _load(self, data, **kwargs):
        """The kind's fields, with ``type`` kept: the stored form of a schedule."""
        loaded = super()._load(data, **kwargs)
        return {"type": self.get_data_type(dict(data)), **loaded}
