# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Words and short forms: a schedule in words, and the notations people type.

:func:`describe` says a schedule in words for lists and the CLI ("every 4
hours", "at 02:00 Europe/Zurich on Monday to Friday");
:func:`parse_cron_expression` and :func:`parse_every` turn the usual cron
notation and short intervals ("1h30m") into stored schedules.
"""

import re

from ..errors import InvalidScheduleError
from .compiled import CompiledSchedule, CronSchedule, IntervalSchedule
from .validation import DAY_NAMES, INTERVAL_UNITS, MONTH_NAMES, validate_schedule

CRON_ORDER = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
"""The usual order of the five fields of a cron expression."""

_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_EVERY_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([wdhms])\s*")
_EVERY_UNITS = {
    "w": "weeks",
    "d": "days",
    "h": "hours",
    "m": "minutes",
    "s": "seconds",
}


def _number(value) -> str:
    """A number without a useless '.0'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _join(words: list[str]) -> str:
    """Join words as in 'a, b and c'."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _describe_interval(schedule: IntervalSchedule) -> str:
    """An interval in words: 'every 4 hours', 'every day and 6 hours'."""
    units = [unit for unit in INTERVAL_UNITS if unit in schedule]
    if len(units) == 1 and schedule[units[0]] == 1:
        return f"every {units[0][:-1]}"
    words = []
    for unit in units:
        value = schedule[unit]
        words.append(f"{_number(value)} {unit[:-1] if value == 1 else unit}")
    return "every " + _join(words)


def _every_step(text: str, size: int) -> int | None:
    """The step of a field like '*/15' when it divides the cycle evenly."""
    match = re.fullmatch(r"\*/([0-9]+)", text)
    if match and size % int(match[1]) == 0:
        return int(match[1])
    return None


def _describe_days(days: set[int]) -> str:
    """Weekdays in words, Monday first: 'Monday to Friday', 'Saturday and Sunday'."""
    ordered = sorted(days, key=lambda day: (day - 1) % 7)
    names = [DAY_NAMES[day].capitalize() for day in ordered]
    positions = [(day - 1) % 7 for day in ordered]
    if len(names) >= 3 and positions[-1] - positions[0] == len(positions) - 1:
        return f"{names[0]} to {names[-1]}"
    return _join(names)


def _describe_crontab(schedule: CronSchedule) -> str:
    """A crontab in words, or in cron notation when words would be unclear."""
    parsed = schedule.parsed
    zone = schedule["timezone"]
    minute, hour = schedule["minute"], schedule["hour"]
    any_date = all(
        schedule[field] == "*"
        for field in ("day_of_week", "day_of_month", "month_of_year")
    )
    single_minute = len(parsed.minute) == 1
    times = [
        f"{h:02d}:{m:02d}" for h in sorted(parsed.hour) for m in sorted(parsed.minute)
    ]
    if any_date and hour == "*":
        if minute == "*":
            return f"every minute ({zone})"
        step = _every_step(minute, 60)
        if step:
            return f"every {step} minutes ({zone})"
        if single_minute:
            return f"every hour at minute {min(parsed.minute)} ({zone})"
    if any_date and single_minute and _every_step(hour, 24):
        every = _every_step(hour, 24)
        return f"every {every} hours at minute {min(parsed.minute)} ({zone})"
    if len(times) > 4 or not single_minute:
        return _cron_notation(schedule)
    at = f"at {_join(times)} {zone}"
    if any_date:
        return f"every day {at}"
    if schedule["day_of_month"] == "*" and schedule["month_of_year"] == "*":
        return f"{at} on {_describe_days(parsed.day_of_week)}"
    if schedule["day_of_week"] == "*" and len(parsed.day_of_month) == 1:
        day = min(parsed.day_of_month)
        if schedule["month_of_year"] == "*":
            return f"on day {day} of every month {at}"
        if len(parsed.month_of_year) == 1:
            month = MONTH_NAMES[min(parsed.month_of_year) - 1].capitalize()
            return f"every year on {day} {month} {at}"
    return _cron_notation(schedule)


def _cron_notation(schedule: CronSchedule) -> str:
    """A crontab in the usual cron order, with its time zone."""
    fields = " ".join(schedule[field] for field in CRON_ORDER)
    return f"cron {fields} {schedule['timezone']}"


def describe(
    schedule: dict | CompiledSchedule | None, default_timezone: str = "UTC"
) -> str:
    """The schedule in words, for lists and the CLI.

    A stored schedule that no longer validates is described as invalid
    rather than raising, so that one bad job cannot break a whole list.
    """
    if schedule is None:
        return "not scheduled"
    try:
        compiled = validate_schedule(schedule, default_timezone)
    except InvalidScheduleError as error:
        return f"invalid schedule ({error})"
    if isinstance(compiled, IntervalSchedule):
        return _describe_interval(compiled)
    return _describe_crontab(compiled)


def parse_cron_expression(
    expr: str, timezone: str | None = None, default_timezone: str = "UTC"
) -> dict:
    """Turn "m h dom mon dow" (usual cron order) into a stored crontab schedule.

    Lets the CLI and forms take the cron notation people know. Day of month
    and day of week must both match (Celery's rule), and the macros
    ``@hourly``, ``@daily``, ``@weekly``, ``@monthly`` and ``@yearly`` work.
    """
    if not isinstance(expr, str):
        raise InvalidScheduleError("cron", "The cron expression must be text.")
    text = expr.strip().lower()
    text = _CRON_MACROS.get(text, text)
    parts = text.split()
    if len(parts) != 5:
        raise InvalidScheduleError(
            "cron",
            f"Invalid cron expression '{expr}': give 5 fields (minute hour "
            f"day-of-month month day-of-week), not {len(parts)}.",
        )
    data = {"type": "crontab", **dict(zip(CRON_ORDER, parts))}
    if timezone is not None:
        data["timezone"] = timezone
    return validate_schedule(data, default_timezone).data


def parse_every(expr: str) -> dict:
    """Turn "4h", "30m", "90s", "1d", "2w", "1h30m" into a stored interval.

    Lets the CLI take intervals the way people write them; any problem is
    reported on the field "every".
    """
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidScheduleError(
            "every", "Give an interval like 4h, 30m, 90s, 1d, 2w or 1h30m."
        )
    text = expr.strip().lower()
    data = {"type": "interval"}
    position = 0
    while position < len(text):
        match = _EVERY_PART.match(text, position)
        if not match:
            raise InvalidScheduleError(
                "every",
                f"Invalid interval '{expr}': use numbers with w, d, h, m or s, "
                "like 4h, 30m or 1h30m.",
            )
        amount, unit = match.groups()
        unit = _EVERY_UNITS[unit]
        if unit in data:
            raise InvalidScheduleError(
                "every", f"Invalid interval '{expr}': {unit} are given twice."
            )
        data[unit] = float(amount) if "." in amount else int(amount)
        position = match.end()
    try:
        return validate_schedule(data).data
    except InvalidScheduleError as error:
        raise InvalidScheduleError(
            "every", f"Invalid interval '{expr}': {error.message}"
        ) from None
