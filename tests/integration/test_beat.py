# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``celery beat`` with the job scheduler: real processes, PostgreSQL, Redis.

Beat processes are started with ``--max-interval 1``; fire times are checked
against each job's grid (``schedule_anchor + k * interval``), read back from
the database.
"""

import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from celery import current_app as current_celery_app
from conftest import wait_until
from invenio_access.permissions import system_identity

from invenio_jobs.beat import scheduler as scheduler_module
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.services.scheduler import RunScheduler

STARTED = "beat: Starting..."


def utcnow():
    """Now, aware, in UTC."""
    return datetime.now(timezone.utc)


def every(seconds):
    """An interval schedule."""
    return {"type": "interval", "seconds": seconds}


def create_job(title, schedule, **values):
    """Create a job through the service, as the admin UI does; its id."""
    data = {"title": title, "task": "no_args", "schedule": schedule, **values}
    return uuid.UUID(current_jobs_service.create(system_identity, data).id)


def update_job(job_id, data):
    """Change a job through the service."""
    current_jobs_service.update(system_identity, str(job_id), data)


def runs(database, job_ids=None):
    """(job_id, scheduled_at, status, trigger, created) of the scheduled runs."""
    statement = sa.select(
        Run.job_id, Run.scheduled_at, Run.status, Run.trigger, Run.created
    ).where(Run.scheduled_at.is_not(None))
    if job_ids is not None:
        statement = statement.where(Run.job_id.in_(list(job_ids)))
    with database.engine.connect() as conn:
        return conn.execute(statement.order_by(Run.scheduled_at)).all()


def fires_by_job(database, job_ids=None):
    """Fire times of the scheduled runs, per job, in order."""
    fires = defaultdict(list)
    for row in runs(database, job_ids):
        fires[row.job_id].append(row.scheduled_at)
    return fires


def anchors(database, job_ids):
    """The grid anchor of each job."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            sa.select(Job.id, Job.schedule_anchor).where(Job.id.in_(list(job_ids)))
        ).all()
    return dict(rows)


def on_grid(fire, anchor, seconds):
    """Whether a fire time is ``anchor + k * interval`` for some k >= 1."""
    steps = (fire - anchor) / timedelta(seconds=seconds)
    return steps >= 1 and abs(steps - round(steps)) < 1e-6


def assert_clean_log(process):
    """The process logged no traceback and no failed tick."""
    log = process.log
    assert "Traceback" not in log, log[-5000:]
    assert "tick failed" not in log, log[-5000:]


def runs_left(database, job_ids, worker) -> str:
    """What is left unfinished, and the worker's last words: a failure's story."""
    statement = (
        sa.select(Run.status, sa.func.count(), sa.func.min(Run.created))
        .where(Run.job_id.in_(list(job_ids)))
        .group_by(Run.status)
    )
    with database.engine.connect() as conn:
        counts = conn.execute(statement).all()
        stuck = conn.execute(
            sa.select(Run.id, Run.status, Run.worker, Run.started_at, Run.heartbeat_at)
            .where(
                Run.job_id.in_(list(job_ids)),
                Run.status != RunStatusEnum.SUCCESS,
            )
            .limit(5)
        ).all()
    return (
        f"runs by status: {counts}\nsome not ended: {stuck}\n"
        f"worker log (end):\n{worker.log[-4000:]}"
    )


@pytest.mark.timeout(480)
def test_three_beats_fire_every_grid_time_exactly_once(
    app, database, start_worker, start_beat
):
    """Three beats, 200 jobs every 2 s for a minute: each fire time once, run."""
    interval, count, window = 2, 200, 60
    worker = start_worker(concurrency=4)
    beats = [start_beat(max_interval=1) for _ in range(3)]
    for beat in beats:
        beat.wait_for_log(STARTED)
    job_ids = [
        create_job(
            f"Beat {i:03d}",
            every(interval),
            misfire_policy="catch_up",
            allow_overlap=True,
            # Inactive until they share one grid: on a slow machine, making
            # 200 jobs takes longer than their first interval.
            active=False,
        )
        for i in range(count)
    ]
    # One grid for all, so that beats wake together and race for the batch.
    anchor = utcnow().replace(microsecond=0) + timedelta(seconds=2)
    with database.engine.begin() as conn:
        conn.execute(
            sa.update(Job)
            .where(Job.id.in_(job_ids))
            .values(
                active=True,
                schedule_anchor=anchor,
                next_run_at=anchor + timedelta(seconds=interval),
            )
        )
    end = anchor + timedelta(seconds=interval + window)
    time.sleep(max(0.0, (end - utcnow()).total_seconds()))
    for beat in beats:
        beat.stop()

    fires = fires_by_job(database, job_ids)
    assert set(fires) == set(job_ids)
    first = anchor + timedelta(seconds=interval)
    for job_id in job_ids:
        times = fires[job_id]
        assert all(on_grid(t, anchor, interval) for t in times), times
        assert len(times) == len(set(times)), "a fire time ran twice"
        # Nothing missing from the first fire to the last one observed.
        assert times[0] == first
        expected = (times[-1] - first) // timedelta(seconds=interval) + 1
        assert len(times) == expected, f"{expected - len(times)} fires missing"
        # Only the tick in flight when beat stopped may be missing at the end.
        assert times[-1] >= end - timedelta(seconds=2 * interval)
    total = sum(len(times) for times in fires.values())
    assert total >= count * window // interval
    for beat in beats:
        assert_clean_log(beat)

    def all_succeeded():
        statuses = {row.status for row in runs(database, job_ids)}
        assert RunStatusEnum.FAILED not in statuses
        return statuses == {RunStatusEnum.SUCCESS}

    # 6,000 runs for one worker of 4 processes: minutes on a loaded machine.
    try:
        wait_until(all_succeeded, timeout=300, interval=1, message="all succeeded")
    except AssertionError:
        raise AssertionError(runs_left(database, job_ids, worker)) from None


def test_changes_while_beat_runs_are_followed(app, database, start_worker, start_beat):
    """A new schedule fires on its new grid; deactivated and deleted jobs stop."""
    start_worker()
    beat = start_beat(max_interval=1)
    beat.wait_for_log(STARTED)
    slow = create_job("Slow", every(60), allow_overlap=True)
    stopped = create_job("Stopped", every(2), allow_overlap=True)
    deleted = create_job("Deleted", every(2), allow_overlap=True)

    def fired(job_id):
        return lambda: fires_by_job(database, [job_id]).get(job_id)

    wait_until(fired(stopped), timeout=20, message="first fire of the 2 s jobs")
    wait_until(fired(deleted), timeout=20, message="first fire of the 2 s jobs")
    update_job(slow, {"schedule": every(2)})
    update_job(stopped, {"active": False})
    current_jobs_service.delete(system_identity, str(deleted))
    changed = utcnow()
    time.sleep(7.5)
    beat.stop()

    new_anchor = anchors(database, [slow])[slow]
    assert new_anchor >= changed - timedelta(seconds=2)
    slow_fires = fires_by_job(database, [slow])[slow]
    assert len(slow_fires) >= 3
    assert all(on_grid(t, new_anchor, 2) for t in slow_fires), slow_fires
    assert slow_fires[0] == new_anchor + timedelta(seconds=2)
    assert all(t <= changed for t in fires_by_job(database, [stopped])[stopped])
    with database.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).where(Run.job_id == deleted)) == 0
        assert conn.scalar(sa.select(Job.next_run_at).where(Job.id == stopped)) is None
    assert_clean_log(beat)


def test_missed_fires_follow_each_policy_after_beat_restarts(
    app, database, start_worker, start_beat
):
    """Beat down for seconds: coalesce makes one run, skip none, catch up three.

    The grace is 2 s (not 1) so that a tick delayed by a busy machine is not
    taken for a misfire; beat is down for much longer than that.
    """
    settings = dict(
        JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=2, JOBS_SCHEDULER_MAX_CATCH_UP=3
    )
    start_worker()
    beat = start_beat(max_interval=1, **settings)
    beat.wait_for_log(STARTED)
    jobs = {
        policy: create_job(policy, every(1), misfire_policy=policy, allow_overlap=True)
        for policy in ("coalesce", "skip", "catch_up")
    }

    def each_fired(at_least):
        def check():
            fires = fires_by_job(database, jobs.values())
            return all(
                len(fires[job_id]) >= at_least(job_id) for job_id in jobs.values()
            )

        return check

    wait_until(each_fired(lambda job_id: 2), timeout=20, message="jobs firing")
    beat.stop()
    before = fires_by_job(database, jobs.values())
    time.sleep(8)
    restart = utcnow()
    beat = start_beat(max_interval=1, **settings)
    beat.wait_for_log(STARTED)
    wait_until(
        each_fired(lambda job_id: len(before[job_id]) + 5),
        timeout=30,
        message="jobs firing after the restart",
    )
    beat.stop()

    rows = runs(database, jobs.values())
    for policy, job_id in jobs.items():
        last_before = before[job_id][-1]
        after = [r for r in rows if r.job_id == job_id and r.scheduled_at > last_before]
        assert all(row.created >= restart for row in after)
        # The first tick after the restart found the missed fire times.
        first_tick = [row for row in after if row.created == after[0].created]
        missed_until = first_tick[-1].scheduled_at
        assert missed_until - last_before >= timedelta(seconds=8)
        triggers = [row.trigger for row in first_tick]
        if policy == "coalesce":
            assert triggers == ["coalesce"]
        elif policy == "skip":
            # At most the fire time still within the grace, on time.
            assert triggers in ([], ["scheduled"])
            assert all(row.trigger == "scheduled" for row in after)
        else:
            assert triggers == ["catch_up"] * 3
            assert [row.scheduled_at for row in first_tick] == [
                missed_until - timedelta(seconds=s) for s in (2, 1, 0)
            ]
        # Then back on the grid, on time.
        rest = after[len(first_tick) :]
        assert len(rest) >= 2
        assert all(
            (t - last_before) % timedelta(seconds=1) == timedelta(0)
            for t in (row.scheduled_at for row in rest)
        )
    assert_clean_log(beat)


def test_beat_survives_losing_its_database_connections(app, database, start_beat):
    """PostgreSQL drops beat's connections: beat replaces them and keeps firing.

    Each pooled connection is tested as it is taken (pre-ping): a dropped
    one is replaced before any tick uses it, so no tick even fails.
    """
    name = f"jobs-beat-{uuid.uuid4().hex[:8]}"
    beat = start_beat(
        max_interval=1,
        SQLALCHEMY_ENGINE_OPTIONS={
            "connect_args": {"options": "-c timezone=UTC", "application_name": name}
        },
    )
    beat.wait_for_log(STARTED)
    job_id = create_job("Robust", every(1), allow_overlap=True)
    wait_until(
        lambda: len(fires_by_job(database, [job_id])[job_id]) >= 2,
        timeout=20,
        message="first fires",
    )
    with database.engine.begin() as conn:
        killed = conn.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": name},
        )
    assert killed >= 1
    cut = utcnow()
    wait_until(
        lambda: len([t for t in fires_by_job(database, [job_id])[job_id] if t > cut])
        >= 3,
        timeout=20,
        message="fires after the connections were dropped",
    )
    assert beat.popen.poll() is None
    assert "tick failed" not in beat.log
    assert "unreachable" not in beat.log
    times = fires_by_job(database, [job_id])[job_id]
    assert len(times) == len(set(times))


def test_claim_skips_jobs_locked_by_another_beat(app, database, monkeypatch):
    """On PostgreSQL, a job another beat holds is skipped, not waited for."""
    sent = []
    monkeypatch.setattr(scheduler_module, "send_runs", sent.extend)
    scheduler = RunScheduler(app=current_celery_app._get_current_object())
    now = utcnow()
    held, free = (
        create_job(name, every(60), allow_overlap=True) for name in ("Held", "Free")
    )
    with database.engine.begin() as conn:
        conn.execute(
            sa.update(Job)
            .where(Job.id.in_([held, free]))
            .values(next_run_at=now - timedelta(seconds=1))
        )

    other_beat = database.engine.connect()
    try:
        other = other_beat.begin()
        other_beat.execute(
            sa.select(Job.id).where(Job.id == held).with_for_update()
        ).all()
        began = time.monotonic()
        scheduler.tick_jobs(now=now)
        assert time.monotonic() - began < 5
        assert set(fires_by_job(database)) == {free}
        other.rollback()
    finally:
        other_beat.close()

    scheduler.tick_jobs(now=now)
    assert set(fires_by_job(database)) == {free, held}
    assert len(sent) == 2


def test_idle_and_busy_ticks_cost_constant_statements_on_postgresql(
    app, database, monkeypatch
):
    """One statement when nothing is due; five for a batch of due jobs.

    Claim, active runs, run numbers, insert runs, advance jobs.
    """
    from sqlalchemy import event

    monkeypatch.setattr(scheduler_module, "send_runs", lambda dispatches: [])
    scheduler = RunScheduler(app=current_celery_app._get_current_object())
    job_ids = [create_job(f"Job {i}", every(60)) for i in range(30)]
    now = utcnow()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        scheduler.tick_jobs(now=now)
        idle = len(statements)
        with database.engine.begin() as conn:
            conn.execute(
                sa.update(Job)
                .where(Job.id.in_(job_ids[:20]))
                .values(next_run_at=now - timedelta(seconds=1))
            )
        statements.clear()
        tick = scheduler.tick_jobs(now=now)
        busy = len(statements)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert idle == 1
    assert busy == 5
    assert len(tick.dispatches) == 20


def test_broken_schedule_alone_in_a_batch_is_unscheduled(app, database, monkeypatch):
    """A batch whose only job cannot be planned still commits (NULL next run)."""
    monkeypatch.setattr(scheduler_module, "send_runs", lambda dispatches: [])
    scheduler = RunScheduler(app=current_celery_app._get_current_object())
    job_id = create_job("Broken", every(60))
    now = utcnow()
    with database.engine.begin() as conn:
        conn.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(schedule={"type": "interval"}, next_run_at=now)
        )
    scheduler.tick_jobs(now=now)
    with database.engine.connect() as conn:
        assert conn.scalar(sa.select(Job.next_run_at).where(Job.id == job_id)) is None
    assert runs(database, [job_id]) == []
