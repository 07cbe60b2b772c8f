# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The beat's look while everything is paused, and inside maintenance windows.

Driven tick by tick on SQLite, like ``test_scheduler``; the pause and the
windows are rows written here directly.
"""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import count_queries
from test_scheduler import (  # noqa: F401 -- fixtures
    T0,
    add_job,
    add_jobs,
    config,
    job,
    runs_of,
    scheduler,
    sent,
)

from invenio_jobs.models import MaintenanceWindow, Pause

pytestmark = pytest.mark.usefixtures("empty_tables")


def pause(database, until=None, reason="Upgrade"):
    """Switch the pause on."""
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(Pause.__table__).values(
                id=1, reason=reason, paused_at=T0, until=until
            )
        )


def resume(database):
    """Switch the pause off."""
    with database.engine.begin() as conn:
        conn.execute(sa.delete(Pause.__table__))


def add_window(database, cron_hour=12, minute=5, duration=10, active=True):
    """A daily window from ``hh:mm`` UTC lasting `duration` minutes."""
    with database.engine.begin() as conn:
        conn.execute(
            sa.insert(MaintenanceWindow.__table__).values(
                id=uuid.uuid4(),
                title="Nightly",
                schedule={
                    "type": "crontab",
                    "minute": str(minute),
                    "hour": str(cron_hour),
                    "day_of_week": "*",
                    "day_of_month": "*",
                    "month_of_year": "*",
                    "timezone": "UTC",
                },
                duration=duration,
                active=active,
                created=T0,
                updated=T0,
            )
        )


def test_paused_look_creates_no_run_and_keeps_the_fire_due(database, scheduler, sent):
    """While paused no job is claimed; its next fire stays where it was."""
    job_id = add_job(database)
    pause(database)
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=3))
    assert tick.paused
    assert runs_of(database, job_id) == []
    assert sent == []
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    "policy, fires",
    [
        ("coalesce", [10]),
        ("skip", []),
        ("catch_up", [8, 9, 10]),
    ],
)
def test_resume_applies_each_jobs_misfire_policy(
    database, scheduler, sent, config, policy, fires
):
    """Fires missed while paused become what the job's misfire policy says."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10, JOBS_SCHEDULER_MAX_CATCH_UP=3)
    job_id = add_job(database, misfire_policy=policy)
    pause(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=5))
    resume(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=10, seconds=30))
    runs = runs_of(database, job_id)
    assert [r.scheduled_at for r in runs] == [T0 + timedelta(minutes=m) for m in fires]
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=11)


def test_pause_with_until_ends_by_itself(database, scheduler, sent, config):
    """A pause whose ``until`` passed holds nothing; the look sleeps until it."""
    config(JOBS_SCHEDULER_MAX_INTERVAL=3600)
    job_id = add_job(database)
    pause(database, until=T0 + timedelta(minutes=2))
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=30))
    assert tick.paused and tick.delay == 30
    assert runs_of(database, job_id) == []
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=2))
    assert not tick.paused
    assert len(runs_of(database, job_id)) == 1


def test_paused_look_is_one_statement(database, scheduler, sent):
    """The pause is read inside the claim: a paused look is still one statement."""
    add_jobs(database, 50)
    pause(database)
    with count_queries(database.engine) as statements:
        tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=2))
    assert tick.paused
    assert len(statements) == 1, statements


def test_window_holds_fires_until_its_end_then_the_policy_applies(
    database, scheduler, sent, config
):
    """Fires inside 12:05-12:15 wait; at 12:15 coalesce makes one run."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10, JOBS_SCHEDULER_MAX_INTERVAL=3600)
    add_window(database, minute=5, duration=10)
    job_id = add_job(database, next_run_at=T0 + timedelta(minutes=6))
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=6))
    assert tick.held == 1 and tick.dispatches == []
    stored = job(database, job_id)
    assert stored.next_run_at == T0 + timedelta(minutes=15)
    assert stored.held_since == T0 + timedelta(minutes=6)
    assert tick.delay == 9 * 60  # the look sleeps until the window ends
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=15))
    (run,) = runs_of(database, job_id)
    assert run.scheduled_at == T0 + timedelta(minutes=15)
    assert run.trigger == "coalesce"  # the held fires were missed: the policy
    assert job(database, job_id).held_since is None


def test_window_release_with_catch_up_queues_each_held_fire(
    database, scheduler, sent, config
):
    """Catch up: every fire held by the window runs at its end, up to the cap."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10, JOBS_SCHEDULER_MAX_CATCH_UP=20)
    add_window(database, minute=5, duration=10)
    job_id = add_job(
        database, misfire_policy="catch_up", next_run_at=T0 + timedelta(minutes=5)
    )
    for minute in (5, 6, 9, 14):
        scheduler.tick_jobs(now=T0 + timedelta(minutes=minute))
    assert runs_of(database, job_id) == []
    assert job(database, job_id).held_since == T0 + timedelta(minutes=5)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=15, seconds=1))
    runs = runs_of(database, job_id)
    assert [r.scheduled_at for r in runs] == [
        T0 + timedelta(minutes=m) for m in range(5, 16)
    ]


def test_job_ignoring_windows_fires_inside_one(database, scheduler, sent):
    """A job that opts out of maintenance windows fires on time inside one."""
    add_window(database, minute=0, duration=30)
    held = add_job(database)
    free = add_job(database, ignore_maintenance_windows=True)
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    assert tick.held == 1
    assert runs_of(database, held) == []
    (run,) = runs_of(database, free)
    assert run.scheduled_at == T0 + timedelta(minutes=1)


def test_inactive_window_holds_nothing(database, scheduler, sent):
    """A window switched off is not in force."""
    add_window(database, minute=0, duration=30, active=False)
    job_id = add_job(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    assert len(runs_of(database, job_id)) == 1


def test_windows_cost_one_statement_only_when_defined(database, scheduler, sent):
    """Without windows a busy look stays at five statements; with them, six."""
    counts = []
    for with_window in (False, True):
        if with_window:
            add_window(database, cron_hour=3)
        add_jobs(database, 5, allow_overlap=False)
        with count_queries(database.engine) as statements:
            tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
        assert len(tick.dispatches) == 5
        counts.append(len(statements))
        with database.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM jobs_run"))
            conn.execute(sa.text("DELETE FROM jobs_job"))
    assert counts == [5, 6]
