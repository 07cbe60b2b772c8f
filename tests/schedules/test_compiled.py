# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Compiled schedules: parsed once, read like the stored dict, stored as one."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from schedule_helpers import cron, every, utc

from invenio_jobs.schedules import (
    CompiledSchedule,
    CronSchedule,
    IntervalSchedule,
    describe,
    fire_times,
    next_fire_after,
    parse_cron_expression,
    parse_every,
    plan_fires,
    validate_schedule,
    validation,
)


def test_validate_returns_a_compiled_schedule_of_the_right_kind():
    assert isinstance(validate_schedule(cron(minute="0")), CronSchedule)
    assert isinstance(validate_schedule(every(hours=4)), IntervalSchedule)


def test_compiled_schedule_reads_like_its_stored_dict():
    compiled = validate_schedule(cron(minute="*/15", timezone="Europe/Zurich"))
    stored = compiled.data
    assert compiled == stored and stored == compiled
    assert dict(compiled) == stored
    assert compiled["minute"] == "*/15" and compiled.get("timezone") == "Europe/Zurich"
    assert "CronSchedule(" in repr(compiled)


def test_data_is_a_plain_dict_to_store_and_a_new_copy_each_time():
    compiled = validate_schedule(every(hours=4))
    stored = compiled.data
    assert type(stored) is dict
    assert json.loads(json.dumps(stored)) == {"type": "interval", "hours": 4}
    stored["hours"] = 5
    assert compiled["hours"] == 4 and compiled.data["hours"] == 4


def test_compiled_schedule_cannot_be_changed():
    compiled = validate_schedule(every(hours=4))
    with pytest.raises(TypeError):
        compiled["hours"] = 5


def test_validating_a_compiled_schedule_returns_it_without_parsing(schedule_parses):
    compiled = validate_schedule(cron(minute="0"))
    assert schedule_parses.call_count == 1
    assert validate_schedule(compiled) is compiled
    assert validate_schedule(compiled, default_timezone="Europe/Zurich") is compiled
    assert schedule_parses.call_count == 1


def test_a_compiled_schedule_answers_every_question_without_parsing(schedule_parses):
    compiled = validate_schedule(cron(minute="0", hour="2"))
    after = utc(2026, 5, 4, 10)
    assert next_fire_after(compiled, after) == utc(2026, 5, 5, 2)
    assert len(fire_times(compiled, after, count=3)) == 3
    assert plan_fires(compiled, utc(2026, 5, 5, 2), utc(2026, 5, 5, 2)).fires
    assert describe(compiled) == "every day at 02:00 UTC"
    assert schedule_parses.call_count == 1


@pytest.mark.parametrize(
    "ask",
    [
        lambda schedule: next_fire_after(schedule, utc(2026, 5, 4)),
        lambda schedule: fire_times(schedule, utc(2026, 5, 4), count=5),
        lambda schedule: plan_fires(schedule, utc(2026, 5, 4), utc(2026, 5, 4, 1)),
        describe,
    ],
)
@pytest.mark.parametrize("schedule", [cron(minute="*/5"), every(minutes=5)])
def test_a_stored_schedule_is_parsed_once_per_call(schedule_parses, ask, schedule):
    ask(schedule)
    assert schedule_parses.call_count == 1


def test_a_valid_crontab_goes_through_celerys_parser_once():
    with mock.patch.object(
        validation, "crontab", wraps=validation.crontab
    ) as celery_parser:
        validate_schedule(cron(minute="0,30", hour="9-17", day_of_week="mon-fri"))
    assert celery_parser.call_count == 1


def test_an_interval_knows_its_length():
    assert validate_schedule(every(hours=1, minutes=30)).delta == timedelta(minutes=90)


def test_anchoring_an_interval_keeps_the_compiled_one_as_it_is(schedule_parses):
    compiled = validate_schedule(every(hours=4))
    anchored = compiled.anchored(utc(2026, 5, 4, 1))
    assert anchored == compiled and anchored.anchor == utc(2026, 5, 4, 1)
    assert compiled.anchor is None
    assert anchored.next_after(utc(2026, 5, 4, 10)) == utc(2026, 5, 4, 13)
    assert compiled.next_after(utc(2026, 5, 4, 10)) == utc(2026, 5, 4, 14)
    assert next_fire_after(
        compiled, utc(2026, 5, 4, 10), anchor=utc(2026, 5, 4, 1)
    ) == (utc(2026, 5, 4, 13))
    assert schedule_parses.call_count == 1


def test_a_crontab_has_no_grid_to_anchor():
    compiled = validate_schedule(cron(minute="0"))
    assert compiled.anchored(utc(2026, 5, 4, 0, 7)) is compiled


@pytest.mark.parametrize(
    "stored", [parse_cron_expression("0 2 * * *"), parse_every("1h30m")]
)
def test_short_forms_give_plain_dicts_to_store(stored):
    assert type(stored) is dict
    assert not isinstance(stored, CompiledSchedule)
    assert json.loads(json.dumps(stored)) == stored
