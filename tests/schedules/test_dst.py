# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Crontabs on the wall clock of their time zone, through DST changes."""

import pytest
from schedule_helpers import between, cron, utc

from invenio_jobs.schedules import fire_times, next_fire_after


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
