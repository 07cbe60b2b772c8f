# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Tests of schedules: cron, intervals, time zones, DST and misfires."""

import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import (
    MISFIRE_POLICIES,
    FirePlan,
    describe,
    fire_times,
    next_fire_after,
    parse_cron_expression,
    parse_every,
    plan_fires,
    validate_schedule,
)

UTC = timezone.utc


def utc(*args) -> datetime:
    """An aware UTC datetime, to keep the expectations short."""
    return datetime(*args, tzinfo=UTC)


def cron(**fields) -> dict:
    """A crontab schedule with the given fields."""
    return {"type": "crontab", **fields}


def every(**units) -> dict:
    """An interval schedule with the given units."""
    return {"type": "interval", **units}


def between(schedule: dict, start: datetime, end: datetime, **kwargs) -> list:
    """All fire times after `start` up to `end`."""
    result = []
    current = start
    while True:
        current = next_fire_after(schedule, current, **kwargs)
        if current > end:
            return result
        result.append(current)


@contextmanager
def raises_on(field: str):
    """Expect an InvalidScheduleError that names `field`."""
    with pytest.raises(InvalidScheduleError) as info:
        yield info
    assert info.value.field == field, str(info.value)


#
# Validation
#
def test_validate_crontab_fills_missing_fields_and_timezone():
    assert validate_schedule(cron(minute="30", hour="2")) == {
        "type": "crontab",
        "minute": "30",
        "hour": "2",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "UTC",
    }


def test_validate_crontab_uses_the_given_default_timezone():
    result = validate_schedule(cron(minute="0"), default_timezone="Europe/Zurich")
    assert result["timezone"] == "Europe/Zurich"


def test_validate_crontab_keeps_an_explicit_timezone_over_the_default():
    result = validate_schedule(
        cron(minute="0", timezone="America/New_York"),
        default_timezone="Europe/Zurich",
    )
    assert result["timezone"] == "America/New_York"


def test_validate_crontab_stores_integers_as_strings():
    result = validate_schedule(cron(minute=5, hour=0, day_of_month=1))
    assert (result["minute"], result["hour"], result["day_of_month"]) == (
        "5",
        "0",
        "1",
    )


def test_validate_crontab_stores_month_names_as_numbers():
    result = validate_schedule(cron(month_of_year="Jan-Mar,jun,December"))
    assert result["month_of_year"] == "1-3,6,12"


def test_validate_crontab_accepts_day_names_in_any_case():
    result = validate_schedule(cron(day_of_week="MON-Fri"))
    assert result["day_of_week"] == "mon-fri"


def test_validate_crontab_tidies_spaces_around_commas():
    assert validate_schedule(cron(minute=" 0 , 30 "))["minute"] == "0,30"


def test_validate_is_idempotent_and_leaves_input_alone():
    data = cron(minute="*/15", month_of_year="jan", timezone="Europe/Zurich")
    original = dict(data)
    once = validate_schedule(data)
    assert validate_schedule(once) == once
    assert data == original


@pytest.mark.parametrize(
    "field,value",
    [
        ("minute", "61"),
        ("minute", "60"),
        ("minute", "*/0"),
        ("minute", "abc"),
        ("minute", ""),
        ("minute", "1-5-7"),
        ("minute", "*/5/2"),
        ("minute", "5/15"),
        ("minute", "1,,2"),
        ("minute", "1 2"),
        ("minute", -1),
        ("minute", "-1"),
        ("minute", True),
        ("minute", 1.5),
        ("minute", ["0"]),
        ("minute", "jan"),
        ("hour", "24"),
        ("hour", "*/24"),
        ("hour", "9-25"),
        ("day_of_week", "7"),
        ("day_of_week", "funday"),
        ("day_of_week", "mon-xyz"),
        ("day_of_month", "0"),
        ("day_of_month", "32"),
        ("month_of_year", "0"),
        ("month_of_year", "13"),
        ("month_of_year", "foo"),
        ("month_of_year", "*/12"),
    ],
)
def test_invalid_cron_field_names_the_field(field, value):
    with raises_on(field):
        validate_schedule(cron(**{field: value}))


def test_out_of_range_message_names_value_and_allowed_range():
    with pytest.raises(InvalidScheduleError) as info:
        validate_schedule(cron(minute="61"))
    assert info.value.message == "Invalid cron field '61': minute must be 0-59."
    assert str(info.value) == "minute: Invalid cron field '61': minute must be 0-59."


def test_zero_step_message_mentions_the_step():
    with pytest.raises(InvalidScheduleError) as info:
        validate_schedule(cron(minute="*/0"))
    assert "step" in info.value.message


@pytest.mark.parametrize(
    "day,month", [("31", "2"), ("30", "feb"), ("31", "4,6,9,11"), ("30-31", "2")]
)
def test_impossible_dates_are_rejected(day, month):
    with raises_on("day_of_month"):
        validate_schedule(cron(day_of_month=day, month_of_year=month))


def test_impossible_date_is_rejected_by_next_fire_after_too():
    with raises_on("day_of_month"):
        next_fire_after(cron(day_of_month="31", month_of_year="2"), utc(2026, 1, 1))


def test_a_possible_day_among_impossible_ones_is_accepted():
    result = validate_schedule(cron(day_of_month="28-31", month_of_year="2"))
    assert result["day_of_month"] == "28-31"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../x", "/etc/passwd", "Europe", ""])
def test_unknown_timezone_is_rejected(zone):
    with raises_on("timezone"):
        validate_schedule(cron(minute="0", timezone=zone))


def test_non_string_timezone_is_rejected():
    with raises_on("timezone"):
        validate_schedule(cron(minute="0", timezone=1))


def test_unknown_default_timezone_is_rejected():
    with raises_on("timezone"):
        validate_schedule(cron(minute="0"), default_timezone="Nowhere/Town")


def test_validate_interval_keeps_non_zero_units_as_given():
    result = validate_schedule(every(days=1, hours=0, minutes=1.5, seconds=0))
    assert result == {"type": "interval", "days": 1, "minutes": 1.5}
    assert isinstance(result["days"], int)


@pytest.mark.parametrize(
    "units,field",
    [
        ({"hours": 0}, "interval"),
        ({"hours": 0, "minutes": 0.0}, "interval"),
        ({"seconds": 1e-9}, "interval"),
        ({}, "interval"),
        ({"hours": -1}, "hours"),
        ({"days": 1, "minutes": -0.5}, "minutes"),
        ({"hours": True}, "hours"),
        ({"seconds": "10"}, "seconds"),
        ({"weeks": None}, "weeks"),
        ({"seconds": float("nan")}, "seconds"),
        ({"seconds": float("inf")}, "seconds"),
        ({"days": 10**12}, "days"),
        ({"hour": 1}, "hour"),
        ({"hours": 1, "timezone": "UTC"}, "timezone"),
    ],
)
def test_invalid_interval_names_the_field(units, field):
    with raises_on(field):
        validate_schedule(every(**units))


def test_unknown_crontab_key_names_the_key():
    with raises_on("hours"):
        validate_schedule(cron(minute="0", hours=2))


@pytest.mark.parametrize(
    "data", [{"minute": "0"}, {"type": "rrule"}, {"type": None}, "0 2 * * *", None]
)
def test_missing_or_unknown_type_is_rejected(data):
    with raises_on("type"):
        validate_schedule(data)


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
# Time zones and DST
#
def test_zurich_daily_job_fires_once_on_spring_forward_day_after_the_gap():
    schedule = cron(minute="30", hour="2", timezone="Europe/Zurich")
    fires = between(schedule, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12))
    assert fires == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_zurich_daily_job_fires_once_on_fall_back_day_at_first_occurrence():
    schedule = cron(minute="30", hour="2", timezone="Europe/Zurich")
    fires = between(schedule, utc(2026, 10, 23, 12), utc(2026, 10, 26, 12))
    assert fires == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 0, 30),  # first 02:30, still CEST
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
    ]


def test_several_matches_in_the_gap_fire_once():
    schedule = cron(minute="*/15", hour="2", timezone="Europe/Zurich")
    fires = between(schedule, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    assert fires == [
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 30, 0, 0),
        utc(2026, 3, 30, 0, 15),
        utc(2026, 3, 30, 0, 30),
        utc(2026, 3, 30, 0, 45),
    ]


def test_gap_fire_time_is_exactly_the_end_of_the_gap():
    schedule = cron(minute="59", hour="2", timezone="Europe/Zurich")
    result = next_fire_after(schedule, utc(2026, 3, 28, 12))
    assert result == utc(2026, 3, 29, 1, 0, 0, 0)


def test_hourly_job_across_fall_back_is_strictly_increasing_without_repeats():
    schedule = cron(minute="0", timezone="Europe/Zurich")
    fires = between(schedule, utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 4, 30))
    assert fires == [
        utc(2026, 10, 24, 23),  # 01:00 CEST
        utc(2026, 10, 25, 0),  # 02:00 CEST
        utc(2026, 10, 25, 2),  # 03:00 CET (the second 02:00 is skipped)
        utc(2026, 10, 25, 3),
        utc(2026, 10, 25, 4),
    ]


def test_after_inside_the_repeated_hour_moves_forward():
    # 01:10Z is 02:10 CET, the second time 02:10 happens that night.
    schedule = cron(minute="30", hour="2", timezone="Europe/Zurich")
    assert next_fire_after(schedule, utc(2026, 10, 25, 1, 10)) == utc(
        2026, 10, 26, 1, 30
    )
    # The repeated 02:15-02:45 already fired the first time: 03:00 CET is next.
    every_quarter = cron(minute="*/15", timezone="Europe/Zurich")
    assert next_fire_after(every_quarter, utc(2026, 10, 25, 1, 10)) == utc(
        2026, 10, 25, 2, 0
    )


@pytest.mark.parametrize(
    "zone", ["Europe/Zurich", "America/New_York", "Australia/Lord_Howe"]
)
def test_chained_fire_times_always_increase_through_dst(zone):
    schedule = cron(minute="*/20", hour="0-3", timezone=zone)
    for start in (utc(2026, 3, 1), utc(2026, 9, 25), utc(2026, 10, 20)):
        fires = fire_times(schedule, start, count=1000)
        assert all(later > earlier for earlier, later in zip(fires, fires[1:]))


def test_new_york_spring_forward_gap():
    schedule = cron(minute="30", hour="2", timezone="America/New_York")
    assert fire_times(schedule, utc(2026, 3, 7), count=3) == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_new_york_fall_back_fires_at_first_occurrence():
    schedule = cron(minute="30", hour="1", timezone="America/New_York")
    assert fire_times(schedule, utc(2026, 10, 31), count=3) == [
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]


def test_lord_howe_half_hour_gap():
    schedule = cron(minute="15", hour="2", timezone="Australia/Lord_Howe")
    assert fire_times(schedule, utc(2026, 10, 2), count=3) == [
        utc(2026, 10, 2, 15, 45),  # 02:15 +10:30
        utc(2026, 10, 3, 15, 30),  # 02:15 does not exist: 02:30 +11:00
        utc(2026, 10, 4, 15, 15),  # 02:15 +11:00
    ]


def test_lord_howe_half_hour_fall_back():
    schedule = cron(minute="45", hour="1", timezone="Australia/Lord_Howe")
    assert fire_times(schedule, utc(2026, 4, 3), count=3) == [
        utc(2026, 4, 3, 14, 45),
        utc(2026, 4, 4, 14, 45),  # first 01:45, +11:00
        utc(2026, 4, 5, 15, 15),  # 01:45 +10:30
    ]


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


#
# plan_fires
#
def test_plan_on_time_fires_the_due_time():
    plan = plan_fires(
        every(minutes=10), utc(2026, 5, 4, 10), utc(2026, 5, 4, 10, 0, 30)
    )
    assert plan == FirePlan(
        fires=[utc(2026, 5, 4, 10)],
        next_run_at=utc(2026, 5, 4, 10, 10),
        missed=0,
        policy=None,
    )


def test_plan_exactly_at_the_grace_limit_is_on_time():
    plan = plan_fires(
        cron(minute="0"), utc(2026, 5, 4, 10), utc(2026, 5, 4, 10, 1), policy="skip"
    )
    assert (plan.fires, plan.missed, plan.policy) == ([utc(2026, 5, 4, 10)], 0, None)
    assert plan.next_run_at == utc(2026, 5, 4, 11)


def test_plan_one_late_fire_is_missed():
    kwargs = dict(
        schedule=every(minutes=10),
        next_run_at=utc(2026, 5, 4, 10),
        now=utc(2026, 5, 4, 10, 5),
    )
    coalesce = plan_fires(policy="coalesce", **kwargs)
    skip = plan_fires(policy="skip", **kwargs)
    catch_up = plan_fires(policy="catch_up", **kwargs)
    assert (coalesce.fires, coalesce.missed) == ([utc(2026, 5, 4, 10)], 1)
    assert (skip.fires, skip.missed, skip.policy) == ([], 1, "skip")
    assert catch_up.fires == [utc(2026, 5, 4, 10)]
    assert skip.next_run_at == utc(2026, 5, 4, 10, 10)


def test_plan_coalesce_runs_once_for_the_latest_missed_time():
    plan = plan_fires(every(minutes=10), utc(2026, 5, 4, 10), utc(2026, 5, 4, 10, 45))
    assert plan == FirePlan(
        fires=[utc(2026, 5, 4, 10, 40)],
        next_run_at=utc(2026, 5, 4, 10, 50),
        missed=5,
        policy="coalesce",
    )


def test_plan_skip_drops_missed_times_but_keeps_one_within_grace():
    plan = plan_fires(
        every(minutes=10),
        utc(2026, 5, 4, 10),
        utc(2026, 5, 4, 10, 40, 30),
        policy="skip",
    )
    assert plan.fires == [utc(2026, 5, 4, 10, 40)]
    assert (plan.missed, plan.policy) == (4, "skip")
    assert plan.next_run_at == utc(2026, 5, 4, 10, 50)


def test_plan_skip_runs_nothing_when_all_are_late():
    plan = plan_fires(
        every(minutes=10), utc(2026, 5, 4, 10), utc(2026, 5, 4, 10, 45), policy="skip"
    )
    assert (plan.fires, plan.missed, plan.policy) == ([], 5, "skip")


def test_plan_catch_up_runs_every_missed_time_oldest_first():
    plan = plan_fires(
        every(minutes=10),
        utc(2026, 5, 4, 10),
        utc(2026, 5, 4, 10, 45),
        policy="catch_up",
    )
    assert plan.fires == [utc(2026, 5, 4, 10, minute) for minute in (0, 10, 20, 30, 40)]
    assert (plan.missed, plan.policy) == (5, "catch_up")


def test_plan_catch_up_cap_keeps_the_most_recent():
    plan = plan_fires(
        every(minutes=10),
        utc(2026, 5, 4, 10),
        utc(2026, 5, 4, 10, 45),
        policy="catch_up",
        max_catch_up=3,
    )
    assert plan.fires == [utc(2026, 5, 4, 10, minute) for minute in (20, 30, 40)]
    assert plan.missed == 5


def test_plan_catch_up_cap_keeps_the_most_recent_for_crontab():
    plan = plan_fires(
        cron(minute="0", hour="2"),
        utc(2026, 1, 1, 2),
        utc(2026, 1, 5, 12),
        policy="catch_up",
        max_catch_up=2,
    )
    assert plan.fires == [utc(2026, 1, 4, 2), utc(2026, 1, 5, 2)]
    assert (plan.missed, plan.next_run_at) == (5, utc(2026, 1, 6, 2))


def test_plan_catch_up_cap_below_one_still_runs_the_latest():
    plan = plan_fires(
        every(minutes=10),
        utc(2026, 5, 4, 10),
        utc(2026, 5, 4, 10, 45),
        policy="catch_up",
        max_catch_up=0,
    )
    assert plan.fires == [utc(2026, 5, 4, 10, 40)]


def test_plan_several_due_within_grace_miss_nothing():
    kwargs = dict(
        schedule=every(seconds=10),
        next_run_at=utc(2026, 5, 4, 10),
        now=utc(2026, 5, 4, 10, 0, 25),
    )
    coalesce = plan_fires(**kwargs)
    catch_up = plan_fires(policy="catch_up", **kwargs)
    assert (coalesce.fires, coalesce.missed, coalesce.policy) == (
        [utc(2026, 5, 4, 10, 0, 20)],
        0,
        None,
    )
    assert catch_up.fires == [utc(2026, 5, 4, 10, 0, second) for second in (0, 10, 20)]


def test_plan_huge_interval_backlog_is_fast_and_counted_exactly():
    start = utc(2026, 1, 1)
    now = start + timedelta(days=30)
    began = time.perf_counter()
    plan = plan_fires(every(seconds=1), start, now, policy="catch_up")
    assert time.perf_counter() - began < 1
    assert plan.fires == [now - timedelta(seconds=s) for s in range(9, -1, -1)]
    # 30 days of seconds plus the first, minus the 61 within the grace.
    assert plan.missed == 30 * 86400 + 1 - 61
    assert plan.next_run_at == now + timedelta(seconds=1)


def test_plan_huge_crontab_backlog_is_capped_and_ends_at_now():
    start = utc(2026, 1, 1)
    now = utc(2026, 7, 1)
    began = time.perf_counter()
    plan = plan_fires(cron(), start, now, policy="catch_up", max_catch_up=3)
    assert time.perf_counter() - began < 5
    assert plan.fires == [utc(2026, 6, 30, 23, 58), utc(2026, 6, 30, 23, 59), now]
    assert plan.missed >= 100_000
    assert plan.next_run_at == utc(2026, 7, 1, 0, 1)


def test_plan_without_anchor_keeps_the_grid_of_next_run_at():
    plan = plan_fires(
        every(minutes=10), utc(2026, 5, 4, 10, 0, 7), utc(2026, 5, 4, 10, 35)
    )
    assert plan.fires == [utc(2026, 5, 4, 10, 30, 7)]
    assert plan.next_run_at == utc(2026, 5, 4, 10, 40, 7)


def test_plan_uses_the_given_anchor():
    plan = plan_fires(
        every(minutes=10),
        utc(2026, 5, 4, 10, 0, 7),
        utc(2026, 5, 4, 10, 0, 30),
        anchor=utc(2026, 5, 4, 9, 0, 7),
    )
    assert plan.next_run_at == utc(2026, 5, 4, 10, 10, 7)


def test_plan_not_yet_due_does_nothing():
    plan = plan_fires(cron(minute="0"), utc(2026, 5, 4, 11), utc(2026, 5, 4, 10, 30))
    assert plan == FirePlan(
        fires=[], next_run_at=utc(2026, 5, 4, 11), missed=0, policy=None
    )


def test_plan_naive_inputs_give_utc_results():
    plan = plan_fires(
        cron(minute="0"), datetime(2026, 5, 4, 10), datetime(2026, 5, 4, 10, 0, 5)
    )
    assert plan.fires[0].tzinfo is UTC
    assert plan.next_run_at.tzinfo is UTC
    assert plan.next_run_at == utc(2026, 5, 4, 11)


def test_plan_on_spring_forward_gap_is_on_time():
    plan = plan_fires(
        cron(minute="30", hour="2", timezone="Europe/Zurich"),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 0, 10),
    )
    assert (plan.fires, plan.missed) == ([utc(2026, 3, 29, 1)], 0)
    assert plan.next_run_at == utc(2026, 3, 30, 0, 30)


@pytest.mark.parametrize("when", ["on time", "late"])
def test_plan_unknown_policy_is_rejected(when):
    now = utc(2026, 5, 4, 10, 0, 5) if when == "on time" else utc(2026, 5, 5)
    with raises_on("misfire_policy"):
        plan_fires(cron(minute="0"), utc(2026, 5, 4, 10), now, policy="later")


def test_misfire_policies_are_the_documented_three():
    assert MISFIRE_POLICIES == ("coalesce", "skip", "catch_up")


#
# describe
#
@pytest.mark.parametrize(
    "schedule,words",
    [
        (None, "not scheduled"),
        (every(hours=4), "every 4 hours"),
        (every(hours=1), "every hour"),
        (every(days=1), "every day"),
        (every(days=1, hours=6), "every 1 day and 6 hours"),
        (
            every(hours=1, minutes=30, seconds=15),
            "every 1 hour, 30 minutes and 15 seconds",
        ),
        (every(hours=1.5), "every 1.5 hours"),
        (every(minutes=2.0), "every 2 minutes"),
        (
            cron(minute="30", hour="2", timezone="Europe/Zurich"),
            "every day at 02:30 Europe/Zurich",
        ),
        (cron(minute="0", hour="0,12"), "every day at 00:00 and 12:00 UTC"),
        (cron(minute="*/15"), "every 15 minutes (UTC)"),
        (cron(), "every minute (UTC)"),
        (cron(minute="5"), "every hour at minute 5 (UTC)"),
        (cron(minute="0", hour="*/6"), "every 6 hours at minute 0 (UTC)"),
        (
            cron(minute="0", hour="9", day_of_week="1-5"),
            "at 09:00 UTC on Monday to Friday",
        ),
        (
            cron(minute="0", hour="9", day_of_week="mon,wed,fri"),
            "at 09:00 UTC on Monday, Wednesday and Friday",
        ),
        (
            cron(minute="0", hour="10", day_of_week="sat,sun"),
            "at 10:00 UTC on Saturday and Sunday",
        ),
        (
            cron(minute="0", hour="0", day_of_month="1"),
            "on day 1 of every month at 00:00 UTC",
        ),
        (
            cron(minute="0", hour="0", day_of_month="1", month_of_year="jan"),
            "every year on 1 January at 00:00 UTC",
        ),
        (
            cron(minute="0,30", hour="9-17", timezone="Europe/Zurich"),
            "cron 0,30 9-17 * * * Europe/Zurich",
        ),
        (
            cron(minute="0", hour="2", day_of_month="1-7", day_of_week="1-5"),
            "cron 0 2 1-7 * 1-5 UTC",
        ),
        (cron(minute="*/7"), "cron */7 * * * * UTC"),
    ],
)
def test_describe_in_words(schedule, words):
    assert describe(schedule) == words


def test_describe_uses_the_default_timezone():
    assert (
        describe(cron(minute="0", hour="2"), default_timezone="Europe/Zurich")
        == "every day at 02:00 Europe/Zurich"
    )


def test_describe_an_invalid_stored_schedule_does_not_raise():
    assert describe(cron(minute="99")).startswith("invalid schedule (minute:")


#
# parse_cron_expression and parse_every
#
def test_parse_cron_expression_uses_the_usual_field_order():
    assert parse_cron_expression("5 4 3 2 1", timezone="Europe/Zurich") == {
        "type": "crontab",
        "minute": "5",
        "hour": "4",
        "day_of_month": "3",
        "month_of_year": "2",
        "day_of_week": "1",
        "timezone": "Europe/Zurich",
    }


def test_parse_cron_expression_accepts_names_and_extra_spaces():
    result = parse_cron_expression("  0  2 * jan-mar  mon-fri ")
    assert (result["month_of_year"], result["day_of_week"]) == ("1-3", "mon-fri")
    assert result["timezone"] == "UTC"


def test_parse_cron_expression_uses_the_default_timezone():
    result = parse_cron_expression("0 2 * * *", default_timezone="America/New_York")
    assert result["timezone"] == "America/New_York"


@pytest.mark.parametrize(
    "macro,fields",
    [
        ("@daily", ("0", "0", "*", "*", "*")),
        ("@hourly", ("0", "*", "*", "*", "*")),
        ("@weekly", ("0", "0", "*", "*", "0")),
        ("@monthly", ("0", "0", "1", "*", "*")),
        ("@yearly", ("0", "0", "1", "1", "*")),
    ],
)
def test_parse_cron_expression_macros(macro, fields):
    result = parse_cron_expression(macro)
    order = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
    assert tuple(result[field] for field in order) == fields


@pytest.mark.parametrize(
    "expr,field",
    [
        ("0 2 * *", "cron"),
        ("0 2 * * * *", "cron"),
        ("", "cron"),
        ("@sometimes", "cron"),
        (None, "cron"),
        ("0 25 * * *", "hour"),
        ("60 * * * *", "minute"),
        ("0 0 32 * *", "day_of_month"),
        ("0 0 * 13 *", "month_of_year"),
        ("0 0 * * 8", "day_of_week"),
        ("0 0 31 2 *", "day_of_month"),
    ],
)
def test_parse_cron_expression_rejects_bad_input(expr, field):
    with raises_on(field):
        parse_cron_expression(expr)


def test_parse_cron_expression_rejects_an_unknown_timezone():
    with raises_on("timezone"):
        parse_cron_expression("0 2 * * *", timezone="Mars/Olympus")


@pytest.mark.parametrize(
    "expr,units",
    [
        ("4h", {"hours": 4}),
        ("30m", {"minutes": 30}),
        ("90s", {"seconds": 90}),
        ("1d", {"days": 1}),
        ("2w", {"weeks": 2}),
        ("1h30m", {"hours": 1, "minutes": 30}),
        ("1h 30m", {"hours": 1, "minutes": 30}),
        (" 2H ", {"hours": 2}),
        ("1.5h", {"hours": 1.5}),
        ("1d0h", {"days": 1}),
    ],
)
def test_parse_every(expr, units):
    assert parse_every(expr) == {"type": "interval", **units}


@pytest.mark.parametrize(
    "expr", ["", "  ", "4", "h", "4x", "1h1h", "0m", "-1h", "4h30", "1,5h", None]
)
def test_parse_every_rejects_bad_input(expr):
    with raises_on("every"):
        parse_every(expr)


def test_parse_every_message_quotes_the_input():
    with pytest.raises(InvalidScheduleError) as info:
        parse_every("0m")
    assert "'0m'" in info.value.message
