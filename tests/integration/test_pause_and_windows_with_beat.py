# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Pause all and maintenance windows with real beat and worker processes.

PostgreSQL and Redis; the pause and the windows are set through their
services, as the API and the CLI do, while ``celery beat`` runs.
"""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from test_beat import (
    STARTED,
    assert_clean_log,
    create_job,
    every,
    fires_by_job,
    runs,
    utcnow,
)

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs, current_runs_service

SETTINGS = dict(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=2, JOBS_SCHEDULER_MAX_CATCH_UP=3)
POLICIES = ("coalesce", "skip", "catch_up")


def created_after(database, job_ids, since):
    """The scheduled runs of `job_ids` created at or after `since`."""
    return [row for row in runs(database, job_ids) if row.created >= since]


def first_tick(rows):
    """The runs one look made: those created with the first of `rows`."""
    return [row for row in rows if row.created == rows[0].created] if rows else []


def status_of(database, run_id):
    """A run's status, read from the database."""
    with database.engine.connect() as conn:
        return conn.scalar(sa.select(Run.status).where(Run.id == run_id))


@pytest.mark.timeout(300)
def test_pause_holds_every_fire_manual_runs_work_resume_applies_each_policy(
    app, database, start_worker, start_beat
):
    """Paused: no scheduled run, a manual one runs; resumed: each policy."""
    start_worker()
    beat = start_beat(max_interval=1, **SETTINGS)
    beat.wait_for_log(STARTED)
    jobs = {
        policy: create_job(policy, every(1), misfire_policy=policy, allow_overlap=True)
        for policy in POLICIES
    }
    ids = list(jobs.values())
    wait_until(
        lambda: all(len(f) >= 2 for f in fires_by_job(database, ids).values())
        and len(fires_by_job(database, ids)) == 3,
        timeout=30,
        message="jobs firing",
    )
    current_jobs.pause_service.pause(system_identity, {"reason": "Upgrade"})
    time.sleep(2)  # a look that claimed before the pause may still commit
    held_from = utcnow()
    before = fires_by_job(database, ids)

    manual = current_runs_service.create(system_identity, str(jobs["skip"]), {})
    wait_until(
        lambda: status_of(database, manual.id) == RunStatusEnum.SUCCESS,
        timeout=60,
        message="the manual run ends while paused",
    )
    time.sleep(6)
    assert created_after(database, ids, held_from) == []
    assert fires_by_job(database, ids) == before

    resumed = utcnow()
    current_jobs.pause_service.resume(system_identity)
    wait_until(
        lambda: all(
            len(created_after(database, [job_id], resumed)) >= 3 for job_id in ids
        ),
        timeout=30,
        message="jobs firing after the resume",
    )
    beat.stop()
    for policy, job_id in jobs.items():
        after = created_after(database, [job_id], resumed)
        last_before = before[job_id][-1]
        assert all(row.scheduled_at > last_before for row in after)
        tick = first_tick(after)
        triggers = [row.trigger for row in tick]
        if policy == "coalesce":
            assert triggers == ["coalesce"]
        elif policy == "skip":
            assert triggers in ([], ["scheduled"])
            assert all(row.trigger == "scheduled" for row in after)
        else:
            assert triggers == ["catch_up"] * 3
    assert_clean_log(beat)


def _window_of_this_minute():
    """A window of the current UTC minute, with most of it still ahead."""
    now = utcnow()
    if now.second > 40:
        time.sleep(61 - now.second)
        now = utcnow()
    start = now.replace(second=0, microsecond=0)
    window = current_jobs.windows_service.create(
        system_identity,
        {
            "title": "This minute",
            "cron": f"{start.minute} {start.hour} * * *",
            "timezone": "UTC",
            "duration": 1,
        },
    )
    return window, start + timedelta(minutes=1)


@pytest.mark.timeout(300)
def test_window_holds_fires_releases_them_at_its_end_and_spares_opted_out_jobs(
    app, database, start_worker, start_beat
):
    """Inside the window only the opted-out job fires; at its end, the policies."""
    start_worker()
    beat = start_beat(max_interval=1, **SETTINGS)
    beat.wait_for_log(STARTED)
    window, end = _window_of_this_minute()
    assert window["in_force_until"] == end.isoformat()
    inside = utcnow()
    coalesce = create_job("Coalesce", every(2), allow_overlap=True)
    catch_up = create_job(
        "Catch up", every(2), misfire_policy="catch_up", allow_overlap=True
    )
    free = create_job(
        "Health check", every(2), allow_overlap=True, ignore_maintenance_windows=True
    )
    held = [coalesce, catch_up]
    time.sleep(max(0.0, (end - utcnow()).total_seconds() - 1))
    assert created_after(database, held, inside) == []
    during = created_after(database, [free], inside)
    assert len(during) >= 3
    assert all(row.scheduled_at < end for row in during)

    wait_until(
        lambda: all(len(created_after(database, [j], end)) >= 2 for j in held),
        timeout=30,
        message="held jobs firing after the window",
    )
    beat.stop()
    released = {j: first_tick(created_after(database, [j], end)) for j in held}
    assert [row.trigger for row in released[coalesce]] == ["coalesce"]
    assert [row.trigger for row in released[catch_up]] == ["catch_up"] * 3
    # The runs released include fires the window held.
    assert released[catch_up][0].scheduled_at < end
    assert "held by a maintenance window" in beat.log
    assert_clean_log(beat)
