# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's message, in the manner of an outbox: taken, marked sent, postponed.

A run is born not sent and due at the end of its maker's lease; its maker
marks it sent once the broker took its message (:func:`mark_sent`); a run
left due is taken by the beat or the maintenance task (:func:`take_due`);
one the broker refused waits again (:func:`postpone`).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..database import Prepared, speaks_postgresql
from ..models import Run, RunStatusEnum
from .pools import waits_for_a_slot

Status = RunStatusEnum


@dataclass(frozen=True)
class Dispatch:
    """What it takes to send one queued run to a worker."""

    run_id: uuid.UUID
    queue: str
    task_id: str
    identity_id: object = None
    timeout: int | None = None
    batch: tuple = ()
    """Subtasks sent together in one message (their runs share its task id);
    ``run_id`` is the first of them."""
    pool: str | None = None
    """The pool of a new run's job: such a run is not sent by its maker but
    waits for a slot (see :mod:`.pools`)."""

    @property
    def run_ids(self) -> tuple:
        """The runs this message carries."""
        return self.batch or (self.run_id,)

    @classmethod
    def of(cls, run, timeout=None, identity_id=None, pool=None):
        """The dispatch of a run, given as a model or as :func:`queued_run` values.

        ``timeout`` is the job's, which becomes the task's time limit;
        ``pool`` the job's pool, if any.
        """
        get = run.get if isinstance(run, dict) else run.__getattribute__
        return cls(
            run_id=get("id"),
            queue=get("queue"),
            task_id=get("task_id"),
            identity_id=identity_id,
            timeout=timeout,
            pool=pool,
        )


def take_due(now: datetime, lease: float, limit: int, connection) -> list:
    """Take the queued runs due to be sent now, for ``lease`` seconds; return them.

    One conditional UPDATE: a run is taken by one caller only (several
    beat processes look at once), which sends it and then marks it sent
    (:func:`mark_sent`). Taking moves its due time to the end of the lease,
    so that a caller that dies before the publish leaves it due again
    then, for the next caller: a run is never marked sent before its
    message is in the broker. Runs without a task id (subtasks that the
    module that made them sends) are never taken, nor runs that wait for
    a slot of their job's pool (:func:`.pools.admit` takes those).
    Returns ``(id, queue, task_id, job_id, started_by_id)`` rows.
    """
    due = (
        sa.select(Run.id)
        .where(
            Run.due_at <= now,
            Run.dispatched_at.is_(None),
            Run.status == Status.QUEUED,
            sa.not_(waits_for_a_slot()),
        )
        .order_by(Run.due_at)
        .limit(limit)
    )
    if speaks_postgresql(connection):
        due = due.with_for_update(skip_locked=True)
    statement = (
        sa.update(Run)
        .where(
            Run.id.in_(due.scalar_subquery()),
            Run.due_at <= now,
            Run.dispatched_at.is_(None),
            Run.status == Status.QUEUED,
            Run.task_id.is_not(None),
        )
        .values(due_at=now + timedelta(seconds=lease))
        .returning(Run.id, Run.queue, Run.task_id, Run.job_id, Run.started_by_id)
        .execution_options(synchronize_session=False)
    )
    return connection.execute(statement).all()


def _mark_one_sent_statement() -> Prepared:
    """The UPDATE of :func:`mark_sent` for one run, built once (run now's)."""
    runs = Run.__table__
    return Prepared(
        sa.update(runs)
        .where(
            runs.c.id == sa.bindparam("sent_id", type_=runs.c.id.type),
            runs.c.task_id == sa.bindparam("sent_task_id", type_=runs.c.task_id.type),
        )
        .values(
            dispatched_at=sa.bindparam("sent_at", type_=runs.c.dispatched_at.type),
            due_at=None,
        )
    )


_MARK_ONE_SENT = _mark_one_sent_statement()


def mark_sent(sent: dict, now: datetime, connection) -> None:
    """Record that the broker took these runs' messages: one UPDATE for a batch.

    ``sent`` maps run ids to the task ids of the messages sent. Only a run
    that still has that task id is marked: a run retried meanwhile (a new
    task id, a new due time) is left to wait for its retry. One run (a run
    started now) is marked by a statement built once and, on PostgreSQL,
    planned once per connection.
    """
    if not sent:
        return
    if len(sent) == 1:
        ((run_id, task_id),) = sent.items()
        values = {"sent_id": run_id, "sent_task_id": task_id, "sent_at": now}
        _MARK_ONE_SENT.execute(connection, values)
        return
    connection.execute(
        sa.update(Run)
        .where(
            Run.id.in_(list(sent)),
            Run.task_id.in_(sorted(set(sent.values()))),
        )
        .values(dispatched_at=now, due_at=None)
        .execution_options(synchronize_session=False)
    )


def postpone(run_ids, due: datetime, connection) -> None:
    """Give queued runs that the broker refused back to the database until ``due``.

    A run that another sender has handed to the broker meanwhile is left
    as it is.
    """
    connection.execute(
        sa.update(Run)
        .where(
            Run.id.in_(list(run_ids)),
            Run.status == Status.QUEUED,
            Run.dispatched_at.is_(None),
        )
        .values(due_at=due)
        .execution_options(synchronize_session=False)
    )
