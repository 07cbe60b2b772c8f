# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Maintenance windows: which times they hold, and until when."""

from datetime import datetime, timedelta, timezone

import pytest

from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import (
    compile_window,
    held_until,
    hold_fire_times,
    parse_cron_expression,
)

UTC = timezone.utc


def window(cron, minutes, zone="UTC"):
    """A compiled window from a cron expression."""
    return compile_window(parse_cron_expression(cron, zone), minutes)


SUNDAY_NIGHT = window("0 1 * * 0", 240, "Europe/Zurich")
"""Sundays 01:00 for 4 hours, Zurich time: 00:00-04:00 UTC in winter."""


def test_time_inside_a_window_is_held_until_its_end():
    """Sunday 6 December 2026, 02:30 Zurich (01:30 UTC) waits until 04:00 UTC."""
    at = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)
    assert held_until([SUNDAY_NIGHT], at) == datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 5, 23, 59, tzinfo=UTC),  # before the start
        datetime(2026, 12, 6, 4, 0, tzinfo=UTC),  # the end is outside
        datetime(2026, 12, 7, 1, 30, tzinfo=UTC),  # a Monday
    ],
)
def test_times_outside_are_free(at):
    """The start is inside, the end is not; other days are free."""
    assert held_until([SUNDAY_NIGHT], at) is None


def test_the_start_itself_is_held():
    """A fire exactly at the window's start is held."""
    at = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    assert held_until([SUNDAY_NIGHT], at) == datetime(2026, 12, 6, 4, 0, tzinfo=UTC)


def test_windows_follow_their_time_zone_in_summer():
    """In summer (CEST) the same window is 23:00-03:00 UTC."""
    at = datetime(2026, 7, 4, 23, 30, tzinfo=UTC)  # Sunday 01:30 in Zurich
    assert held_until([SUNDAY_NIGHT], at) == datetime(2026, 7, 5, 3, 0, tzinfo=UTC)


def test_touching_and_overlapping_windows_hold_as_one():
    """01:00-02:00 and 02:00-03:00 and 02:30-04:00 hold 01:15 until 04:00."""
    windows = [
        window("0 1 * * *", 60),
        window("0 2 * * *", 60),
        window("30 2 * * *", 90),
    ]
    at = datetime(2026, 3, 1, 1, 15, tzinfo=UTC)
    assert held_until(windows, at) == datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def test_windows_that_always_touch_hold_for_a_week_at_most():
    """An hourly window of an hour would hold forever: it ends after a week."""
    always = window("0 * * * *", 60)
    at = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert held_until([always], at) == datetime(2026, 3, 8, 1, 0, tzinfo=UTC)


def test_preview_marks_each_held_fire():
    """Each fire with the end of the window holding it, None when free."""
    fires = [
        datetime(2026, 12, 5, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 6, 1, 0, tzinfo=UTC),
    ]
    assert hold_fire_times(fires, [SUNDAY_NIGHT]) == [
        (fires[0], None),
        (fires[1], datetime(2026, 12, 6, 4, 0, tzinfo=UTC)),
    ]


def test_no_windows_hold_nothing():
    """Without windows nothing is held."""
    assert held_until([], datetime(2026, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "schedule, duration, field",
    [
        ({"type": "interval", "hours": 1}, 60, "schedule"),
        (parse_cron_expression("0 1 * * 0"), 0, "duration"),
        (parse_cron_expression("0 1 * * 0"), 7 * 24 * 60 + 1, "duration"),
        (parse_cron_expression("0 1 * * 0"), 1.5, "duration"),
        (parse_cron_expression("0 1 * * 0"), True, "duration"),
        ({"type": "crontab", "hour": "25"}, 60, "hour"),
    ],
)
def test_bad_windows_name_the_field(schedule, duration, field):
    """An interval, a duration out of range, a bad cron field: refused."""
    with pytest.raises(InvalidScheduleError) as caught:
        compile_window(schedule, duration)
    assert caught.value.field == field


def test_window_duration_is_a_timedelta():
    """The duration in minutes becomes a timedelta."""
    assert SUNDAY_NIGHT.duration == timedelta(hours=4)
