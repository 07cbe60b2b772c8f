# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Concurrency pools: a run of a pooled job waits in the database for a slot.

A job may belong to one pool (``Job.pool``), which has a number of slots.
Its runs are born QUEUED and not sent, like every run, but their maker does
not send them: they wait, in the database, occupying no broker queue and no
worker, until :func:`admit` gives them a slot, first come first served.
Admitting a run writes the pool's name into ``Run.slot_pool`` and takes the
run for sending, as :func:`.sending.take_due` does; the run holds its slot
until it ends (or is queued again for a retry, which gives the slot back).

The limit is kept by the database, whatever the number of beat, worker and
web processes: on PostgreSQL the pools' rows are locked (``FOR UPDATE``)
before the one UPDATE that counts the busy slots and admits, so admissions
to a pool happen one transaction at a time, each seeing the ones before;
SQLite has one writer at a time. A slot is busy while a run holding it has
not ended: QUEUED (sent, not yet claimed), RUNNING or CANCELLING. A run
whose worker died frees its slot when the maintenance task ends it.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from ..database import speaks_postgresql
from ..models import Job, Pool, Run, RunStatusEnum

Status = RunStatusEnum

HOLDING = (Status.QUEUED, Status.RUNNING, Status.CANCELLING)
"""The statuses of a run that keeps the slot it was given."""


def _busy_by_pool(names=None):
    """A subquery of ``(pool, busy)``: the slots in use of each pool.

    A run holds a slot of the pool it was admitted to (``slot_pool``). A
    top-level run of a pooled job that was sent without a slot (its job
    joined the pool while it was queued or running) counts too, in its
    job's pool, so that joining a pool never lets more runs through.
    """
    runs = Run.__table__.alias("holding_run")
    jobs = Job.__table__.alias("holding_job")
    pool = sa.func.coalesce(runs.c.slot_pool, jobs.c.pool)
    started = sa.or_(runs.c.status != Status.QUEUED, runs.c.dispatched_at.is_not(None))
    query = (
        sa.select(pool.label("pool"), sa.func.count().label("busy"))
        .select_from(runs.join(jobs, jobs.c.id == runs.c.job_id))
        .where(
            runs.c.status.in_(HOLDING),
            sa.or_(
                runs.c.slot_pool.is_not(None),
                sa.and_(
                    runs.c.parent_run_id.is_(None),
                    jobs.c.pool.is_not(None),
                    started,
                ),
            ),
        )
        .group_by(pool)
    )
    if names is not None:
        query = query.where(pool.in_(list(names)))
    return query.subquery("busy")


def _waiting(runs, now: datetime) -> tuple:
    """The conditions of a run that waits for a slot (on ``runs``' columns).

    A first attempt waits for nothing else; a retry also for its back-off
    (``due_at``). Subtasks are never held: their parent holds the slot.
    """
    return (
        runs.c.status == Status.QUEUED,
        runs.c.dispatched_at.is_(None),
        runs.c.slot_pool.is_(None),
        runs.c.parent_run_id.is_(None),
        runs.c.task_id.is_not(None),
        sa.or_(runs.c.attempt == 1, runs.c.due_at <= now),
    )


def waits_for_a_slot():
    """Whether a run (of ``Run``, in a query) must wait for :func:`admit`.

    Its job is in a pool that exists, and it holds no slot yet. Used by
    :func:`.sending.take_due`, which sends every other due run.
    """
    in_a_pool = sa.exists().where(Job.id == Run.job_id, Job.pool == Pool.name)
    return sa.and_(Run.slot_pool.is_(None), Run.parent_run_id.is_(None), in_a_pool)


def _lock_pools_with_waiting_runs(now, names, connection) -> list:
    """Lock (PostgreSQL) and return the names of pools that have runs waiting.

    The lock makes admissions to a pool one at a time; the next UPDATE runs
    with a snapshot taken after it, so it sees every admission before.
    """
    runs = Run.__table__.alias("waiting_run")
    jobs = Job.__table__.alias("waiting_job")
    has_waiting = sa.exists().where(
        jobs.c.pool == Pool.name, runs.c.job_id == jobs.c.id, *_waiting(runs, now)
    )
    query = sa.select(Pool.name).where(has_waiting).order_by(Pool.name)
    if names is not None:
        query = query.where(Pool.name.in_(list(names)))
    if speaks_postgresql(connection):
        query = query.with_for_update(of=Pool.__table__)
    return list(connection.scalars(query))


def admit(now: datetime, lease: float, limit: int, connection, names=None) -> list:
    """Give free slots to the oldest waiting runs and take them for sending.

    ``names`` limits this to those pools (a run of theirs ended). Two
    statements when a run waits (the lock, then one UPDATE that counts,
    ranks and admits), one when none does. An admitted run is taken as
    :func:`.sending.take_due` takes a run: due again at the end of the
    lease, unless its sender marks it sent. The caller commits (and so
    releases the lock). Returns ``(id, queue, task_id, job_id,
    started_by_id)`` rows, oldest first.
    """
    pools = _lock_pools_with_waiting_runs(now, names, connection)
    if not pools:
        return []
    if speaks_postgresql(connection):
        chosen = _oldest_waiting_per_pool(now, pools, limit)
    else:
        chosen = _oldest_waiting_ranked(now, pools, limit)
    pool_of_job = sa.select(Job.pool).where(Job.id == Run.job_id).scalar_subquery()
    statement = (
        sa.update(Run)
        .where(
            Run.id.in_(chosen.scalar_subquery()),
            Run.status == Status.QUEUED,
            Run.dispatched_at.is_(None),
            Run.slot_pool.is_(None),
        )
        .values(slot_pool=pool_of_job, due_at=now + timedelta(seconds=lease))
        .returning(
            Run.id,
            Run.queue,
            Run.task_id,
            Run.job_id,
            Run.started_by_id,
            Run.created,
        )
        .execution_options(synchronize_session=False)
    )
    rows = connection.execute(statement).all()
    return sorted(rows, key=lambda row: (row.created, str(row.id)))


def _oldest_waiting_ranked(now, pools, limit):
    """The ids of the runs to admit: each pool's oldest waiting, up to its free slots.

    The waiting runs of each pool are numbered by age (a window), and those
    within the pool's free slots are chosen: for SQLite, which has no
    LATERAL.
    """
    runs = Run.__table__.alias("waiting_run")
    jobs = Job.__table__.alias("waiting_job")
    place = (
        sa.func.row_number()
        .over(partition_by=jobs.c.pool, order_by=(runs.c.created, runs.c.id))
        .label("place")
    )
    waiting = (
        sa.select(runs.c.id, runs.c.created, jobs.c.pool, place)
        .select_from(runs.join(jobs, jobs.c.id == runs.c.job_id))
        .where(jobs.c.pool.in_(pools), *_waiting(runs, now))
        .subquery("waiting")
    )
    busy = _busy_by_pool(pools)
    free = Pool.slots - sa.func.coalesce(busy.c.busy, 0)
    return (
        sa.select(waiting.c.id)
        .select_from(
            waiting.join(Pool, Pool.name == waiting.c.pool).outerjoin(
                busy, busy.c.pool == waiting.c.pool
            )
        )
        .where(waiting.c.place <= free)
        .order_by(waiting.c.created, waiting.c.id)
        .limit(limit)
    )


def _oldest_waiting_per_pool(now, pools, limit):
    """The same choice on PostgreSQL: for each pool, its oldest waiting runs.

    A LATERAL subquery per pool stops at the pool's free slots (a top-N
    sort), rather than numbering every waiting run: with many thousands
    waiting, the numbering cost a sort of them all.
    """
    runs = Run.__table__.alias("waiting_run")
    jobs = Job.__table__.alias("waiting_job")
    busy = _busy_by_pool(pools)
    free = sa.func.greatest(Pool.slots - sa.func.coalesce(busy.c.busy, 0), 0)
    oldest = (
        sa.select(runs.c.id, runs.c.created)
        .select_from(runs.join(jobs, jobs.c.id == runs.c.job_id))
        .where(jobs.c.pool == Pool.name, *_waiting(runs, now))
        .order_by(runs.c.created, runs.c.id)
        .limit(free)
        .lateral("oldest")
    )
    return (
        sa.select(oldest.c.id)
        .select_from(
            Pool.__table__.outerjoin(busy, busy.c.pool == Pool.name).join(
                oldest, sa.true()
            )
        )
        .where(Pool.name.in_(pools))
        .order_by(oldest.c.created, oldest.c.id)
        .limit(limit)
    )


def usage(names, connection) -> dict:
    """How many slots of these pools are busy, and how many they have.

    ``{name: (busy, slots)}`` for each pool that exists, in one statement:
    what "waiting for pool harvest (2 of 2 busy)" says.
    """
    names = sorted({name for name in names if name})
    if not names:
        return {}
    busy = _busy_by_pool(names)
    rows = connection.execute(
        sa.select(Pool.name, Pool.slots, sa.func.coalesce(busy.c.busy, 0))
        .select_from(Pool.__table__.outerjoin(busy, busy.c.pool == Pool.name))
        .where(Pool.name.in_(names))
    ).all()
    return {name: (int(used), slots) for name, slots, used in rows}
