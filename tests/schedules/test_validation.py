# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Validation: strict checks that name the field, the stored form."""

import pytest
from schedule_helpers import cron, every, raises_on, utc

from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import next_fire_after, validate_schedule


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
        ({"hours": 0}, "hours"),
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
