# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Fire times of crontabs and intervals, one by one and as a preview."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from schedule_helpers import UTC, cron, every, raises_on, utc

from invenio_jobs.schedules import fire_times, next_fire_after


#
# Crontab fire times
#
def test_minute_step_fires_on_the_next_quarter():
    assert next_fire_after(cron(minute="*/15"), utc(2026, 5, 4, 10, 7)) == utc(
        2026, 5, 4, 10, 15
    )


def test_minute_list_after_an_exact_fire_time_returns_the_next_one():
    schedule = cron(minute="0,30")
    assert next_fire_after(schedule, utc(2026, 5, 4, 10, 30)) == utc(2026, 5, 4, 11, 0)


def test_every_minute_is_precise_to_the_minute():
    schedule = cron()
    assert next_fire_after(schedule, utc(2026, 5, 4, 10, 0, 30, 500)) == utc(
        2026, 5, 4, 10, 1
    )
    assert next_fire_after(schedule, utc(2026, 5, 4, 10, 0)) == utc(2026, 5, 4, 10, 1)


def test_a_microsecond_past_a_fire_time_waits_for_the_next_one():
    schedule = cron(minute="0")
    assert next_fire_after(schedule, utc(2026, 5, 4, 10, 0, 0, 1)) == utc(
        2026, 5, 4, 11, 0
    )


def test_hour_range_rolls_over_to_the_next_day():
    schedule = cron(minute="0", hour="9-17")
    assert next_fire_after(schedule, utc(2026, 5, 4, 17, 30)) == utc(2026, 5, 5, 9, 0)
    assert next_fire_after(schedule, utc(2026, 5, 4, 8, 59)) == utc(2026, 5, 4, 9, 0)


def test_hour_step_fires_every_six_hours():
    fires = fire_times(cron(minute="0", hour="*/6"), utc(2026, 5, 4, 7, 0), count=4)
    assert fires == [
        utc(2026, 5, 4, 12),
        utc(2026, 5, 4, 18),
        utc(2026, 5, 5, 0),
        utc(2026, 5, 5, 6),
    ]


def test_range_with_step_and_list_combine():
    fires = fire_times(cron(minute="0-20/10,45"), utc(2026, 5, 4, 10, 0), count=4)
    assert fires == [
        utc(2026, 5, 4, 10, 10),
        utc(2026, 5, 4, 10, 20),
        utc(2026, 5, 4, 10, 45),
        utc(2026, 5, 4, 11, 0),
    ]


def test_weekday_names_skip_the_weekend():
    # 2026-01-02 is a Friday.
    schedule = cron(minute="0", hour="9", day_of_week="mon-fri")
    assert next_fire_after(schedule, utc(2026, 1, 2, 10, 0)) == utc(2026, 1, 5, 9, 0)


@pytest.mark.parametrize("sunday", ["sun", "sunday", "0", 0])
def test_day_of_week_counts_sunday_as_zero(sunday):
    schedule = cron(minute="0", hour="0", day_of_week=sunday)
    assert next_fire_after(schedule, utc(2026, 1, 1)) == utc(2026, 1, 4)


def test_day_of_week_range_wraps_around_the_week():
    schedule = cron(minute="0", hour="12", day_of_week="fri-mon")
    fires = fire_times(schedule, utc(2026, 1, 1), count=5)
    assert [fire.day for fire in fires] == [2, 3, 4, 5, 9]


def test_day_of_month_list():
    schedule = cron(minute="0", hour="0", day_of_month="1,15")
    assert fire_times(schedule, utc(2026, 1, 1), count=3) == [
        utc(2026, 1, 15),
        utc(2026, 2, 1),
        utc(2026, 2, 15),
    ]


def test_month_name_fires_once_a_year():
    schedule = cron(minute="0", hour="0", day_of_month="1", month_of_year="jan")
    assert next_fire_after(schedule, utc(2026, 2, 1)) == utc(2027, 1, 1)


def test_day_of_month_and_day_of_week_must_both_match():
    # The first Monday of each month, not "every Monday or days 1-7".
    schedule = cron(minute="0", hour="8", day_of_month="1-7", day_of_week="mon")
    assert fire_times(schedule, utc(2026, 1, 1), count=3) == [
        utc(2026, 1, 5, 8),
        utc(2026, 2, 2, 8),
        utc(2026, 3, 2, 8),
    ]


def test_friday_the_thirteenth():
    schedule = cron(minute="0", hour="0", day_of_month="13", day_of_week="fri")
    assert fire_times(schedule, utc(2026, 1, 1), count=2) == [
        utc(2026, 2, 13),
        utc(2026, 3, 13),
    ]


def test_leap_day_fires_only_in_leap_years():
    schedule = cron(minute="0", hour="0", day_of_month="29", month_of_year="2")
    assert fire_times(schedule, utc(2026, 1, 1), count=2) == [
        utc(2028, 2, 29),
        utc(2032, 2, 29),
    ]


def test_leap_day_on_a_monday_is_found_decades_ahead():
    schedule = cron(
        minute="0", hour="0", day_of_month="29", month_of_year="2", day_of_week="mon"
    )
    assert next_fire_after(schedule, utc(2026, 1, 1)) == utc(2044, 2, 29)


def test_naive_after_is_taken_as_utc():
    assert next_fire_after(cron(minute="0"), datetime(2026, 5, 4, 10, 30)) == utc(
        2026, 5, 4, 11
    )


def test_result_is_utc_even_when_after_is_in_another_zone():
    after = datetime(2026, 5, 4, 12, 30, tzinfo=ZoneInfo("Europe/Zurich"))
    result = next_fire_after(cron(minute="0"), after)
    assert result == utc(2026, 5, 4, 11)
    assert result.tzinfo is UTC


def test_crontab_ignores_the_anchor():
    schedule = cron(minute="0")
    assert next_fire_after(
        schedule, utc(2026, 5, 4, 10, 30), anchor=utc(2026, 5, 4, 10, 17)
    ) == utc(2026, 5, 4, 11)


def test_crontab_uses_the_default_timezone_when_none_is_stored():
    schedule = cron(minute="0", hour="9")
    assert next_fire_after(
        schedule, utc(2026, 1, 5), default_timezone="Europe/Zurich"
    ) == utc(2026, 1, 5, 8)


#
# Interval fire times
#
def test_interval_without_anchor_fires_one_interval_after():
    assert next_fire_after(every(minutes=10), utc(2026, 5, 4, 10, 3)) == utc(
        2026, 5, 4, 10, 13
    )


def test_interval_stays_on_the_anchor_grid():
    result = next_fire_after(
        every(minutes=10), utc(2026, 5, 4, 10, 35), anchor=utc(2026, 5, 4, 10, 0, 7)
    )
    assert result == utc(2026, 5, 4, 10, 40, 7)


def test_interval_after_exactly_on_the_grid_returns_the_next_point():
    result = next_fire_after(
        every(minutes=10), utc(2026, 5, 4, 10, 40, 7), anchor=utc(2026, 5, 4, 10, 0, 7)
    )
    assert result == utc(2026, 5, 4, 10, 50, 7)


def test_interval_after_before_the_anchor_fires_one_interval_after_anchor():
    result = next_fire_after(
        every(hours=1), utc(2026, 5, 4, 8, 0), anchor=utc(2026, 5, 4, 10, 0)
    )
    assert result == utc(2026, 5, 4, 11, 0)


def test_interval_with_fractional_seconds():
    result = next_fire_after(
        every(seconds=0.5), utc(2026, 5, 4, 10, 0, 1, 200000), anchor=utc(2026, 5, 4)
    )
    assert result == utc(2026, 5, 4, 10, 0, 1, 500000)


def test_interval_with_fractional_hours():
    result = next_fire_after(
        every(hours=1.5), utc(2026, 5, 4, 1), anchor=utc(2026, 5, 4)
    )
    assert result == utc(2026, 5, 4, 1, 30)


def test_interval_does_not_drift_over_a_million_steps():
    anchor = utc(2026, 1, 1)
    step = timedelta(seconds=1 / 3)
    after = anchor + 1_000_000 * step
    assert next_fire_after(every(seconds=1 / 3), after, anchor=anchor) == (
        anchor + 1_000_001 * step
    )


def test_interval_adds_mixed_units():
    result = next_fire_after(every(weeks=1, days=1, hours=6), utc(2026, 5, 4))
    assert result == utc(2026, 5, 12, 6)


def test_interval_ignores_dst():
    result = next_fire_after(
        every(days=1), utc(2026, 3, 28, 23), anchor=utc(2026, 3, 28, 2)
    )
    assert result == utc(2026, 3, 29, 2)


def test_interval_accepts_an_anchor_in_another_zone():
    anchor = datetime(2026, 5, 4, 12, 0, 7, tzinfo=ZoneInfo("Europe/Zurich"))
    result = next_fire_after(every(minutes=10), utc(2026, 5, 4, 10, 35), anchor=anchor)
    assert result == utc(2026, 5, 4, 10, 40, 7)
    assert result.tzinfo is UTC


#
# fire_times
#
def test_fire_times_returns_count_increasing_times():
    fires = fire_times(every(hours=4), utc(2026, 5, 4), count=3, anchor=utc(2026, 5, 4))
    assert fires == [utc(2026, 5, 4, 4), utc(2026, 5, 4, 8), utc(2026, 5, 4, 12)]


def test_fire_times_defaults_to_five():
    assert len(fire_times(cron(minute="0"), utc(2026, 5, 4))) == 5


def test_fire_times_with_zero_count_is_empty():
    assert fire_times(cron(minute="0"), utc(2026, 5, 4), count=0) == []


def test_fire_times_validates_the_schedule():
    with raises_on("hour"):
        fire_times(cron(hour="99"), utc(2026, 5, 4))
