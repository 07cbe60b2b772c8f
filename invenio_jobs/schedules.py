# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Schedules of jobs: cron, intervals, time zones and DST; a time in, a time out.

A job's schedule is stored as JSON, in one of two shapes:

``{"type": "crontab", "minute": "0", "hour": "2", "day_of_week": "*",
"day_of_month": "*", "month_of_year": "*", "timezone": "Europe/Zurich"}``
    Fields use Celery's crontab syntax (``"*/15"``, ``"1-5"``, ``"mon-fri"``,
    ``"0,30"``, or an integer); a missing field means ``"*"``. Day of week
    counts from 0 = Sunday (0-6, or ``sun`` to ``sat``). Month names (``jan``
    to ``dec``) are accepted and stored as numbers, since Celery only knows
    day names. As in Celery, and unlike Vixie cron, a time fires only when
    *all* fields match: ``day_of_month="1-7"`` with ``day_of_week="mon"``
    means "the first Monday of the month". Like Celery, a range may wrap
    around (``"fri-mon"``, ``"50-10"``).

``{"type": "interval", "hours": 4}``
    One or more of ``weeks``, ``days``, ``hours``, ``minutes`` and
    ``seconds`` (integers or floats, at least 0, total above 0). Fire times
    form a grid ``anchor + k * interval`` (``k >= 1``), where the anchor is
    when the job was created or its schedule last changed, so that fire times
    never drift. Intervals count absolute time and ignore DST.

Cron schedules are evaluated on the wall clock of the schedule's time zone.
Daylight saving time follows three rules:

- each matching wall-clock time fires once;
- a wall-clock time that does not exist (the hour skipped when clocks spring
  forward) fires at the first instant after the gap: a daily 02:30 job in
  Europe/Zurich fires at 03:00 CEST on the day clocks go from 02:00 to
  03:00; several matches inside one gap fire once, at that instant;
- a wall-clock time that occurs twice (the hour repeated when clocks fall
  back) fires at its first occurrence only.

So a daily job fires exactly once on every day, DST or not, and successive
fire times always increase.

Nothing here touches Flask or the database: every function takes the stored
schedule and aware datetimes (naive ones are taken as UTC) and returns aware
UTC datetimes.
"""

import math
import re
from calendar import monthrange
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.schedules import ParseException, crontab

from .errors import InvalidScheduleError

MISFIRE_POLICIES = ("coalesce", "skip", "catch_up")

CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
"""The crontab fields, in the order of their stored keys."""

INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
"""The interval units, largest first."""

_CRON_ORDER = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
"""The usual order of the five fields of a cron expression."""

_CRON_LIMITS = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_week": (0, 6),
    "day_of_month": (1, 31),
    "month_of_year": (1, 12),
}

_CRON_RANGE_TEXT = {
    "minute": "minute must be 0-59",
    "hour": "hour must be 0-23",
    "day_of_week": "day_of_week must be 0-6 (0 = Sunday) or sun-sat",
    "day_of_month": "day_of_month must be 1-31",
    "month_of_year": "month_of_year must be 1-12 or jan-dec",
}

_DAY_NAMES = (
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
)
_MONTH_NAMES = (
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
_NAMES = {
    "day_of_week": {
        **{name[:3]: i for i, name in enumerate(_DAY_NAMES)},
        **{name: i for i, name in enumerate(_DAY_NAMES)},
    },
    "month_of_year": {
        **{name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)},
        **{name: i + 1 for i, name in enumerate(_MONTH_NAMES)},
    },
}

_CRON_PART = re.compile(
    r"^(?:(?P<star>\*)|(?P<start>[0-9]+|[a-z]+)(?:-(?P<end>[0-9]+|[a-z]+))?)"
    r"(?:/(?P<step>[0-9]+))?$"
)

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

_SEARCH_YEARS = 401
"""How far ahead a cron search looks: one 400-year Gregorian cycle and a bit.

Every date that exists falls on every weekday within one cycle, so a schedule
that passed :func:`validate_schedule` always fires within this window (a
29 February that must also be a Monday can be 40 years away).
"""

_WALK_CAP = 100_000
"""How many missed cron fire times :func:`plan_fires` counts one by one."""

_ONE_MICROSECOND = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)


#
# Validation
#
def _load_timezone(name) -> ZoneInfo:
    """Load an IANA time zone, naming the field when it is unknown."""
    if not isinstance(name, str) or not name:
        raise InvalidScheduleError(
            "timezone", "The time zone must be an IANA name like 'Europe/Zurich'."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise InvalidScheduleError(
            "timezone",
            f"Unknown time zone '{name}': use an IANA name like 'Europe/Zurich'.",
        ) from None


def _cron_value(field: str, name: str) -> int:
    """Turn one number or name of a cron field into its number."""
    low, high = _CRON_LIMITS[field]
    if name.isdigit():
        value = int(name)
    elif name in _NAMES.get(field, {}):
        value = _NAMES[field][name]
    else:
        raise InvalidScheduleError(
            field, f"Invalid cron field '{name}': {_CRON_RANGE_TEXT[field]}."
        )
    if not low <= value <= high:
        raise InvalidScheduleError(
            field, f"Invalid cron field '{name}': {_CRON_RANGE_TEXT[field]}."
        )
    return value


def _normalise_cron_field(field: str, value) -> str:
    """Check one crontab field strictly and return its stored text.

    Celery's parser accepts some garbage silently (``"1-5-7"``, ``"*/5/2"``),
    so each comma-separated part is checked here before Celery expands it.
    """
    if value is None:
        return "*"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidScheduleError(
            field,
            f"Invalid cron field {value!r}: {field} must be text like '*/15' "
            "or a whole number.",
        )
    text = re.sub(r"\s*,\s*", ",", str(value).strip().lower())
    if not text:
        raise InvalidScheduleError(field, f"The cron field {field} is empty.")
    low, high = _CRON_LIMITS[field]
    parts = []
    for part in text.split(","):
        match = _CRON_PART.match(part)
        if not match:
            raise InvalidScheduleError(
                field,
                f"Invalid cron field '{value}': use numbers, ranges like 1-5, "
                "lists like 0,30 or steps like */15.",
            )
        start, end, step = match["start"], match["end"], match["step"]
        if start is not None:
            start = str(_cron_value(field, start))
        if end is not None:
            end = str(_cron_value(field, end))
        if step is not None:
            if start is not None and end is None:
                raise InvalidScheduleError(
                    field,
                    f"Invalid cron field '{part}': a step needs '*' or a range "
                    "before it, like */15 or 5-59/15.",
                )
            if not 1 <= int(step) <= high - low:
                raise InvalidScheduleError(
                    field,
                    f"Invalid cron field '{part}': the step must be 1-"
                    f"{high - low} for {field}.",
                )
        if field == "month_of_year":
            # Celery knows day names but not month names: store numbers.
            part = "*" if match["star"] else start + (f"-{end}" if end else "")
            part += f"/{step}" if step else ""
        parts.append(part)
    return ",".join(parts)


def _parse_cron(fields: dict) -> crontab:
    """Expand normalised crontab fields with Celery's parser."""
    for field in CRON_FIELDS:
        try:
            crontab(**{field: fields[field]})
        except (ValueError, TypeError, ParseException) as error:
            raise InvalidScheduleError(
                field, f"Invalid cron field '{fields[field]}': {error}"
            ) from None
    return crontab(**{field: fields[field] for field in CRON_FIELDS})


def _check_cron_can_fire(parsed: crontab) -> None:
    """Reject day and month combinations that never exist, like 31 February."""
    for month in parsed.month_of_year:
        longest = 29 if month == 2 else monthrange(2000, month)[1]
        if any(day <= longest for day in parsed.day_of_month):
            return
    days = ", ".join(str(day) for day in sorted(parsed.day_of_month))
    raise InvalidScheduleError(
        "day_of_month",
        f"The schedule never fires: no month in month_of_year has day {days}.",
    )


def _validate_crontab(data: dict, default_timezone: str) -> dict:
    """Normalise a crontab schedule."""
    result = {"type": "crontab"}
    for field in CRON_FIELDS:
        result[field] = _normalise_cron_field(field, data.get(field))
    _check_cron_can_fire(_parse_cron(result))
    zone = data.get("timezone")
    if zone is None:
        zone = default_timezone
    _load_timezone(zone)
    result["timezone"] = zone
    return result


def _validate_interval(data: dict) -> dict:
    """Normalise an interval schedule."""
    result = {"type": "interval"}
    for unit in INTERVAL_UNITS:
        if unit not in data:
            continue
        value = data[unit]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidScheduleError(
                unit, f"The number of {unit} must be a number, not {value!r}."
            )
        if not math.isfinite(value) or value < 0:
            raise InvalidScheduleError(
                unit, f"The number of {unit} must be 0 or more, not {value!r}."
            )
        try:
            timedelta(**{unit: value})
        except OverflowError:
            raise InvalidScheduleError(
                unit, f"The number of {unit} is too large: {value!r}."
            ) from None
        if value:
            result[unit] = value
    try:
        total = _interval_delta(result)
    except OverflowError:
        raise InvalidScheduleError("interval", "The interval is too long.") from None
    if total <= timedelta(0):
        units = ", ".join(INTERVAL_UNITS)
        raise InvalidScheduleError(
            "interval",
            f"The interval must be longer than zero: give one of {units}.",
        )
    return result


def _interval_delta(data: dict) -> timedelta:
    """The length of an interval schedule, exact to the microsecond."""
    return timedelta(**{unit: data[unit] for unit in INTERVAL_UNITS if unit in data})


def validate_schedule(data: dict, default_timezone: str = "UTC") -> dict:
    """Return the normalised schedule or raise InvalidScheduleError.

    Services call this before storing a schedule, so that everything stored
    can be evaluated later without surprises.
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
            raise InvalidScheduleError(
                str(key),
                f"Unknown field '{key}' for a {kind} schedule: use "
                f"{', '.join(allowed[1:])}.",
            )
    if kind == "crontab":
        return _validate_crontab(data, default_timezone)
    return _validate_interval(data)


#
# Evaluation
#
def _as_utc(value: datetime, name: str) -> datetime:
    """Return an aware UTC datetime; naive datetimes are taken as UTC."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class _Interval:
    """A compiled interval schedule: a grid of fire times."""

    def __init__(self, schedule: dict, anchor: datetime | None):
        """Keep the interval length and the grid's anchor."""
        self.delta = _interval_delta(schedule)
        self.anchor = anchor

    def _anchor_for(self, after: datetime) -> datetime:
        """The grid's anchor; without one, the grid starts at `after`."""
        return self.anchor if self.anchor is not None else after

    def _k_after(self, anchor: datetime, after: datetime) -> int:
        """The index of the first grid point strictly after `after`."""
        return max(1, (after - anchor) // self.delta + 1)

    def next_after(self, after: datetime) -> datetime:
        """The first grid point strictly after `after`."""
        anchor = self._anchor_for(after)
        return anchor + self._k_after(anchor, after) * self.delta

    def iter_after(self, after: datetime):
        """The grid points strictly after `after`, in order."""
        anchor = self._anchor_for(after)
        k = self._k_after(anchor, after)
        while True:
            yield anchor + k * self.delta
            k += 1

    def due(self, first: datetime, now: datetime, cutoff: datetime, keep: int):
        """Count the fire times from `first` up to `now` without listing them.

        Returns the last `keep` of them, how many there are, and how many are
        older than `cutoff`.
        """
        anchor = self._anchor_for(first)
        k_low = self._k_after(anchor, first)
        k_high = (now - anchor) // self.delta
        on_grid = max(0, k_high - k_low + 1)
        k_late = min(k_high, (cutoff - _ONE_MICROSECOND - anchor) // self.delta)
        late = max(0, k_late - k_low + 1) + (1 if first < cutoff else 0)
        kept = [
            anchor + k * self.delta
            for k in range(max(k_low, k_high - keep + 1), k_high + 1)
        ]
        if len(kept) < keep:
            kept.insert(0, first)
        return kept, on_grid + 1, late


class _Crontab:
    """A compiled crontab schedule, evaluated on the zone's wall clock."""

    def __init__(self, schedule: dict):
        """Expand the fields into sorted lists and load the time zone."""
        parsed = _parse_cron(schedule)
        self.parsed = parsed
        self.minutes = sorted(parsed.minute)
        self.hours = sorted(parsed.hour)
        self.days_of_week = set(parsed.day_of_week)
        self.days_of_month = sorted(parsed.day_of_month)
        self.months = sorted(parsed.month_of_year)
        self.zone = _load_timezone(schedule["timezone"])

    def _to_utc(self, wall: datetime) -> datetime:
        """The instant a wall-clock time fires at, following the DST rules."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(timezone.utc)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            # It exists; fold=0 is its first occurrence when it is repeated.
            return first
        # It falls in a gap: find the instant the gap ends, to the second.
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(timezone.utc)
        low, high = min(first, second), max(first, second)
        offset = low.astimezone(self.zone).utcoffset()
        while high - low > _ONE_SECOND:
            middle = low + ((high - low) // 2 // _ONE_SECOND) * _ONE_SECOND
            if middle.astimezone(self.zone).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return high

    def _days_from(self, start: date):
        """The dates from `start` on whose day, month and weekday all match."""
        for year in range(start.year, min(start.year + _SEARCH_YEARS, 10000)):
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                length = monthrange(year, month)[1]
                for day in self.days_of_month:
                    if day > length:
                        break
                    current = date(year, month, day)
                    if current < start:
                        continue
                    if current.isoweekday() % 7 in self.days_of_week:
                        yield current

    def iter_after(self, after: datetime):
        """The fire times strictly after `after`, in order, without repeats."""
        last = after
        wall = after.astimezone(self.zone).replace(tzinfo=None)
        for day in self._days_from(wall.date()):
            first_day = day == wall.date()
            for hour in self.hours:
                if first_day and hour < wall.hour:
                    continue
                for minute in self.minutes:
                    if first_day and hour == wall.hour and minute < wall.minute:
                        continue
                    fire = self._to_utc(datetime.combine(day, time(hour, minute)))
                    # Wall-clock order maps to UTC order, but times in a gap
                    # share an instant and the repeated hour maps back in
                    # time: keep only instants after the last one.
                    if fire > last:
                        last = fire
                        yield fire
        raise InvalidScheduleError(
            "day_of_month",
            f"The schedule does not fire within {_SEARCH_YEARS} years of {after}.",
        )

    def next_after(self, after: datetime) -> datetime:
        """The first fire time strictly after `after`."""
        return next(self.iter_after(after))

    def due(self, first: datetime, now: datetime, cutoff: datetime, keep: int):
        """Walk the fire times from `first` up to `now`.

        Returns the last `keep` of them, how many there are, and how many are
        older than `cutoff`. Past ``_WALK_CAP`` fire times, the walk jumps to
        shortly before `now`, and the counts are lower bounds.
        """
        kept = deque([first], maxlen=keep)
        total = 1
        late = 1 if first < cutoff else 0
        walked = first
        for fire in self.iter_after(first):
            if fire > now:
                return list(kept), total, late
            if total >= _WALK_CAP:
                break
            kept.append(fire)
            total += 1
            late += fire < cutoff
            walked = fire
        # A huge backlog: find the latest `keep` fire times by looking back
        # from `now` over a window that doubles until it holds enough of them.
        window = timedelta(hours=1)
        while True:
            start = max(walked, now - window)
            recent = []
            for fire in self.iter_after(start):
                if fire > now:
                    break
                recent.append(fire)
            if len(recent) >= keep or start == walked:
                break
            window *= 2
        kept.extend(recent)
        total += len(recent)
        late += sum(1 for fire in recent if fire < cutoff)
        return list(kept), total, late


def _compile(schedule: dict, anchor: datetime | None, default_timezone: str):
    """Validate a schedule and prepare it for evaluation."""
    normalised = validate_schedule(schedule, default_timezone)
    if normalised["type"] == "interval":
        return _Interval(normalised, anchor)
    return _Crontab(normalised)


def next_fire_after(
    schedule: dict,
    after: datetime,
    anchor: datetime | None = None,
    default_timezone: str = "UTC",
) -> datetime:
    """Next fire time strictly after `after`, an aware UTC datetime.

    The scheduler stores it as the job's next run time; `anchor` (creation
    or last schedule change) keeps interval schedules on their grid.
    """
    after = _as_utc(after, "after")
    if anchor is not None:
        anchor = _as_utc(anchor, "anchor")
    return _compile(schedule, anchor, default_timezone).next_after(after)


def fire_times(
    schedule: dict,
    after: datetime,
    count: int = 5,
    anchor: datetime | None = None,
    default_timezone: str = "UTC",
) -> list[datetime]:
    """The next `count` fire times after `after` (for previews).

    Lets administrators check a schedule before saving it.
    """
    after = _as_utc(after, "after")
    if anchor is not None:
        anchor = _as_utc(anchor, "anchor")
    compiled = _compile(schedule, anchor, default_timezone)
    if count <= 0:
        return []
    result = []
    for fire in compiled.iter_after(after):
        result.append(fire)
        if len(result) >= count:
            break
    return result


@dataclass(frozen=True)
class FirePlan:
    """What the beat scheduler does for a due job, so that it stays simple."""

    fires: list[datetime]
    """Fire times to create runs for, oldest first (each a run's scheduled_at)."""

    next_run_at: datetime
    """The job's next fire time after this tick (later than `now`)."""

    missed: int
    """How many fire times were missed beyond the grace (0 when on time)."""

    policy: str | None
    """The misfire policy applied, None when nothing was missed."""


def plan_fires(
    schedule: dict,
    next_run_at: datetime,
    now: datetime,
    policy: str = "coalesce",
    anchor: datetime | None = None,
    grace: timedelta = timedelta(seconds=60),
    max_catch_up: int = 10,
    default_timezone: str = "UTC",
) -> FirePlan:
    """Decide which runs a due job gets at `now` and its next fire time.

    Keeps the misfire rules (grace, coalesce, skip, catch up) in one tested
    place instead of in the beat scheduler. Without an anchor, an interval's
    grid goes through the stored `next_run_at`.
    """
    if policy not in MISFIRE_POLICIES:
        raise InvalidScheduleError(
            "misfire_policy",
            f"Unknown misfire policy {policy!r}: use {', '.join(MISFIRE_POLICIES)}.",
        )
    next_run_at = _as_utc(next_run_at, "next_run_at")
    now = _as_utc(now, "now")
    anchor = next_run_at if anchor is None else _as_utc(anchor, "anchor")
    compiled = _compile(schedule, anchor, default_timezone)
    if next_run_at > now:
        return FirePlan(fires=[], next_run_at=next_run_at, missed=0, policy=None)
    grace = max(grace, timedelta(0))
    kept, total, late = compiled.due(
        next_run_at, now, now - grace, max(max_catch_up, 1)
    )
    upcoming = compiled.next_after(now)
    if total == 1 and now - next_run_at <= grace:
        return FirePlan(
            fires=[next_run_at], next_run_at=upcoming, missed=0, policy=None
        )
    latest = kept[-1]
    if policy == "coalesce":
        fires = [latest]
    elif policy == "skip":
        fires = [latest] if now - latest <= grace else []
    else:
        fires = list(kept)
    return FirePlan(
        fires=fires,
        next_run_at=upcoming,
        missed=late,
        policy=policy if late else None,
    )


#
# Words and short forms
#
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


def _describe_interval(schedule: dict) -> str:
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
    names = [_DAY_NAMES[day].capitalize() for day in ordered]
    positions = [(day - 1) % 7 for day in ordered]
    if len(names) >= 3 and positions[-1] - positions[0] == len(positions) - 1:
        return f"{names[0]} to {names[-1]}"
    return _join(names)


def _describe_crontab(schedule: dict) -> str:
    """A crontab in words, or in cron notation when words would be unclear."""
    parsed = _parse_cron(schedule)
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
            month = _MONTH_NAMES[min(parsed.month_of_year) - 1].capitalize()
            return f"every year on {day} {month} {at}"
    return _cron_notation(schedule)


def _cron_notation(schedule: dict) -> str:
    """A crontab in the usual cron order, with its time zone."""
    fields = " ".join(schedule[field] for field in _CRON_ORDER)
    return f"cron {fields} {schedule['timezone']}"


def describe(schedule: dict | None, default_timezone: str = "UTC") -> str:
    """The schedule in words, for lists and the CLI.

    A stored schedule that no longer validates is described as invalid
    rather than raising, so that one bad job cannot break a whole list.
    """
    if schedule is None:
        return "not scheduled"
    try:
        normalised = validate_schedule(schedule, default_timezone)
    except InvalidScheduleError as error:
        return f"invalid schedule ({error})"
    if normalised["type"] == "interval":
        return _describe_interval(normalised)
    return _describe_crontab(normalised)


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
    data = {"type": "crontab", **dict(zip(_CRON_ORDER, parts))}
    if timezone is not None:
        data["timezone"] = timezone
    return validate_schedule(data, default_timezone)


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
        return validate_schedule(data)
    except InvalidScheduleError as error:
        raise InvalidScheduleError(
            "every", f"Invalid interval '{expr}': {error.message}"
        ) from None
