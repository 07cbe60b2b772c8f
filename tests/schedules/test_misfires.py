# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The misfire plan of a due job: grace, coalesce, skip, catch up."""

import time
from datetime import datetime, timedelta

import pytest
from schedule_helpers import UTC, cron, every, raises_on, utc

from invenio_jobs.schedules import MISFIRE_POLICIES, FirePlan, plan_fires


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
