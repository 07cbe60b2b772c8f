# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Maintenance windows: recurring times when scheduled fires are held.

A window is a crontab schedule giving each window's start, on the wall
clock of its time zone ("Sundays at 01:00, Europe/Zurich"), and a duration.
A time ``t`` is inside a window when a start ``s`` has ``s <= t < s +
duration``. Windows that overlap or touch hold as one: a fire is held until
the last of them ends.

Pure like the rest of ``schedules``: windows and aware datetimes in, aware
UTC datetimes out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import InvalidScheduleError
from .compiled import CompiledSchedule
from .fires import _as_utc
from .validation import validate_schedule

MAX_WINDOW_MINUTES = 7 * 24 * 60
"""The longest window: a week. A longer hold is a pause, not maintenance."""

_LONGEST_HOLD = timedelta(minutes=MAX_WINDOW_MINUTES)
"""How far :func:`held_until` follows touching windows: a week.

Windows that always touch (an hourly window of an hour) would hold forever;
the hold ends after a week at most, and the beat looks again then.
"""


@dataclass(frozen=True)
class Window:
    """One recurring maintenance window, compiled once."""

    starts: CompiledSchedule
    """The crontab schedule of the window's starts."""

    duration: timedelta
    """How long each window lasts."""

    def end_if_inside(self, at: datetime) -> datetime | None:
        """The end of this window's occurrence that holds `at`, or None."""
        start = self.starts.next_after(at - self.duration)
        if start <= at:
            return start + self.duration
        return None


def compile_window(schedule: dict, duration, default_timezone: str = "UTC") -> Window:
    """Check a window's schedule (a crontab) and duration (minutes) once.

    Errors name the field at fault: the crontab's own fields, ``schedule``
    for an interval, ``duration`` for a length out of range.
    """
    compiled = validate_schedule(schedule, default_timezone)
    if compiled["type"] != "crontab":
        raise InvalidScheduleError(
            "schedule",
            "A maintenance window starts on a cron schedule, not an interval.",
        )
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise InvalidScheduleError(
            "duration", "The duration must be a whole number of minutes."
        )
    if not 1 <= duration <= MAX_WINDOW_MINUTES:
        template = "The duration must be between 1 and %(max)s minutes."
        params = {"max": MAX_WINDOW_MINUTES}
        raise InvalidScheduleError("duration", template % params, template, params)
    return Window(starts=compiled, duration=timedelta(minutes=duration))


def held_until(windows: list[Window], at: datetime) -> datetime | None:
    """When the windows holding `at` end, following touching ones; else None.

    The beat holds a fire until then; the preview of a job's schedule shows
    it beside each fire time.
    """
    at = _as_utc(at, "at")
    end = None
    point = at
    while end is None or end - at < _LONGEST_HOLD:
        ends = [e for e in (w.end_if_inside(point) for w in windows) if e is not None]
        if not ends:
            break
        end = max(ends)
        point = end
    return end


def hold_fire_times(
    fires: list[datetime], windows: list[Window]
) -> list[tuple[datetime, datetime | None]]:
    """Each fire time with the end of the window holding it (None when free).

    What the schedule editor's preview shows: a held fire is not lost, it
    is handled by the job's misfire policy at the window's end.
    """
    return [(fire, held_until(windows, fire)) for fire in fires]
