# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The beat scheduler, driven tick by tick in the test process, on SQLite.

Each test commits for real (the scheduler's transaction is what is tested),
so the tables are emptied after each test. Sending to the broker is replaced
by a recorder, except where sending itself is tested.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from celery import current_app as current_celery_app
from helpers import count_queries, utc
from invenio_access.permissions import system_identity

from invenio_jobs.beat import scheduler as scheduler_module
from invenio_jobs.lifecycle import Dispatch
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.services.scheduler import RunScheduler

T0 = utc(2026, 3, 2, 12, 0, 0)
"""Anchor of the interval jobs of these tests."""

MINUTE = {"type": "interval", "minutes": 1}


pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture()
def sent(monkeypatch):
    """What the scheduler hands to ``send_runs``, instead of a broker."""
    calls = []

    def record(dispatches):
        calls.append(list(dispatches))
        return [d.run_id for d in dispatches]

    monkeypatch.setattr(scheduler_module, "send_runs", record)
    return calls


@pytest.fixture()
def maintenance(monkeypatch):
    """The maintenance tasks' sends, recorded instead of sent."""
    calls = []
    for task in (
        scheduler_module.reap_runs,
        scheduler_module.prune_runs,
        scheduler_module.keep_log_partitions,
    ):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda _name=task.name, **kw: calls.append({"task": _name, **kw}),
        )
    return calls


@pytest.fixture()
def scheduler(app):
    """A scheduler on the test Celery app, as ``celery beat`` builds it."""
    return RunScheduler(app=current_celery_app._get_current_object())


@pytest.fixture()
def config(app, monkeypatch):
    """Set scheduler settings for one test."""

    def set_(**values):
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return set_


def add_jobs(database, count=1, **values):
    """Insert active interval jobs directly, to control every time; their ids.

    They allow overlapping runs unless told otherwise, so that successive
    ticks of a test are not skipped because the previous run is still queued.
    """
    rows = []
    for i in range(count):
        row = dict(
            id=uuid.uuid4(),
            title=f"Job {i}",
            task="no_args",
            active=True,
            schedule=MINUTE,
            run_args={"n": i},
            default_queue="low",
            schedule_anchor=T0,
            next_run_at=T0 + timedelta(minutes=1),
            misfire_policy="coalesce",
            allow_overlap=True,
            overlap_skips=0,
            timeout=None,
            max_retries=0,
            notifications=None,
            created=T0,
            updated=T0,
        )
        row.update(values)
        rows.append(row)
    with database.engine.begin() as conn:
        conn.execute(sa.insert(Job.__table__), rows)
    return [row["id"] for row in rows]


def add_job(database, **values):
    """Insert one job; its id."""
    return add_jobs(database, 1, **values)[0]


def runs_of(database, job_id):
    """The runs of a job, oldest fire time first."""
    database.session.expire_all()
    return database.session.scalars(
        sa.select(Run).where(Run.job_id == job_id).order_by(Run.scheduled_at)
    ).all()


def job(database, job_id):
    """The job as stored now."""
    database.session.expire_all()
    return database.session.get(Job, job_id)


def test_due_job_gets_one_queued_run_at_its_fire_time(database, scheduler, sent):
    """A due job: one QUEUED run, scheduled at the fire time, then sent."""
    job_id = add_job(database, timeout=600)
    fire = T0 + timedelta(minutes=1)

    tick = scheduler.tick_jobs(now=fire + timedelta(seconds=2))

    (run,) = runs_of(database, job_id)
    assert run.status is RunStatusEnum.QUEUED
    assert run.scheduled_at == fire
    assert run.trigger == "scheduled"
    assert run.title == "Job 0"
    assert run.args == {"n": 0}
    assert run.queue == "low"
    assert run.started_by_id is None and run.parent_run_id is None
    assert uuid.UUID(run.task_id)
    assert sent == [
        [Dispatch(run_id=run.id, queue="low", task_id=run.task_id, timeout=600)]
    ]
    assert tick.dispatches == sent[0]


def test_run_uses_the_default_queue_when_the_job_has_none(database, scheduler, sent):
    """A job without a queue sends its runs to JOBS_DEFAULT_QUEUE."""
    job_id = add_job(database, default_queue=None)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    (run,) = runs_of(database, job_id)
    assert run.queue == "celery"
    assert sent[0][0].queue == "celery"


def test_job_not_due_or_inactive_gets_no_run(database, scheduler, sent):
    """Only active jobs whose next fire time has come are run."""
    later = add_job(database, next_run_at=T0 + timedelta(minutes=5))
    inactive = add_job(database, active=False)
    unscheduled = add_job(database, schedule=None, next_run_at=None)

    scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=1))

    for job_id in (later, inactive, unscheduled):
        assert runs_of(database, job_id) == []
    assert sent == []
    assert job(database, later).next_run_at == T0 + timedelta(minutes=5)
    assert job(database, inactive).next_run_at == T0 + timedelta(minutes=1)


def test_next_run_at_advances_on_the_grid(database, scheduler, sent):
    """After a fire, the next fire time stays on anchor + k * interval."""
    job_id = add_job(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=7))
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=2)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=2, seconds=1))
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=3)
    fires = [run.scheduled_at for run in runs_of(database, job_id)]
    assert fires == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_job_created_through_the_service_fires_at_its_next_run(
    database, scheduler, sent
):
    """The service computes next_run_at; the scheduler fires exactly then."""
    item = current_jobs_service.create(
        system_identity,
        {"title": "Nightly", "task": "no_args", "schedule": MINUTE},
    )
    stored = job(database, uuid.UUID(item.id))
    first = stored.next_run_at
    assert first == stored.schedule_anchor + timedelta(minutes=1)

    scheduler.tick_jobs(now=first - timedelta(seconds=1))
    assert runs_of(database, stored.id) == []
    scheduler.tick_jobs(now=first)
    (run,) = runs_of(database, stored.id)
    assert run.scheduled_at == first
    assert job(database, stored.id).next_run_at == first + timedelta(minutes=1)


def test_missed_fires_coalesce_into_one_run(database, scheduler, sent, config):
    """Coalesce: ten missed fire times make one run, at the latest of them."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10)
    job_id = add_job(database, misfire_policy="coalesce")
    scheduler.tick_jobs(now=T0 + timedelta(minutes=10, seconds=30))
    (run,) = runs_of(database, job_id)
    assert run.scheduled_at == T0 + timedelta(minutes=10)
    assert run.trigger == "coalesce"
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=11)


def test_missed_fires_are_skipped(database, scheduler, sent, config):
    """Skip: missed fire times make no run; the next fire is on time again."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10)
    job_id = add_job(database, misfire_policy="skip")
    scheduler.tick_jobs(now=T0 + timedelta(minutes=10, seconds=30))
    assert runs_of(database, job_id) == []
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=11)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=11, seconds=1))
    (run,) = runs_of(database, job_id)
    assert run.scheduled_at == T0 + timedelta(minutes=11)
    assert run.trigger == "scheduled"


def test_missed_fires_are_caught_up_to_the_cap(database, scheduler, sent, config):
    """Catch up: one run per missed fire time, the latest ones, up to the cap."""
    config(JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS=10, JOBS_SCHEDULER_MAX_CATCH_UP=3)
    job_id = add_job(database, misfire_policy="catch_up")
    scheduler.tick_jobs(now=T0 + timedelta(minutes=10, seconds=30))
    runs = runs_of(database, job_id)
    assert [run.scheduled_at for run in runs] == [
        T0 + timedelta(minutes=m) for m in (8, 9, 10)
    ]
    assert {run.trigger for run in runs} == {"catch_up"}
    assert [d.run_id for d in sent[0]] == [run.id for run in runs]
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=11)


def test_fire_while_previous_run_active_is_skipped_and_counted(
    database, scheduler, sent, caplog
):
    """No overlap: a fire finds a queued/running run, creates none, counts it."""
    busy, free, child_only = add_jobs(database, 3, allow_overlap=False)
    overlapping = add_job(database, allow_overlap=True)
    parent = uuid.uuid4()
    database.session.add_all(
        [
            Run(job_id=busy, queue="low", status=RunStatusEnum.RUNNING),
            Run(job_id=free, queue="low", status=RunStatusEnum.SUCCESS),
            Run(job_id=overlapping, queue="low", status=RunStatusEnum.QUEUED),
            Run(id=parent, job_id=child_only, queue="low", status=RunStatusEnum.FAILED),
            Run(
                job_id=child_only,
                parent_run_id=parent,
                queue="low",
                status=RunStatusEnum.RUNNING,
            ),
        ]
    )
    database.session.commit()
    fire = T0 + timedelta(minutes=1)

    with caplog.at_level(logging.WARNING, logger=scheduler_module.__name__):
        tick = scheduler.tick_jobs(now=fire)

    assert [r.scheduled_at for r in runs_of(database, busy)] == [None]
    assert job(database, busy).overlap_skips == 1
    assert job(database, busy).next_run_at == fire + timedelta(minutes=1)
    for job_id in (free, overlapping, child_only):
        assert fire in [r.scheduled_at for r in runs_of(database, job_id)]
        assert job(database, job_id).overlap_skips == 0
    assert tick.skipped == 1
    assert len(sent[0]) == 3
    (line,) = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert str(busy) in line and fire.isoformat() in line
    assert "skipped: previous run still active" in line


def test_second_scheduler_at_the_same_time_creates_no_duplicate(database, app, sent):
    """Two beats for the same fire time: one run; the second neither fails nor sends."""
    job_id = add_job(database)
    fire = T0 + timedelta(minutes=1)
    first = RunScheduler(app=current_celery_app._get_current_object())
    second = RunScheduler(app=current_celery_app._get_current_object())

    first.tick_jobs(now=fire)
    # The second beat read the job before the first one committed.
    database.session.execute(
        sa.update(Job).where(Job.id == job_id).values(next_run_at=fire)
    )
    database.session.commit()
    tick = second.tick_jobs(now=fire)

    assert [r.scheduled_at for r in runs_of(database, job_id)] == [fire]
    assert tick.dispatches == []
    assert len(sent) == 1
    assert job(database, job_id).next_run_at == fire + timedelta(minutes=1)


def test_conflict_drops_only_that_run_not_the_batch(database, scheduler, sent):
    """A fire time already queued is left alone; the other jobs still get runs."""
    queued, other = add_jobs(database, 2)
    fire = T0 + timedelta(minutes=1)
    existing = Run(
        job_id=queued, queue="low", scheduled_at=fire, status=RunStatusEnum.SUCCESS
    )
    database.session.add(existing)
    database.session.commit()

    tick = scheduler.tick_jobs(now=fire)

    assert [r.id for r in runs_of(database, queued)] == [existing.id]
    assert [r.scheduled_at for r in runs_of(database, other)] == [fire]
    assert [d.run_id for d in tick.dispatches] == [runs_of(database, other)[0].id]
    assert job(database, queued).next_run_at == fire + timedelta(minutes=1)


def test_sleep_until_the_earliest_fire_time_capped(database, scheduler, sent, config):
    """The tick asks to sleep until the next fire time, never longer than the cap."""
    config(JOBS_SCHEDULER_MAX_INTERVAL=5)
    assert scheduler.tick_jobs(now=T0).delay == 5
    add_job(database, next_run_at=T0 + timedelta(hours=1))
    assert scheduler.tick_jobs(now=T0).delay == 5
    add_job(database, next_run_at=T0 + timedelta(seconds=2.5))
    assert scheduler.tick_jobs(now=T0).delay == 2.5
    # After firing, the job's next fire time (a minute later) counts.
    add_job(database, next_run_at=T0 + timedelta(seconds=1))
    assert scheduler.tick_jobs(now=T0 + timedelta(seconds=2)).delay == 0.5


def test_full_batch_asks_for_an_immediate_next_tick(database, scheduler, sent, config):
    """More due jobs than a batch: the tick returns 0 and the next takes the rest."""
    config(JOBS_SCHEDULER_BATCH_SIZE=3)
    job_ids = add_jobs(database, 5)
    now = T0 + timedelta(minutes=1)
    assert scheduler.tick_jobs(now=now).delay == 0
    assert scheduler.tick_jobs(now=now).delay > 0
    assert all(len(runs_of(database, job_id)) == 1 for job_id in job_ids)


def test_idle_tick_is_one_statement_among_1000_jobs(database, scheduler, sent):
    """Nothing due among 1,000 scheduled jobs: one SQL statement in all."""
    add_jobs(database, 1000, next_run_at=T0 + timedelta(minutes=5))
    with count_queries(database.engine) as statements:
        tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    assert len(statements) == 1, statements
    assert tick.delay == 5
    assert sent == []


def test_busy_tick_costs_the_same_statements_for_3_or_60_due_jobs(
    database, scheduler, sent
):
    """Due jobs cost a fixed number of statements, not one per job."""
    counts = []
    for due in (3, 60):
        add_jobs(database, due, allow_overlap=False)
        add_jobs(database, 100, next_run_at=T0 + timedelta(minutes=5))
        with count_queries(database.engine) as statements:
            tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
        assert len(tick.dispatches) == due
        counts.append(len(statements))
        with database.engine.begin() as conn:
            conn.execute(sa.delete(Run.__table__))
            conn.execute(sa.delete(Job.__table__))
    assert counts[0] == counts[1] == 5  # claim, active runs, numbers, insert, advance


def test_run_that_cannot_be_sent_stays_queued(database, scheduler, monkeypatch):
    """Broker down: the run is committed QUEUED, undispatched, for the reaper."""
    from invenio_jobs import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.execute_run, "apply_async", broker_down)
    job_id = add_job(database)
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    (run,) = runs_of(database, job_id)
    assert run.status is RunStatusEnum.QUEUED
    assert run.dispatched_at is None
    assert [d.run_id for d in tick.dispatches] == [run.id]
    assert job(database, job_id).next_run_at == T0 + timedelta(minutes=2)


def test_sent_run_is_marked_dispatched(database, scheduler, monkeypatch):
    """The real ``send_runs`` is given the run, made as sent, with no delay."""
    from invenio_jobs import tasks

    given = []
    monkeypatch.setattr(
        tasks.execute_run, "apply_async", lambda *a, **kw: given.append(kw)
    )
    job_id = add_job(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    (run,) = runs_of(database, job_id)
    assert given == [dict(args=(str(run.id), None), queue="low", task_id=run.task_id)]
    assert run.dispatched_at is not None
    assert run.due_at is None


def test_job_with_a_broken_schedule_is_unscheduled_not_fatal(
    database, scheduler, sent, caplog
):
    """A stored schedule that no longer validates stops that job only."""
    broken = add_job(database, schedule={"type": "interval", "fortnights": 1})
    fine = add_job(database)
    scheduler.tick_jobs(now=T0 + timedelta(minutes=1))
    assert job(database, broken).next_run_at is None
    assert runs_of(database, broken) == []
    assert len(runs_of(database, fine)) == 1
    assert any(str(broken) in r.getMessage() for r in caplog.records)


def test_beat_tick_survives_a_database_error(
    database, scheduler, sent, maintenance, monkeypatch, caplog, config
):
    """A failing tick is logged and retried; beat keeps going."""
    config(JOBS_SCHEDULER_MAX_INTERVAL=3)
    add_job(database, next_run_at=T0)
    real = scheduler_module.claim_due_jobs
    monkeypatch.setattr(
        scheduler_module,
        "claim_due_jobs",
        lambda *args: sa.text("SELECT earliest FROM no_such_table"),
    )
    with caplog.at_level(logging.ERROR):
        delay = scheduler.tick()
    assert 0 < delay <= 3
    assert "tick failed" in caplog.text
    monkeypatch.setattr(scheduler_module, "claim_due_jobs", real)
    scheduler._jobs_check_at = 0  # the retry is due
    scheduler.tick()
    assert len(sent) == 1


def test_beat_tick_runs_static_entries_jobs_and_maintenance(
    database, app, sent, maintenance, monkeypatch, config
):
    """The Celery beat_schedule still runs; maintenance goes out once per interval."""
    config(
        JOBS_MAINTENANCE_INTERVAL=30,
        JOBS_PRUNE_INTERVAL=3600,
        JOBS_SCHEDULER_MAX_INTERVAL=5,
    )
    celery = current_celery_app._get_current_object()
    monkeypatch.setitem(
        celery.conf,
        "beat_schedule",
        {"ping": {"task": "ping.task", "schedule": timedelta(seconds=0.5)}},
    )
    applied = []
    monkeypatch.setattr(RunScheduler, "producer", None)
    monkeypatch.setattr(
        RunScheduler, "apply_async", lambda self, entry, **kw: applied.append(entry)
    )
    scheduler = RunScheduler(app=celery, max_interval=7)
    job_id = add_job(database, next_run_at=T0)

    time.sleep(0.6)  # the static entry is due
    scheduler.tick()
    scheduler.tick()

    assert "ping" in scheduler.schedule
    assert [entry.name for entry in applied] == ["ping"]
    assert maintenance == [
        {"task": "invenio_jobs.tasks.reap_runs", "queue": "celery"},
        {"task": "invenio_jobs.tasks.prune_runs", "queue": "celery"},
        {"task": "invenio_jobs.tasks.keep_log_partitions", "queue": "celery"},
    ]
    assert len(runs_of(database, job_id)) == 1
    assert len(sent) == 1


def test_tick_compiles_each_due_job_schedule_once(
    database, scheduler, sent, schedule_parses
):
    """A tick parses the schedule of each due job once, and no other schedule."""
    every_minute = {"type": "crontab", "minute": "*", "timezone": "Europe/Zurich"}
    due = add_jobs(database, 3) + [add_job(database, schedule=every_minute)]
    add_job(database, next_run_at=T0 + timedelta(minutes=5))  # not due

    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=1))

    assert len(tick.dispatches) == len(due)
    assert schedule_parses.call_count == len(due)
    schedules = [call.args[0] for call in schedule_parses.call_args_list]
    assert schedules.count(MINUTE) == 3 and schedules.count(every_minute) == 1


def test_the_log_partitions_are_kept_just_after_each_hour():
    """``keep_log_partitions`` is sent at start, then seconds after each hour."""
    from invenio_jobs.beat.scheduler import PAST_THE_HOUR, seconds_to_next_hour

    at = datetime(2026, 12, 6, 8, 59, 55, tzinfo=timezone.utc)
    assert seconds_to_next_hour(at) == 5 + PAST_THE_HOUR
    at = datetime(2026, 12, 6, 9, 0, PAST_THE_HOUR, tzinfo=timezone.utc)
    assert seconds_to_next_hour(at) == 3600
