# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Validation: a stored or submitted schedule, checked strictly and compiled.

:func:`validate_schedule` is the one way in: it normalises the schedule (the
form that is stored), parses it with Celery's crontab parser or measures the
interval, loads the time zone, and returns a compiled schedule that answers
every later question without parsing again. A wrong schedule raises
:class:`~invenio_jobs.errors.InvalidScheduleError` naming the field.
"""

import math
import re
from calendar import monthrange
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.schedules import ParseException, crontab

from ..errors import InvalidScheduleError
from .compiled import CompiledSchedule, CronSchedule, IntervalSchedule

CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
"""The crontab fields, in the order of their stored keys."""

INTERVAL_UNITS = (
    "weeks",
    "days",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
    "microseconds",
)
"""The interval units, largest first: the keywords of ``timedelta``."""

MAX_INTERVAL = timedelta(days=100 * 366)
"""Longest interval: fire times far beyond it would overflow dates."""

DAY_NAMES = (
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
)
"""The weekdays, by their cron number: 0 is Sunday."""

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
"""The months, January first (cron number 1)."""

_CRON_LIMITS = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_week": (0, 6),
    "day_of_month": (1, 31),
    "month_of_year": (1, 12),
}

_CRON_RANGE_TEXT = {
    "minute": "Invalid cron field '%(value)s': minute must be 0-59.",
    "hour": "Invalid cron field '%(value)s': hour must be 0-23.",
    "day_of_week": (
        "Invalid cron field '%(value)s': day_of_week must be 0-6 (0 = Sunday) "
        "or sun-sat."
    ),
    "day_of_month": "Invalid cron field '%(value)s': day_of_month must be 1-31.",
    "month_of_year": (
        "Invalid cron field '%(value)s': month_of_year must be 1-12 or jan-dec."
    ),
}
"""The message of a value out of each cron field's range (a catalog entry)."""


def _refuse(field: str, template: str, /, **params) -> InvalidScheduleError:
    """The error of ``field``: ``template`` (a catalog entry) with ``params``."""
    return InvalidScheduleError(field, template % params, template, params)


_NAMES = {
    "day_of_week": {
        **{name[:3]: i for i, name in enumerate(DAY_NAMES)},
        **{name: i for i, name in enumerate(DAY_NAMES)},
    },
    "month_of_year": {
        **{name[:3]: i + 1 for i, name in enumerate(MONTH_NAMES)},
        **{name: i + 1 for i, name in enumerate(MONTH_NAMES)},
    },
}

_CRON_PART = re.compile(
    r"^(?:(?P<star>\*)|(?P<start>[0-9]+|[a-z]+)(?:-(?P<end>[0-9]+|[a-z]+))?)"
    r"(?:/(?P<step>[0-9]+))?$"
)

_CELERY_ERRORS = (ValueError, TypeError, ParseException)
"""What Celery's crontab parser raises on a field it cannot read."""


def _load_timezone(name) -> ZoneInfo:
    """Load an IANA time zone, naming the field when it is unknown."""
    if not isinstance(name, str) or not name:
        raise _refuse(
            "timezone", "The time zone must be an IANA name like 'Europe/Zurich'."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise _refuse(
            "timezone",
            "Unknown time zone '%(name)s': use an IANA name like 'Europe/Zurich'.",
            name=name,
        ) from None


def _cron_value(field: str, name: str) -> int:
    """Turn one number or name of a cron field into its number."""
    low, high = _CRON_LIMITS[field]
    if name.isdigit():
        value = int(name)
    elif name in _NAMES.get(field, {}):
        value = _NAMES[field][name]
    else:
        raise _refuse(field, _CRON_RANGE_TEXT[field], value=name)
    if not low <= value <= high:
        raise _refuse(field, _CRON_RANGE_TEXT[field], value=name)
    return value


def _normalise_cron_field(field: str, value) -> str:
    """Check one crontab field strictly and return its stored text.

    Celery's parser accepts some garbage silently (``"1-5-7"``, ``"*/5/2"``),
    so each comma-separated part is checked here before Celery expands it.
    """
    if value is None:
        return "*"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _refuse(
            field,
            "Invalid cron field %(value)s: %(field)s must be text like '*/15' "
            "or a whole number.",
            value=repr(value),
            field=field,
        )
    text = re.sub(r"\s*,\s*", ",", str(value).strip().lower())
    if not text:
        raise _refuse(field, "The cron field %(field)s is empty.", field=field)
    low, high = _CRON_LIMITS[field]
    parts = []
    for part in text.split(","):
        match = _CRON_PART.match(part)
        if not match:
            raise _refuse(
                field,
                "Invalid cron field '%(value)s': use numbers, ranges like 1-5, "
                "lists like 0,30 or steps like */15.",
                value=value,
            )
        start, end, step = match["start"], match["end"], match["step"]
        if start is not None:
            start = str(_cron_value(field, start))
        if end is not None:
            end = str(_cron_value(field, end))
        if step is not None:
            if start is not None and end is None:
                raise _refuse(
                    field,
                    "Invalid cron field '%(value)s': a step needs '*' or a range "
                    "before it, like */15 or 5-59/15.",
                    value=part,
                )
            if not 1 <= int(step) <= high - low:
                raise _refuse(
                    field,
                    "Invalid cron field '%(value)s': the step must be 1-%(most)s "
                    "for %(field)s.",
                    value=part,
                    most=high - low,
                    field=field,
                )
        if field == "month_of_year":
            # Celery knows day names but not month names: store numbers.
            part = "*" if match["star"] else start + (f"-{end}" if end else "")
            part += f"/{step}" if step else ""
        parts.append(part)
    return ",".join(parts)


def _parse_cron(fields: dict) -> crontab:
    """Expand normalised crontab fields with Celery's parser, once.

    Only when Celery refuses them are the fields parsed one by one, to name
    the one it refuses.
    """
    try:
        return crontab(**{field: fields[field] for field in CRON_FIELDS})
    except _CELERY_ERRORS:
        for field in CRON_FIELDS:
            try:
                crontab(**{field: fields[field]})
            except _CELERY_ERRORS as error:
                raise InvalidScheduleError(
                    field, f"Invalid cron field '{fields[field]}': {error}"
                ) from None
        raise


def _check_cron_can_fire(parsed: crontab) -> None:
    """Reject day and month combinations that never exist, like 31 February."""
    for month in parsed.month_of_year:
        longest = 29 if month == 2 else monthrange(2000, month)[1]
        if any(day <= longest for day in parsed.day_of_month):
            return
    days = ", ".join(str(day) for day in sorted(parsed.day_of_month))
    raise _refuse(
        "day_of_month",
        "The schedule never fires: no month in month_of_year has day %(days)s.",
        days=days,
    )


def _compile_crontab(data: dict, default_timezone: str) -> CronSchedule:
    """Normalise and parse a crontab schedule, and load its time zone."""
    result = {"type": "crontab"}
    for field in CRON_FIELDS:
        result[field] = _normalise_cron_field(field, data.get(field))
    parsed = _parse_cron(result)
    _check_cron_can_fire(parsed)
    zone = data.get("timezone")
    if zone is None:
        zone = default_timezone
    loaded = _load_timezone(zone)
    result["timezone"] = zone
    return CronSchedule(result, parsed, loaded)


def _compile_interval(data: dict) -> IntervalSchedule:
    """Normalise an interval schedule and measure it."""
    result = {"type": "interval"}
    for unit in INTERVAL_UNITS:
        if unit not in data:
            continue
        value = data[unit]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(
                unit,
                "The number of %(unit)s must be a number, not %(value)s.",
                unit=unit,
                value=repr(value),
            )
        if not math.isfinite(value) or value < 0:
            raise InvalidScheduleError(
                unit, f"Every: give a number of {unit} greater than 0, not {value!r}."
            )
        try:
            timedelta(**{unit: value})
        except OverflowError:
            raise _refuse(
                unit,
                "The number of %(unit)s is too large: %(value)s.",
                unit=unit,
                value=repr(value),
            ) from None
        if value:
            result[unit] = value
    try:
        total = _interval_delta(result)
    except OverflowError:
        raise InvalidScheduleError("interval", "The interval is too long.") from None
    if total > MAX_INTERVAL:
        raise _refuse(
            "interval",
            "The interval is too long: at most %(days)s days.",
            days=MAX_INTERVAL.days,
        )
    given = [unit for unit in INTERVAL_UNITS if unit in data]
    if total <= timedelta(0) and len(given) == 1 and data[given[0]] <= 0:
        # One unit, as the admin form sends it: the error belongs to its field.
        raise InvalidScheduleError(
            given[0],
            f"Every: give a number of {given[0]} greater than 0, "
            f"not {data[given[0]]!r}.",
        )
    if total <= timedelta(0):
        units = ", ".join(INTERVAL_UNITS)
        raise _refuse(
            "interval",
            "The interval must be longer than zero: give one of %(units)s.",
            units=units,
        )
    return IntervalSchedule(result, total)


def _interval_delta(data: dict) -> timedelta:
    """The length of an interval schedule, exact to the microsecond."""
    return timedelta(**{unit: data[unit] for unit in INTERVAL_UNITS if unit in data})


def compile_schedule(data: dict, default_timezone: str = "UTC") -> CompiledSchedule:
    """Check, normalise and parse a stored or submitted schedule.

    The one function that parses a schedule; :func:`validate_schedule` calls
    it unless it is given a schedule that is compiled already.
    """
    if not isinstance(data, dict):
        raise InvalidScheduleError(
            "type", "A schedule must be an object with a 'type' of crontab or interval."
        )
    kind = data.get("type")
    if kind == "crontab":
        allowed = ("type", *CRON_FIELDS, "timezone")
    elif kind == "interval":
        allowed = ("type", *INTERVAL_UNITS)
    else:
        raise InvalidScheduleError(
            "type",
            (
                f"Unknown schedule type {kind!r}: use 'crontab' or 'interval'."
                if kind is not None
                else "The schedule needs a 'type': 'crontab' or 'interval'."
            ),
        )
    for key in data:
        if key not in allowed:
            raise _refuse(
                str(key),
                "Unknown field '%(key)s' for a %(kind)s schedule: use %(allowed)s.",
                key=key,
                kind=kind,
                allowed=", ".join(allowed[1:]),
            )
    if kind == "crontab":
        return _compile_crontab(data, default_timezone)
    return _compile_interval(data)


def validate_schedule(
    data: dict | CompiledSchedule, default_timezone: str = "UTC"
) -> CompiledSchedule:
    """Return the schedule compiled, or raise InvalidScheduleError.

    Services call this before storing a schedule (its ``data`` is what they
    store), so that everything stored can be evaluated later without
    surprises. A compiled schedule is returned as it is: its time zone was
    settled when it was compiled.
    """
    if isinstance(data, CompiledSchedule):
        return data
    return compile_schedule(data, default_timezone)
