# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The beat scheduler: turns the schedules of active jobs into queued runs.

Run it as the one beat scheduler of an instance::

    celery -A invenio_app.celery beat -S invenio_jobs.services.scheduler:RunScheduler

Schedules live in the database and are read at every tick; nothing is kept in
memory, so a job created or edited in the admin UI is picked up within
``JOBS_SCHEDULER_MAX_INTERVAL`` seconds, and several beat processes may run at
once: each claims due jobs with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and
the unique ``(job_id, scheduled_at)`` of runs keeps a fire time from being
queued twice. The static ``beat_schedule`` of the Celery configuration keeps
working: the base class runs it.

Each due job's schedule is compiled once per tick, by ``plan_fires``, which
also gives its next fire time.

While everything is paused (``jobs_pause``) the claim finds no due job: no
scheduled run is made, and the jobs keep their past ``next_run_at``, so
that on resume (or when the pause's ``until`` passes) each job's misfire
policy decides what its missed fires become. Inside a maintenance window a
due job is held: it moves to the window's end, remembering its first held
fire (``held_since``), and at the end its fires from there are planned with
its misfire policy; a job that ignores windows fires as usual.

A tick with nothing due, or while paused, is one SQL statement; a tick with
due jobs is a fixed number of statements (claim, maintenance windows when
any exist, active runs, run numbers, insert runs, advance jobs), whatever the
number of jobs, and one more after the commit that
marks the batch's runs sent once the broker took them.
"""

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from celery.beat import Scheduler
from celery.utils.log import get_logger
from flask import current_app, has_app_context
from invenio_db import db

from ..broker import BROKER_OUTAGE, is_broker_unreachable
from ..database import Outage, is_unreachable
from ..lifecycle import Dispatch, number_runs, queued_run
from ..models import Run, RunStatusEnum, RunTrigger, utcnow
from ..proxies import current_jobs
from ..schedules import compile_window, held_until, plan_fires
from ..tasks import (
    keep_log_partitions,
    prune_runs,
    reap_runs,
    send_due_runs,
    send_runs,
)
from .statements import active_windows, advance_jobs, claim_due_jobs, insert_runs

logger = get_logger(__name__)

LATE_TRIGGERS = {t: t for t in (RunTrigger.COALESCE, RunTrigger.CATCH_UP)}
"""Misfire policies whose runs record the policy as their trigger."""


@dataclass
class JobsTick:
    """What one look at the job schedules did, for the beat loop and tests."""

    delay: float
    """Seconds until the next look is needed."""

    dispatches: list = field(default_factory=list)
    """The runs created (and handed to ``send_runs``), oldest fire first."""

    skipped: int = 0
    """Fire times that created no run: the job's previous run was active."""

    unavailable: int = 0
    """Fire times that created no run: the job's type is not registered or
    failed to load."""

    paused: bool = False
    """Whether a pause was on: no job was claimed."""

    held: int = 0
    """Due jobs held by a maintenance window until its end."""


@dataclass
class _Batch:
    """What one look plans for its claimed jobs, before the INSERT."""

    runs: list = field(default_factory=list)
    dispatches: list = field(default_factory=list)
    advances: list = field(default_factory=list)
    """``(job_id, next_run_at, skips, held_since)`` of every claimed job."""
    skipped: int = 0
    unavailable: int = 0
    held: int = 0


PAST_THE_HOUR = 10
"""Seconds after each UTC hour begins that beat sends ``keep_log_partitions``.

The hour just ended then gets its trigram index; the few seconds let a
writer's buffer store its last lines of that hour first.
"""


def seconds_to_next_hour(now: datetime) -> float:
    """Seconds from ``now`` until :data:`PAST_THE_HOUR` past the next UTC hour."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    return (hour + timedelta(hours=1, seconds=PAST_THE_HOUR) - now).total_seconds()


class RunScheduler(Scheduler):
    """Celery beat scheduler that queues the runs of scheduled jobs.

    Each tick runs the static ``beat_schedule`` entries (the base class),
    then, when their time has come, the job schedules and the maintenance
    task; beat sleeps the shortest of the delays they ask for.
    """

    def __init__(self, *args, **kwargs):
        """Set up the base scheduler; the database is read at the first tick."""
        super().__init__(*args, **kwargs)
        self._jobs_check_at = 0.0
        self._maintenance_at = 0.0
        self._prune_at = 0.0
        self._partitions_at = 0.0
        self._due_check_at = 0.0
        self._unavailable_logged: set = set()
        self._outage = Outage("Job scheduler", logger)

    @property
    def info(self) -> str:
        """Say where the schedules come from, in beat's start-up banner."""
        return "    . jobs -> database (invenio_jobs)"

    @property
    def flask_app(self):
        """The Flask app whose database and settings the ticks use."""
        if has_app_context():
            return current_app._get_current_object()
        return self.app.flask_app

    def _app_context(self):
        """An app context for one tick (or the one already pushed, in tests)."""
        if has_app_context():
            return nullcontext()
        return self.app.flask_app.app_context()

    def tick(self, *args, **kwargs) -> float:
        """One beat iteration: static entries, job schedules, maintenance.

        Errors of the job part (database down, PostgreSQL restarting) are
        logged and the look is retried after the longest sleep: they never
        stop beat, which also runs the static entries.
        """
        delay = super().tick(*args, **kwargs)
        with self._app_context():
            config = self.flask_app.config
            retry = min(float(config["JOBS_SCHEDULER_MAX_INTERVAL"]), self.max_interval)
            now = time.monotonic()
            if now >= self._maintenance_at:
                self._maintenance_at = now + config["JOBS_MAINTENANCE_INTERVAL"]
                self.send_maintenance(reap_runs)
            if now >= self._prune_at:
                self._prune_at = now + config["JOBS_PRUNE_INTERVAL"]
                self.send_maintenance(prune_runs)
            if now >= self._partitions_at:
                self._partitions_at = now + seconds_to_next_hour(utcnow())
                self.send_maintenance(keep_log_partitions)
            if now >= self._jobs_check_at:
                jobs_delay = self._look(self.tick_jobs, retry)
                self._jobs_check_at = time.monotonic() + (
                    retry if jobs_delay is None else jobs_delay.delay
                )
            if now >= self._due_check_at:
                self._look(self.send_due_runs, retry)
                self._due_check_at = time.monotonic() + retry
            waits = (
                self._jobs_check_at,
                self._due_check_at,
                self._maintenance_at,
                self._prune_at,
                self._partitions_at,
            )
            until = min(waits) - time.monotonic()
        return max(0.0, min(delay, until))

    def _look(self, look, retry: float):
        """Call one look at the database; None when it failed.

        An unreachable database (a restart, an outage) is logged once per
        outage, other errors with their traceback; neither stops beat.
        """
        try:
            result = look()
        except Exception as exc:  # noqa: BLE001 -- beat must survive it
            if is_unreachable(exc):
                self._outage.failed(exc, retry)
            else:
                logger.exception("Job scheduler: tick failed; retrying in %s s.", retry)
            return None
        self._outage.recovered()
        return result

    def send_due_runs(self) -> int:
        """Send the queued runs that wait in the database and are due now."""
        with self._app_context():
            try:
                return send_due_runs(
                    int(self.flask_app.config["JOBS_SCHEDULER_BATCH_SIZE"])
                )
            except Exception:
                db.session.rollback()
                raise

    def send_maintenance(self, task=reap_runs):
        """Send a maintenance task; every beat may do so, they are idempotent."""
        try:
            task.apply_async(queue=self.flask_app.config["JOBS_DEFAULT_QUEUE"])
        except Exception as exc:  # noqa: BLE001 -- sent again at the next interval
            if not self._broker_unreachable(exc):
                logger.warning(
                    "Job scheduler: could not send the maintenance task.",
                    exc_info=True,
                )
            return
        BROKER_OUTAGE.recovered()

    def apply_entry(self, entry, producer=None):
        """Send a static ``beat_schedule`` entry; a broker outage is one line.

        Celery's own logs a traceback for each entry at each tick while the
        broker is away.
        """
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:  # noqa: BLE001 -- sent again when next due
            if not self._broker_unreachable(exc.__cause__ or exc):
                logger.error(
                    "Job scheduler: could not send %s.", entry.name, exc_info=True
                )
            return
        BROKER_OUTAGE.recovered()

    def _broker_unreachable(self, exc) -> bool:
        """Whether ``exc`` is the broker's absence; then noted, one line an outage."""
        if not is_broker_unreachable(exc):
            return False
        BROKER_OUTAGE.failed(exc, float(self.max_interval))
        return True

    def tick_jobs(self, now: datetime | None = None) -> JobsTick:
        """Queue a run for each due fire time of active jobs, then send them.

        One transaction claims a bounded batch of due jobs, inserts their
        runs and advances their next fire time; the runs are sent after the
        commit, then marked sent. A run this process could not send, or did
        not live to send, is sent when its lease ends (``send_due_runs``).
        Returns how long beat may sleep: until the earliest next fire time,
        capped by ``JOBS_SCHEDULER_MAX_INTERVAL``, or 0 when the batch was
        full and more jobs may be due.
        """
        with self._app_context():
            try:
                result = self._claim_and_queue(now or utcnow())
            except Exception:
                db.session.rollback()
                raise
            if result.dispatches:
                try:
                    send_runs(result.dispatches)
                except Exception:  # noqa: BLE001 -- committed: reap_runs sends them
                    logger.warning(
                        "Job scheduler: could not send %d run(s); the maintenance "
                        "task will.",
                        len(result.dispatches),
                        exc_info=True,
                    )
            return result

    def _claim_and_queue(self, now: datetime) -> JobsTick:
        """The transaction of a look; returns the runs to send after it.

        Claim the due jobs, plan each one's fires, insert the runs, advance
        the jobs, commit: five statements whatever the batch's size.
        """
        config = self.flask_app.config
        cap = float(config["JOBS_SCHEDULER_MAX_INTERVAL"])
        limit = int(config["JOBS_SCHEDULER_BATCH_SIZE"])
        dialect = db.engine.dialect.name
        rows = db.session.execute(claim_due_jobs(now, limit, dialect)).all()
        earliest = rows[0].earliest if rows else None
        jobs = [row for row in rows if row.id is not None]
        if rows and rows[0].paused:
            db.session.commit()
            until = rows[0].paused_until
            return JobsTick(delay=self._delay(until, now, cap), paused=True)
        if not jobs:
            db.session.commit()
            return JobsTick(delay=self._delay(earliest, now, cap))
        batch = self._plan_batch(jobs, now, config, rows[0].windows_defined)
        inserted = self._insert(batch.runs, dialect)
        advance_jobs(batch.advances, now, dialect)
        db.session.commit()
        self._log_batch(len(jobs), len(inserted), batch)
        return JobsTick(
            delay=self._next_look(jobs, batch, earliest, now, limit, cap),
            dispatches=[d for d in batch.dispatches if d.run_id in inserted],
            skipped=batch.skipped,
            unavailable=batch.unavailable,
            held=batch.held,
        )

    def _plan_batch(self, jobs, now, config, windows_defined) -> "_Batch":
        """The runs each claimed job fires now, and where each job goes next."""
        window_end = None
        if windows_defined and any(not job.ignore_maintenance_windows for job in jobs):
            window_end = self._maintenance_until(now, config)
        batch = _Batch()
        if window_end is not None:
            jobs = self._hold(jobs, window_end, batch)
        busy = self._jobs_with_active_runs(
            [job.id for job in jobs if not job.allow_overlap]
        )
        grace = timedelta(seconds=config["JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS"])
        for job in jobs:
            plan = self._plan(job, now, grace, config)
            if plan is None:  # a schedule that no longer validates: stop it
                batch.advances.append((job.id, None, 0, None))
                continue
            skips = 0
            if plan.fires and not self._job_type_available(job):
                batch.unavailable += len(plan.fires)
            elif plan.fires and job.id in busy:
                skips = len(plan.fires)
                self._log_skipped(job, plan.fires)
            elif plan.fires:
                self._queue_fires(job, plan, now, config, batch)
            batch.skipped += skips
            batch.advances.append((job.id, plan.next_run_at, skips, None))
        return batch

    @staticmethod
    def _hold(jobs, window_end, batch: "_Batch") -> list:
        """Hold the jobs that respect windows until `window_end`; the others.

        A held job keeps its first held fire time, so that nothing it missed
        is forgotten when the window ends.
        """
        free = []
        for job in jobs:
            if job.ignore_maintenance_windows:
                free.append(job)
                continue
            batch.held += 1
            held_since = job.held_since or job.next_run_at
            batch.advances.append((job.id, window_end, 0, held_since))
        if batch.held:
            logger.info(
                "Job scheduler: %d due job(s) held by a maintenance window "
                "until %s.",
                batch.held,
                window_end.isoformat(),
            )
        return free

    @staticmethod
    def _maintenance_until(now, config) -> datetime | None:
        """The end of the maintenance windows holding `now`, or None: one query.

        A window that no longer compiles is left out (logged): it cannot
        stop every job of the instance.
        """
        windows = []
        for row in db.session.execute(active_windows()).all():
            try:
                windows.append(
                    compile_window(
                        row.schedule, row.duration, config["JOBS_SCHEDULER_TIMEZONE"]
                    )
                )
            except Exception:  # noqa: BLE001 -- one bad window must not stop all
                logger.exception("Job scheduler: a maintenance window is invalid.")
        return held_until(windows, now) if windows else None

    @staticmethod
    def _queue_fires(job, plan, now, config, batch: "_Batch"):
        """A QUEUED run for each of the plan's fire times, added to ``batch``."""
        trigger = LATE_TRIGGERS.get(plan.policy, RunTrigger.SCHEDULED)
        if plan.missed:
            logger.info(
                "Job %s (%s): %d fire times missed; policy %s queues %d run(s).",
                job.id,
                job.title,
                plan.missed,
                plan.policy,
                len(plan.fires),
            )
        for fire in plan.fires:
            run = queued_run(
                job.id,
                job.title,
                job.run_args or {},
                job.default_queue or config["JOBS_DEFAULT_QUEUE"],
                trigger,
                scheduled_at=fire,
                now=now,
            )
            batch.runs.append(run)
            batch.dispatches.append(
                Dispatch.of(run, timeout=job.timeout, pool=job.pool)
            )

    @staticmethod
    def _insert(runs, dialect) -> set:
        """Insert the runs, numbered; the ids of those really inserted.

        A fire time that another beat queued already is skipped by the
        INSERT itself (ON CONFLICT DO NOTHING).
        """
        if not runs:
            return set()
        inserted = set(
            db.session.scalars(
                insert_runs(dialect), number_runs(runs, db.session)
            ).all()
        )
        if len(inserted) < len(runs):
            logger.info(
                "Job scheduler: %d run(s) already queued by another beat.",
                len(runs) - len(inserted),
            )
        return inserted

    @staticmethod
    def _log_skipped(job, fires):
        for fire in fires:
            logger.warning(
                "Job %s (%s): fire at %s skipped: previous run still active.",
                job.id,
                job.title,
                fire.isoformat(),
            )

    @staticmethod
    def _log_batch(due: int, inserted: int, batch: "_Batch"):
        if inserted or batch.skipped or batch.unavailable:
            logger.info(
                "Job scheduler: %d due job(s): %d run(s) queued, %d fire(s) "
                "skipped (previous run active), %d skipped (job type not "
                "available).",
                due,
                inserted,
                batch.skipped,
                batch.unavailable,
            )

    def _next_look(self, jobs, batch, earliest, now, limit, cap) -> float:
        """Seconds until the next look: 0 after a full batch (more may be due)."""
        if len(jobs) >= limit:
            return 0.0
        upcoming = [advance[1] for advance in batch.advances]
        upcoming = [t for t in upcoming + [earliest] if t is not None]
        return self._delay(min(upcoming) if upcoming else None, now, cap)

    def _job_type_available(self, job) -> bool:
        """Whether the job's type can run; logs once while it cannot.

        A job of a removed, renamed or failing job type keeps its schedule:
        its fire times pass without runs (a run could only fail), and runs
        come back by themselves once the job type is registered again.
        """
        reason = current_jobs.registry.unavailable_reason(job.task)
        if reason is None:
            self._unavailable_logged.discard(job.id)
            return True
        if job.id not in self._unavailable_logged:
            self._unavailable_logged.add(job.id)
            logger.error(
                "Job %s (%s): its fire times are skipped until its job type "
                "is available: %s",
                job.id,
                job.title,
                reason,
            )
        return False

    @staticmethod
    def _delay(earliest: datetime | None, now: datetime, cap: float) -> float:
        """Seconds from now until `earliest`, between 0 and the cap."""
        if earliest is None:
            return cap
        return max(0.0, min(cap, (earliest - now).total_seconds()))

    @staticmethod
    def _jobs_with_active_runs(job_ids) -> set:
        """Jobs among `job_ids` with a queued, running or stopping run: one query."""
        if not job_ids:
            return set()
        return set(
            db.session.scalars(
                sa.select(Run.job_id)
                .where(
                    Run.job_id.in_(job_ids),
                    Run.parent_run_id.is_(None),
                    Run.status.in_(RunStatusEnum.active()),
                )
                .distinct()
            ).all()
        )

    @staticmethod
    def _plan(job, now, grace, config):
        """The job's fire plan; None (and an error logged) when it cannot be made."""
        try:
            return plan_fires(
                job.schedule,
                job.held_since or job.next_run_at,
                now,
                policy=job.misfire_policy,
                anchor=job.schedule_anchor,
                grace=grace,
                max_catch_up=config["JOBS_SCHEDULER_MAX_CATCH_UP"],
                default_timezone=config["JOBS_SCHEDULER_TIMEZONE"],
            )
        except Exception:  # noqa: BLE001 -- one bad job must not stop the others
            logger.exception(
                "Job %s (%s): cannot compute its fire times; it is unscheduled "
                "until its schedule is saved again.",
                job.id,
                job.title,
            )
            return None
