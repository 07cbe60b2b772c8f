# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The statements of a beat's look, each built so for a reason its docstring gives.

A look with due jobs is five statements whatever the batch's size: claim
(:func:`claim_due_jobs`), the jobs' active runs, their run numbers,
:func:`insert_runs`, :func:`advance_jobs`; an idle look is one.
"""

from datetime import datetime

import sqlalchemy as sa
from invenio_db import db
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Job, Run


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
        )
        .where(job.active, job.next_run_at <= now)
        .order_by(job.next_run_at)
        .limit(limit)
    )
    if dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    due = due.cte("due_jobs")
    earliest = (
        sa.select(sa.func.min(job.next_run_at).label("earliest"))
        .where(job.active, job.next_run_at > now)
        .subquery("earliest_job")
    )
    return (
        sa.select(earliest.c.earliest, *due.c)
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


def advance_jobs(advances: list[tuple], now: datetime, dialect: str):
    """Move each claimed job to its next fire time; count the fires it skipped.

    `advances` holds ``(job_id, next_run_at, skips)``. One statement for the
    whole batch: on PostgreSQL an ``UPDATE ... FROM unnest(arrays)`` (an
    executemany would be one round trip per job, and a VALUES list is slow
    to compile); elsewhere an executemany.
    """
    job = Job.__table__.c
    if dialect == "postgresql":
        ids, times, skips = zip(*advances)
        given = (
            sa.func.unnest(
                sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(job.id.type)),
                sa.bindparam(
                    "times", list(times), type_=postgresql.ARRAY(job.next_run_at.type)
                ),
                sa.bindparam("skips", list(skips), type_=postgresql.ARRAY(sa.Integer)),
            )
            .table_valued("job_id", "next_run_at", "skips")
            .render_derived(name="advance")
        )
        db.session.execute(
            sa.update(Job.__table__)
            .where(job.id == given.c.job_id)
            .values(
                next_run_at=given.c.next_run_at,
                overlap_skips=job.overlap_skips + given.c.skips,
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
            updated=now,
        ),
        [
            {"b_job_id": job_id, "b_next_run_at": next_run_at, "b_skips": skips}
            for job_id, next_run_at, skips in advances
        ],
    )
