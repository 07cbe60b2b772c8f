# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The state machine of a run: its statuses, the arrows between them, the steps.

:data:`TRANSITIONS` holds the arrows as data. Each named step is one
conditional UPDATE (``... WHERE id = :id AND status IN (...)``) whose
statuses come from :data:`TRANSITIONS`, so that two processes (a worker
claiming a run and an administrator stopping it, two workers given the same
message, two subtasks ending a parent) can never both move the same run;
each returns whether it moved the run. Steps neither commit nor send
anything: the caller commits and decides what follows.
"""

import uuid
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from invenio_db import db

from ..database import Prepared
from ..models import (
    Job,
    Run,
    RunStatusEnum,
    last_success_order,
    last_success_where,
    utcnow,
)
from .births import as_stored
from .counts import EntryCounts, count_assignments

Status = RunStatusEnum


ENDED = frozenset(Status.finished())
"""Statuses of a run that has ended: no arrow leaves them."""


ENDING = (Status.RUNNING, Status.CANCELLING)
"""Statuses of a run whose task a worker holds."""


TRANSITIONS: dict[RunStatusEnum, frozenset[RunStatusEnum]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.CANCELLED}),
    Status.RUNNING: frozenset({Status.QUEUED, Status.CANCELLING, *ENDED}),
    Status.CANCELLING: ENDED,
    **{status: frozenset() for status in ENDED},
}
"""For each status, the statuses a run may move to from it."""


def sources_of(to_status: RunStatusEnum) -> frozenset[RunStatusEnum]:
    """The statuses from which a run may move to ``to_status``."""
    return frozenset(s for s, targets in TRANSITIONS.items() if to_status in targets)


def transition(run_id, to_status, from_statuses=None, connection=None, **values):
    """Move a run to ``to_status`` if it is in one of ``from_statuses``.

    ``from_statuses`` defaults to every status with an arrow to
    ``to_status``; asking for an arrow that :data:`TRANSITIONS` lacks is a
    programming error. ``connection`` defaults to the session (the caller
    commits). Returns whether this call moved the run.
    """
    sources = _sources(to_status, from_statuses)
    statement = (
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(sources))
        .values(status=to_status, updated=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return (connection or db.session).execute(statement).rowcount == 1


def _sources(to_status, from_statuses=None) -> tuple[str, ...]:
    """The letters of ``from_statuses``, checked against :data:`TRANSITIONS`."""
    allowed = sources_of(to_status)
    sources = allowed if from_statuses is None else frozenset(from_statuses)
    if not sources <= allowed:
        wrong = ", ".join(sorted(s.name for s in sources - allowed))
        raise ValueError(f"A run cannot move from {wrong} to {to_status.name}.")
    return tuple(sorted(status.value for status in sources))


def _job_run_as(runs):
    """The ``run_as`` user of a run's job, as a value of the run's UPDATE."""
    owner = sa.alias(Job.__table__, "run_as_job")
    return (
        sa.select(owner.c.run_as_id)
        .where(owner.c.id == runs.c.job_id)
        .correlate(runs)
        .scalar_subquery()
    )


def claim_subtasks(run_ids, worker: str, session) -> list:
    """Claim the queued subtasks of one message: QUEUED -> RUNNING, one UPDATE.

    Subtasks execute as their job's ``run_as`` user, as their parent does.

    Returns those claimed as objects of ``session`` (refreshed), in the
    order given; subtasks stopped or taken meanwhile are left out. The
    caller commits.
    """
    now = utcnow()
    runs = Run.__table__
    statement = (
        sa.update(runs)
        .where(runs.c.id.in_(list(run_ids)), runs.c.status == Status.QUEUED.value)
        .values({**_claimed(now, worker), "run_as_id": _job_run_as(runs)})
        .returning(*runs.c)
    )
    claimed = session.execute(
        sa.select(Run).from_statement(statement),
        execution_options={"populate_existing": True},
    ).scalars()
    by_id = {run.id: run for run in claimed}
    return [by_id[run_id] for run_id in run_ids if run_id in by_id]


def claim(run_id, worker: str, connection=None, **values) -> bool:
    """A worker takes a queued run: QUEUED -> RUNNING, heart beating from now."""
    now = utcnow()
    return transition(
        run_id,
        Status.RUNNING,
        [Status.QUEUED],
        connection=connection,
        started_at=now,
        heartbeat_at=now,
        worker=worker,
        **values,
    )


SINCE_UNKNOWN = object()
"""``since`` of :func:`claim_and_read` when it was not read with the claim."""


def _claimed(now, worker) -> dict:
    """What a claim of ``jobs_run`` writes: RUNNING, started and beating from ``now``."""
    return {
        "status": Status.RUNNING.value,
        "started_at": now,
        "heartbeat_at": now,
        "worker": worker,
        "updated": now,
    }


def _claim_and_read_statements():
    """The statements of :func:`claim_and_read`, built once (by dialect).

    Building them per run cost more than running them; their values are
    bound parameters.
    """
    runs, jobs = Run.__table__, Job.__table__
    last = sa.alias(runs, "last_success")
    since = (
        sa.select(last.c.started_at)
        .where(last.c.job_id == runs.c.job_id, *last_success_where(last.c))
        .order_by(*last_success_order(last.c))
        .limit(1)
        .correlate(runs)
        .scalar_subquery()
        .label("last_success_start")
    )
    now = sa.bindparam("claimed_at", type_=runs.c.started_at.type)
    update = (
        sa.update(runs)
        .where(
            runs.c.id == sa.bindparam("claimed_id", type_=runs.c.id.type),
            runs.c.status == Status.QUEUED.value,
        )
        .values(_claimed(now, sa.bindparam("claimed_by", type_=runs.c.worker.type)))
    )
    # The run executes as its job's service account as it is when claimed.
    return {
        "postgresql": Prepared(
            update.values(run_as_id=jobs.c.run_as_id)
            .where(jobs.c.id == runs.c.job_id)
            .returning(*runs.c, *jobs.c, since)
        ),
        None: sa.select(Run).from_statement(
            update.values(run_as_id=_job_run_as(runs)).returning(*runs.c)
        ),
    }


_CLAIM_AND_READ = _claim_and_read_statements()


def claim_and_read(run_id, worker: str, session, connection=None):
    """Claim a queued run and read it, its job and its job's last success.

    QUEUED -> RUNNING as :func:`claim`, recording the job's ``run_as`` user
    as the one the run executes as; on PostgreSQL in the same
    statement (``UPDATE ... FROM jobs_job ... RETURNING``) the run, its job
    and when the job's last successful run started (the ``since`` of the
    task's arguments): a worker's whole read before the task. There it runs
    on ``connection`` (the caller's, committed by it), and its row becomes
    the session's objects as it is. SQLite's RETURNING cannot name another
    table's columns: there it runs in the session (the caller commits), the
    job is read after, and ``since`` is :data:`SINCE_UNKNOWN`. Returns
    ``(run, job, since)`` as objects of ``session`` (refreshed), or None
    when the run was not QUEUED any more.
    """
    values = {"claimed_id": run_id, "claimed_at": utcnow(), "claimed_by": worker}
    if connection is not None:
        row = _CLAIM_AND_READ["postgresql"].execute(connection, values).first()
        if row is None:
            return None
        runs, jobs = Run.__table__.c.keys(), Job.__table__.c.keys()
        return (
            as_stored(session, Run, dict(zip(runs, row))),
            as_stored(session, Job, dict(zip(jobs, row[len(runs) : -1]))),
            row[-1],
        )
    fresh = {"populate_existing": True}
    statement = _CLAIM_AND_READ[None]
    run = session.execute(statement, values, execution_options=fresh).scalar()
    if run is None:
        return None
    return run, session.get(Job, run.job_id), SINCE_UNKNOWN


def cancel(run_id, message: str) -> bool:
    """Stop a run no worker has taken yet: QUEUED -> CANCELLED."""
    return transition(
        run_id, Status.CANCELLED, [Status.QUEUED], finished_at=utcnow(), message=message
    )


def request_stop(run_id, message: str | None = None) -> bool:
    """Ask a running run to stop at its next check: RUNNING -> CANCELLING.

    ``message`` (who asked, and when) is the run's message until it ends.
    """
    values = {"message": message} if message else {}
    return transition(
        run_id,
        Status.CANCELLING,
        [Status.RUNNING],
        stop_requested_at=utcnow(),
        **values,
    )


def retry(run_id, due: datetime, message: str) -> str | None:
    """Queue a failed attempt again: RUNNING -> QUEUED with a new task id.

    The run waits in the database until ``due``, when the beat sends it
    (:func:`take_due`, or :func:`admit` for a run of a pooled job, which
    gives its slot back meanwhile): no message waits in the broker or in a
    worker.
    Returns the new Celery task id, or None when the run was not RUNNING
    any more.
    """
    task_id = str(uuid.uuid4())
    moved = transition(
        run_id,
        Status.QUEUED,
        [Status.RUNNING],
        attempt=Run.attempt + 1,
        task_id=task_id,
        dispatched_at=None,
        due_at=due,
        # Its pool's slot is given back: it waits for one again after the
        # back-off, behind the runs that waited before it.
        slot_pool=None,
        message=message,
    )
    return task_id if moved else None


def mark_task_finished(
    run_id, partial_message=None, errored_entries=0, connection=None, **values
) -> bool:
    """Record that a parent's own task returned; it ends with its subtasks.

    Not a change of status: the run stays RUNNING (or CANCELLING) until
    :func:`finish_parent` sees its last subtask end. No subtask is added
    after this (``subtasks_closed``). A task that ended with a partial
    failure leaves its message (which keeps the parent from ending
    SUCCESS) and adds the entries it could not process; ``values`` (its
    last counts, :class:`EntryCounts`) are written with it.
    """
    now = utcnow()
    values = {
        "errored_entries": Run.errored_entries + errored_entries,
        **values,
    }
    statement = (
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(ENDING))
        .values(
            task_finished_at=now,
            subtasks_closed=True,
            updated=now,
            message=partial_message,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    return (connection or db.session).execute(statement).rowcount == 1


def finish(
    run_id,
    status,
    message=None,
    from_statuses=ENDING,
    connection=None,
    without_subtasks=False,
    counts: EntryCounts | None = None,
    **values,
) -> bool:
    """End a run that a worker holds with ``status`` (and its counters).

    ``without_subtasks``: only a run that has no subtask ends here; one that
    has some ends with them (:func:`mark_task_finished`), so a worker learns
    which it is from this one statement. ``counts`` are the run's last
    counts (:class:`EntryCounts`), added by that statement;
    ``values`` are plain values of other columns. The statement is built
    once for each shape of what it writes: building it cost more than
    running it.
    """
    shape, parameters = (counts or EntryCounts()).shape()
    statement = _finish_statement(
        _sources(status, from_statuses), without_subtasks, shape, tuple(sorted(values))
    )
    parameters.update(
        {f"end_{name}": value for name, value in values.items()},
        end_id=run_id,
        end_status=status,
        end_at=utcnow(),
        end_message=message,
    )
    if connection is None:
        return db.session.execute(statement.statement, parameters).rowcount == 1
    return statement.execute(connection, parameters).rowcount == 1


@lru_cache(maxsize=64)
def _finish_statement(sources, without_subtasks: bool, shape, names) -> Prepared:
    """The UPDATE of :func:`finish` for one shape, its values bound parameters."""
    runs = Run.__table__
    now = sa.bindparam("end_at", type_=runs.c.finished_at.type)
    statement = (
        sa.update(runs)
        .where(
            runs.c.id == sa.bindparam("end_id", type_=runs.c.id.type),
            runs.c.status.in_(sources),
        )
        .values(
            {
                name: sa.bindparam(f"end_{name}", type_=runs.c[name].type)
                for name in names
            }
            | {
                "status": sa.bindparam("end_status", type_=runs.c.status.type),
                "finished_at": now,
                "updated": now,
                "message": sa.bindparam("end_message", type_=runs.c.message.type),
            }
            | count_assignments(shape)
        )
    )
    if without_subtasks:
        statement = statement.where(runs.c.total_subtasks == 0)
    return Prepared(statement)


def finish_many(run_ids, status, message=None, connection=None, **values) -> int:
    """End runs that a worker holds alike, with one UPDATE; return how many ended."""
    statement = (
        sa.update(Run)
        .where(Run.id.in_(list(run_ids)), Run.status.in_(ENDING))
        .values(status=status, finished_at=utcnow(), updated=utcnow(), message=message)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return (connection or db.session).execute(statement).rowcount


def mark_lost(
    run_id, last_heartbeat: datetime | None, worker_alive: bool = False
) -> bool:
    """Fail a run whose worker stopped beating: RUNNING | CANCELLING -> FAILED.

    ``worker_alive``: its worker still answers, so it is the database that
    it lost (an outage longer than the stale time), not its life.
    """
    since = last_heartbeat.isoformat() if last_heartbeat else "start"
    if worker_alive:
        message = (
            "Lost its database: the worker is alive but could not record "
            f"this run since {since}."
        )
    else:
        message = f"Worker lost: no heartbeat since {since}."
    return finish(run_id, Status.FAILED, message)


def terminate(run_id, grace_seconds) -> bool:
    """End a run that ignored a stop for too long: CANCELLING -> CANCELLED."""
    return finish(
        run_id,
        Status.CANCELLED,
        f"Terminated: did not stop within {grace_seconds} s.",
        from_statuses=[Status.CANCELLING],
    )


def finish_parent(parent_id, connection) -> RunStatusEnum | None:
    """End a parent once its own task and all its subtasks have ended.

    As in InvenioRDM: SUCCESS when every subtask succeeded, no entry failed
    and the task reported no partial failure (no message); PARTIAL_SUCCESS
    when some subtask succeeded, or some entries failed but not all;
    FAILED otherwise. Called by the parent
    when its task returns and by each subtask as it ends; the condition lets
    exactly one of them end the parent. Returns the status it ended with,
    or None when this call did not end it.
    """
    c = Run.__table__.c
    now = utcnow()
    # The table's columns, not the model's: the CASE yields status letters.
    statement = (
        sa.update(Run.__table__)
        .where(
            c.id == parent_id,
            c.status.in_([s.value for s in sources_of(Status.PARTIAL_SUCCESS)]),
            c.subtasks_closed,
            c.completed_subtasks >= c.total_subtasks,
        )
        .values(
            status=sa.case(
                (
                    sa.and_(
                        c.failed_subtasks == 0,
                        c.errored_entries == 0,
                        c.message.is_(None),
                    ),
                    Status.SUCCESS.value,
                ),
                (
                    c.failed_subtasks < c.completed_subtasks,
                    Status.PARTIAL_SUCCESS.value,
                ),
                (
                    sa.and_(
                        c.errored_entries > 0,
                        c.errored_entries < c.total_entries,
                    ),
                    Status.PARTIAL_SUCCESS.value,
                ),
                else_=Status.FAILED.value,
            ),
            finished_at=now,
            updated=now,
        )
        .returning(c.status)
    )
    letter = connection.execute(statement).scalar()
    return None if letter is None else Status(letter)
