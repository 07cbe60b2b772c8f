# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The statements of a beat's look, each built so for a reason its docstring gives.

A look with due jobs is five statements whatever the batch's size: claim
(:func:`claim_due_jobs`), the jobs' active runs, their run numbers,
:func:`insert_runs`, :func:`advance_jobs`, and one more
(:func:`active_windows`) when maintenance windows are defined; an idle
look, or a look while everything is paused, is one.
"""

from datetime import datetime

import sqlalchemy as sa
from invenio_db import db
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Job, MaintenanceWindow, Pause, Run


def claim_due_jobs(now: datetime, limit: int, dialect: str):
    """Due jobs, locked, and the earliest future fire time: one statement.

    The due jobs come from a CTE so that PostgreSQL can lock them (``FOR
    UPDATE SKIP LOCKED`` is not allowed on the nullable side of an outer
    join, and a CTE returns the latest version of each locked row); the
    outer join to the one-row ``min`` keeps a row when nothing is due, so
    that an idle tick learns how long to sleep from the same statement.
    """
    job = Job.__table__.c
    due = (
        sa.select(
            job.id,
            job.title,
            job.task,
            job.schedule,
            job.next_run_at,
            job.schedule_anchor,
            job.misfire_policy,
            job.allow_overlap,
            job.run_args,
            job.default_queue,
            job.timeout,
            job.pool,
            job.held_since,
            job.ignore_maintenance_windows,
        )
        .where(job.active, job.next_run_at <= now, ~Pause.in_force(now))
        .order_by(job.next_run_at)
        .limit(limit)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    due = due.cte("due_jobs")
    pause = Pause.__table__.c
    earliest = (
        sa.select(
            sa.func.min(job.next_run_at).label("earliest"),
            Pause.in_force(now).label("paused"),
            sa.select(pause.until).scalar_subquery().label("paused_until"),
            sa.exists()
            .where(MaintenanceWindow.__table__.c.active)
            .label("windows_defined"),
        )
        .where(job.active, job.next_run_at > now)
        .subquery("earliest_job")
    )
    return (
        sa.select(
            earliest.c.earliest,
            earliest.c.paused,
            earliest.c.paused_until,
            earliest.c.windows_defined,
            *due.c,
        )
        .select_from(earliest.outerjoin(due, sa.true()))
        .order_by(due.c.next_run_at)
    )


def insert_runs(dialect: str):
    """An INSERT of runs that skips a fire time another beat already queued.

    The unique ``(job_id, scheduled_at)`` is the last guard against a
    duplicate; a conflict must drop that row only, not fail the batch.
    RETURNING tells which rows were really inserted, so that only those
    are sent.
    """
    table = Run.__table__
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["job_id", "scheduled_at"]
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(
            index_elements=["job_id", "scheduled_at"]
        )
    else:
        statement = sa.insert(table)
    return statement.returning(table.c.id)


def active_windows():
    """The maintenance windows in force: their start schedules and durations."""
    window = MaintenanceWindow.__table__.c
    return sa.select(window.schedule, window.duration).where(window.active)


def advance_jobs(advances: list[tuple], now: datetime, dialect: str):
    """Move each claimed job to its next fire time; count the fires it skipped.

    `advances` holds ``(job_id, next_run_at, skips, held_since)``: a job a
    maintenance window holds goes to the window's end and keeps its first
    held fire in ``held_since``; every other job clears it. One statement for the
    whole batch: on PostgreSQL an ``UPDATE ... FROM unnest(arrays)`` (an
    executemany would be one round trip per job, and a VALUES list is slow
    to compile); elsewhere an executemany.
    """
    job = Job.__table__.c
    if dialect == "postgresql":
        ids, times, skips, held = zip(*advances)
        given = (
            sa.func.unnest(
                sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(job.id.type)),
                sa.bindparam(
                    "times", list(times), type_=postgresql.ARRAY(job.next_run_at.type)
                ),
                sa.bindparam("skips", list(skips), type_=postgresql.ARRAY(sa.Integer)),
                sa.bindparam(
                    "held", list(held), type_=postgresql.ARRAY(job.held_since.type)
                ),
            )
            .table_valued("job_id", "next_run_at", "skips", "held_since")
            .render_derived(name="advance")
        )
        db.session.execute(
            sa.update(Job.__table__)
            .where(job.id == given.c.job_id)
            .values(
                next_run_at=given.c.next_run_at,
                overlap_skips=job.overlap_skips + given.c.skips,
                held_since=given.c.held_since,
                updated=now,
            )
        )
        return
    db.session.execute(
        sa.update(Job.__table__)
        .where(job.id == sa.bindparam("b_job_id", type_=job.id.type))
        .values(
            next_run_at=sa.bindparam("b_next_run_at", type_=job.next_run_at.type),
            overlap_skips=job.overlap_skips
            + sa.bindparam("b_skips", type_=job.overlap_skips.type),
            held_since=sa.bindparam("b_held_since", type_=job.held_since.type),
            updated=now,
        ),
        [
            {
                "b_job_id": job_id,
                "b_next_run_at": next_run_at,
                "b_skips": skips,
                "b_held_since": held_since,
            }
            for job_id, next_run_at, skips, held_since in advances
        ],
    )
