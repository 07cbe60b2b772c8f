# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs, their runs and the runs' log lines: the tables every request reads."""

import uuid

import sqlalchemy as sa
from invenio_accounts.models import User
from invenio_db import db

from .types import (
    JSON,
    RunStatus,
    RunStatusEnum,
    RunTrigger,
    RunTriggerType,
    UTCDateTime,
    counter_column,
    timestamp_column,
    utcnow,
)

SUCCESSES = "status = 'S' AND parent_run_id IS NULL"
"""Successful top-level runs: the condition of the index of their ends."""

LAST_SUCCESS = "status = 'S' AND parent_run_id IS NULL AND started_at IS NOT NULL"
"""Runs that can be a job's last success: the condition of its index."""


def last_success_where(columns) -> tuple:
    """The conditions of :data:`LAST_SUCCESS`, on a runs table's (or alias's) columns.

    A job's last success is the one of these runs that *started* last
    (:func:`last_success_order`): the next run continues ``since`` its
    start. Not by ``created``: a retried run keeps its ``created`` and
    starts again later. The claim, the job's JSON, the ``since`` hook and
    the pruning of old runs all choose it so.
    """
    return (
        columns.status == "S",
        columns.parent_run_id.is_(None),
        columns.started_at.is_not(None),  # ix_jobs_run_last_success
    )


def last_success_order(columns) -> tuple:
    """The order that puts a job's last success first (see :func:`last_success_where`)."""
    return (columns.started_at.desc(), columns.id.desc())


class _NotificationList:
    """A list kept under one key of ``Job.notifications`` (InvenioRDM's storage).

    Reads give a list (empty when unset); writes keep the other key and drop
    empty ones, so that the column stays exactly what InvenioRDM writes.
    """

    def __init__(self, key: str):
        """Name the key of ``notifications`` this list lives under."""
        self.key = key

    def __get__(self, job, owner=None):
        """The list of ``job``; the descriptor itself on the class."""
        if job is None:
            return self
        return list((job.notifications or {}).get(self.key) or [])

    def __set__(self, job, values):
        """Store ``values`` under the key, keeping the other one."""
        stored = {k: v for k, v in (job.notifications or {}).items() if v}
        stored[self.key] = list(values or [])
        job.notifications = {k: v for k, v in stored.items() if v} or None


class Job(db.Model, db.Timestamp):
    """A configured job: a job type, its arguments and its schedule."""

    __tablename__ = "jobs_job"

    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    title = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.Text, nullable=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    task = sa.Column(sa.String(255), nullable=False)
    default_queue = sa.Column(sa.String(64), nullable=True)
    schedule = sa.Column(JSON, nullable=True)
    run_args = sa.Column(JSON, nullable=False, default=dict)

    # When the scheduler fires next (UTC); NULL when unscheduled or inactive,
    # so that "what is due" is one range scan of this index.
    next_run_at = sa.Column(UTCDateTime, nullable=True, index=True)
    # Start of an interval schedule's grid: creation or last schedule edit.
    schedule_anchor = sa.Column(UTCDateTime, nullable=True)
    misfire_policy = sa.Column(sa.String(16), nullable=False, default="coalesce")
    allow_overlap = sa.Column(sa.Boolean, nullable=False, default=False)
    overlap_skips = sa.Column(sa.Integer, nullable=False, default=0)
    timeout = sa.Column(sa.Integer, nullable=True)
    max_retries = sa.Column(sa.Integer, nullable=False, default=0)
    # Who is told when a run ends, InvenioRDM's shape: {"emails": [...],
    # "statuses": [...]}, each key only when not empty, or NULL.
    notifications = sa.Column(JSON, nullable=True)
    # The concurrency pool (a :class:`Pool`'s name) whose slots its runs
    # take; NULL when its runs start as soon as they are queued.
    pool = sa.Column(sa.String(64), nullable=True, index=True)
    # A job that must run even inside maintenance windows (a health check).
    ignore_maintenance_windows = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    # The first fire time a maintenance window holds; next_run_at is then the
    # window's end, when the beat plans the fires from here with the job's
    # misfire policy. NULL when nothing is held.
    held_since = sa.Column(UTCDateTime, nullable=True)
    # The job's alert settings (:mod:`invenio_jobs.alerts`): which conditions
    # are watched, with their thresholds, and who is told; NULL for none.
    alerts = sa.Column(JSON, nullable=True)
    # The service account every run of the job executes as (its identity
    # and roles); NULL: as the user who started the run, or the system.
    run_as_id = sa.Column(
        sa.Integer, sa.ForeignKey(User.id, ondelete="SET NULL"), nullable=True
    )
    # The job's key in files of jobs kept as code (``invenio jobs import``);
    # NULL for a job never imported.
    code_key = sa.Column(sa.String(255), nullable=True)
    # The jobs it runs after, or NULL: {"jobs": [{"id": ..., "statuses":
    # [...]}], "mode": "any" | "all", "delay_seconds": n} (``lifecycle.chaining``).
    run_after = sa.Column(JSON, nullable=True)
    created = timestamp_column()
    updated = timestamp_column()

    __table_args__ = (
        # The jobs list sorts by title, case-insensitively, one page at a time.
        sa.Index("ix_jobs_job_title_lower", sa.func.lower(title), id),
        # An import finds the jobs of its file by their keys.
        sa.Index("ix_jobs_job_code_key", code_key, unique=True),
    )

    # Read only for jobs that name one (a NULL key loads nothing).
    run_as = db.relationship(User, foreign_keys=[run_as_id], lazy="select")
    runs = db.relationship(
        "Run",
        back_populates="job",
        lazy="dynamic",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Run.job_id",
    )

    @property
    def last_run(self):
        """The latest run of the job, or None."""
        return self.runs.order_by(Run.created.desc()).first()

    @property
    def last_runs(self) -> dict:
        """The latest run of each status, by lower-case status name.

        Kept for job types written for InvenioRDM's invenio-jobs, which read
        ``job_obj.last_runs["success"].started_at``; a status without runs
        maps to None.
        """
        return {
            status.name.lower(): self.runs.filter(Run.status == status)
            .order_by(Run.created.desc())
            .first()
            for status in RunStatusEnum
        }

    notification_emails = _NotificationList("emails")
    """The addresses told when a run ends in one of the watched statuses."""
    notification_statuses = _NotificationList("statuses")
    """The status names (``FAILED`` ...) whose runs' ends are told."""

    def __repr__(self) -> str:
        """Show the id and title, for logs and debugging."""
        return f"<Job {self.id} {self.title!r}>"


class Run(db.Model, db.Timestamp):
    """One execution of a job, from the moment it is queued until it ends."""

    __tablename__ = "jobs_run"
    __table_args__ = (
        # One run per fire time of a job: the last guard against two beat
        # processes (or a retried tick) creating the same scheduled run.
        sa.UniqueConstraint("job_id", "scheduled_at"),
        # One run per end of a job it runs after: whoever records the end
        # first inserts it, every other try inserts nothing. The run first,
        # so that the runs an end started (and a deleted run's links) are
        # found by this index.
        sa.UniqueConstraint(
            "after_run_id", "job_id", name="uq_jobs_run_job_id_after_run_id"
        ),
        # "The latest runs of these jobs" and a job's history, newest first
        # (InvenioRDM's index, under its name).
        sa.Index("ix_jobs_run_job_id", "job_id", "created"),
        # A run's subtasks.
        sa.Index("ix_jobs_run_parent_run_id", "parent_run_id"),
        # The reaper's scans: running runs by heartbeat, queued runs by age.
        sa.Index("ix_jobs_run_status_created", "status", "created"),
        # Runs waiting in the database to be sent, by due time.
        sa.Index("ix_jobs_run_due_at", "due_at"),
        # A run's short number within its job (#42): the next one is MAX + 1.
        sa.Index("ix_jobs_run_job_id_number", "job_id", "number"),
        # Health statistics: a window's top-level runs by hour and status, read
        # from the index alone.
        sa.Index(
            "ix_jobs_run_health_created",
            "created",
            "status",
            postgresql_where=sa.text("parent_run_id IS NULL"),
            sqlite_where=sa.text("parent_run_id IS NULL"),
        ),
        # The last success of a job (where its next run continues ``since``):
        # one probe per claimed run.
        sa.Index(
            "ix_jobs_run_last_success",
            "job_id",
            "started_at",
            postgresql_where=sa.text(LAST_SUCCESS),
            sqlite_where=sa.text(LAST_SUCCESS),
        ),
        # The end of each job's latest success (the metrics' gauge): one
        # probe per job.
        sa.Index(
            "ix_jobs_run_last_end",
            "job_id",
            "finished_at",
            postgresql_where=sa.text(SUCCESSES),
            sqlite_where=sa.text(SUCCESSES),
        ),
        # Scheduling lag of a window: fire time against start, scheduled runs only.
        sa.Index(
            "ix_jobs_run_health_scheduled_at",
            "scheduled_at",
            "started_at",
            postgresql_where=sa.text("scheduled_at IS NOT NULL"),
            sqlite_where=sa.text("scheduled_at IS NOT NULL"),
        ),
        # The busy slots of a pool: runs that hold one, by status.
        sa.Index(
            "ix_jobs_run_slot_pool",
            "slot_pool",
            "status",
            postgresql_where=sa.text("slot_pool IS NOT NULL"),
            sqlite_where=sa.text("slot_pool IS NOT NULL"),
        ),
    )

    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    job_id = sa.Column(
        sa.Uuid, sa.ForeignKey(Job.id, ondelete="CASCADE"), nullable=False
    )
    parent_run_id = sa.Column(
        sa.Uuid, sa.ForeignKey("jobs_run.id", ondelete="CASCADE"), nullable=True
    )
    status = sa.Column(RunStatus, nullable=False, default=RunStatusEnum.QUEUED)
    title = sa.Column(sa.Text, nullable=True)
    args = sa.Column(JSON, nullable=False, default=dict)
    queue = sa.Column(sa.String(64), nullable=False)
    # The Celery task id: a UUID, stored in InvenioRDM's uuid column, read
    # and written as text.
    task_id = sa.Column(sa.Uuid(as_uuid=False), nullable=True)
    started_by_id = sa.Column(
        sa.Integer, sa.ForeignKey(User.id, ondelete="SET NULL"), nullable=True
    )
    # The user the run executed as (its job's ``run_as`` when it was
    # claimed); NULL: as the one who started it, or the system.
    run_as_id = sa.Column(
        sa.Integer, sa.ForeignKey(User.id, ondelete="SET NULL"), nullable=True
    )
    # The fire time that created the run; NULL for manual runs.
    scheduled_at = sa.Column(UTCDateTime, nullable=True)
    trigger = sa.Column(RunTriggerType(), nullable=False, default=RunTrigger.MANUAL)
    # The run of another job whose end started this one (trigger ``after``).
    after_run_id = sa.Column(
        sa.Uuid, sa.ForeignKey("jobs_run.id", ondelete="SET NULL"), nullable=True
    )
    # Short number of a run within its job (#1, #2 ...), given by the run's
    # INSERT itself (see ``lifecycle.queued_run``); NULL for subtasks.
    number = sa.Column(sa.Integer, nullable=True)
    attempt = sa.Column(sa.Integer, nullable=False, default=1)
    worker = sa.Column(sa.String(255), nullable=True)

    # When the run's message was handed to the broker; NULL while it waits
    # in the database to be sent at ``due_at`` (a retry's back-off, or a
    # send that failed): delays live here, never in the broker.
    dispatched_at = sa.Column(UTCDateTime, nullable=True)
    due_at = sa.Column(UTCDateTime, nullable=True)
    # The pool in which the run holds a slot, from its admission until it
    # ends (or is queued again for a retry); NULL while it waits for one,
    # and for runs of jobs without a pool.
    slot_pool = sa.Column(sa.String(64), nullable=True)
    started_at = sa.Column(UTCDateTime, nullable=True)
    finished_at = sa.Column(UTCDateTime, nullable=True)
    heartbeat_at = sa.Column(UTCDateTime, nullable=True)
    # When an administrator asked a running run to stop (grace period start).
    stop_requested_at = sa.Column(UTCDateTime, nullable=True)
    # When the task body returned; a run with subtasks ends after them.
    task_finished_at = sa.Column(UTCDateTime, nullable=True)

    message = sa.Column(sa.Text, nullable=True)

    # Entries the run processes; NULL while it does not know how many.
    total_entries = sa.Column(sa.Integer, nullable=True)
    inserted_entries = counter_column()
    updated_entries = counter_column()
    errored_entries = counter_column()
    total_subtasks = counter_column()
    completed_subtasks = counter_column()
    failed_subtasks = counter_column()
    # Whether the parent's own task has ended, so that no subtask is added
    # any more (InvenioRDM's flag; ``task_finished_at`` says when).
    subtasks_closed = sa.Column(
        sa.Boolean, nullable=False, default=False, server_default="false"
    )
    created = timestamp_column()
    updated = timestamp_column()

    job = db.relationship(Job, back_populates="runs", foreign_keys=[job_id])
    started_by = db.relationship(User, lazy="joined", foreign_keys=[started_by_id])
    run_as = db.relationship(User, lazy="joined", foreign_keys=[run_as_id])
    parent_run = db.relationship(
        "Run", remote_side=[id], back_populates="subtasks", foreign_keys=[parent_run_id]
    )
    subtasks = db.relationship(
        "Run",
        back_populates="parent_run",
        lazy="dynamic",
        passive_deletes=True,
        foreign_keys=[parent_run_id],
    )

    @property
    def duration(self):
        """How long the run took (or has taken so far); None before it starts."""
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return end - self.started_at

    def __repr__(self) -> str:
        """Show the id and status, for logs and debugging."""
        return f"<Run {self.id} {self.status.name if self.status else None}>"


class RunLog(db.Model):
    """One log line of a run, captured while the run's task executed.

    On PostgreSQL the table made by the migrations is partitioned by range
    of ``timestamp`` (see :mod:`invenio_jobs.database.partitions`: ended
    days, the current day's hours), its primary key is then
    ``(id, timestamp)``; ids stay unique, from one sequence. The messages
    of each ended hour's and day's partition have a trigram index there,
    which answers the log search (the current hour is written without it).
    """

    __tablename__ = "jobs_run_log"
    __table_args__ = (sa.Index("ix_jobs_run_log_run_id_id", "run_id", "id"),)

    id = sa.Column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )
    # No foreign key: its check, a lookup of the run for every line, took
    # half of what storing a line costs the database. A run's lines go with
    # it (delete_runs) or with their day (retention); lines written for a
    # run deleted meanwhile stay unread until their day is dropped.
    run_id = sa.Column(sa.Uuid, nullable=False)
    timestamp = sa.Column(UTCDateTime, nullable=False)
    level = sa.Column(sa.String(10), nullable=False)
    logger = sa.Column(sa.String(255), nullable=True)
    message = sa.Column(sa.Text, nullable=False)
    context = sa.Column(JSON, nullable=True)


def delete_runs(run_ids):
    """Delete runs with their subtasks and log lines; the caller commits.

    Done explicitly rather than left to ON DELETE CASCADE, which SQLite only
    applies when asked to. ``run_ids`` is a list or a SELECT of run ids.
    """
    children = sa.select(Run.id).where(Run.parent_run_id.in_(run_ids))
    db.session.execute(
        sa.delete(RunLog).where(
            sa.or_(RunLog.run_id.in_(run_ids), RunLog.run_id.in_(children))
        )
    )
    for condition in (Run.parent_run_id.in_(run_ids), Run.id.in_(run_ids)):
        db.session.execute(
            sa.delete(Run).where(condition).execution_options(synchronize_session=False)
        )
