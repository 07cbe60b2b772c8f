# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Schedules in words, and the short forms people type."""

import pytest
from schedule_helpers import cron, every, raises_on

from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import describe, parse_cron_expression, parse_every


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
