# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's life cycle: every change of a run's status happens here.

A run is born QUEUED (:func:`queued_run`), a worker claims it (RUNNING) and
it ends SUCCESS, FAILED, PARTIAL_SUCCESS, WARNING or CANCELLED::

    QUEUED -> RUNNING -> SUCCESS | FAILED | PARTIAL_SUCCESS | WARNING
    QUEUED -> CANCELLED               stopped before a worker took it
    RUNNING -> CANCELLING -> CANCELLED, or whatever the task still reached
    RUNNING -> QUEUED                 a retry after a retryable failure
    RUNNING | CANCELLING -> FAILED    worker lost, timed out

:data:`TRANSITIONS` holds these arrows as data. Each named step below is one
conditional UPDATE (``... WHERE id = :id AND status IN (...)``), so that two
processes (a worker claiming a run and an administrator stopping it, two
workers given the same message, two subtasks ending a parent) can never both
move the same run; each returns whether it moved the run. Steps neither
commit nor send anything: the caller commits and decides what follows (a
notification, a dispatch to the workers).
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import make_transient_to_detached

from .database import Prepared
from .jobs import build_default_arguments, has_base_hook
from .models import (
    Job,
    Run,
    RunStatusEnum,
    RunTrigger,
    last_success_order,
    last_success_where,
    utcnow,
)
from .proxies import current_jobs

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


@contextmanager
def side_connection(commit: bool = False):
    """A connection whose writes do not wait for the caller's transaction.

    On PostgreSQL it is a connection of its own, committed at the end of the
    block: a job that rolls back its work keeps its progress and log, and
    its transaction is never committed behind its back. SQLite has a single
    writer, so there the session's own connection is used (a second one
    would wait for the job's transaction); ``commit`` then commits the
    session, for writes that other processes must see at once.
    """
    if db.engine.dialect.name == "sqlite":
        yield db.session.connection()
        if commit:
            db.session.commit()
        return
    with db.engine.begin() as conn:
        yield conn


# -- being born ------------------------------------------------------------------
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

    @property
    def run_ids(self) -> tuple:
        """The runs this message carries."""
        return self.batch or (self.run_id,)

    @classmethod
    def of(cls, run, timeout=None, identity_id=None):
        """The dispatch of a run, given as a model or as :func:`queued_run` values.

        ``timeout`` is the job's, which becomes the task's time limit.
        """
        get = run.get if isinstance(run, dict) else run.__getattribute__
        return cls(
            run_id=get("id"),
            queue=get("queue"),
            task_id=get("task_id"),
            identity_id=identity_id,
            timeout=timeout,
        )


BORN_WITH = (
    "id",
    "job_id",
    "parent_run_id",
    "status",
    "title",
    "args",
    "queue",
    "task_id",
    "started_by_id",
    "scheduled_at",
    "trigger",
    "attempt",
    "dispatched_at",
    "due_at",
    "created",
    "updated",
)
"""The columns :func:`queued_run` gives a new run; the others keep their defaults."""


def queued_run(
    job_id,
    title: str,
    args: dict,
    queue: str,
    trigger: "RunTrigger" = RunTrigger.MANUAL,
    started_by_id: int | None = None,
    scheduled_at: datetime | None = None,
    parent_run_id=None,
    now: datetime | None = None,
) -> dict:
    """The values of a new QUEUED run: the one way a run is born.

    They suit both ``Run(**values)`` and a bulk INSERT of many runs; a
    run's short number within its job is given by :func:`insert_run` (or, for a
    batch, :func:`number_runs`).
    """
    now = now or utcnow()
    lease = current_app.config["JOBS_UNSENT_AFTER_SECONDS"]
    return {
        "id": uuid.uuid4(),
        "job_id": job_id,
        "parent_run_id": parent_run_id,
        "status": Status.QUEUED,
        "title": title,
        "args": args,
        "queue": queue,
        "task_id": str(uuid.uuid4()),
        "started_by_id": started_by_id,
        "scheduled_at": scheduled_at,
        "trigger": trigger,
        "attempt": 1,
        # Not sent yet: its maker sends it right after the commit and then
        # marks it sent (:func:`mark_sent`). A maker that dies in between
        # leaves it due at the end of this lease, when the beat or the
        # maintenance task sends it (:func:`take_due`).
        "dispatched_at": None,
        "due_at": now + timedelta(seconds=lease),
        "created": now,
        "updated": now,
    }


def _next_number_template():
    numbered = sa.alias(Run.__table__, "numbered")
    highest = sa.func.coalesce(sa.func.max(numbered.c.number), 0)
    return (
        sa.select(highest + sa.bindparam("number_position", type_=sa.Integer))
        .where(numbered.c.job_id == sa.bindparam("number_job_id", type_=sa.Uuid))
        .scalar_subquery()
    )


_NEXT_NUMBER = _next_number_template()
"""The run-number subquery of :func:`insert_run`, built once: building it per
run cost more than the INSERT it is part of."""


def next_run_number(job_id, position: int = 1):
    """A job's next run number (its highest + ``position``), as a scalar subquery.

    Evaluated inside the run's INSERT, so that numbering costs no statement
    of its own; ``position`` numbers several runs of one job in one INSERT.
    """
    numbered = sa.alias(Run.__table__, "numbered")
    return (
        sa.select(sa.func.coalesce(sa.func.max(numbered.c.number), 0) + position)
        .where(numbered.c.job_id == job_id)
        .scalar_subquery()
    )


def numbered_rows(runs: list[dict]) -> list[dict]:
    """:func:`queued_run` values with their numbers, for ``insert(...).values()``.

    Runs of a job are numbered in the order given; subtasks have no number
    (they are shown under their parent, which has one).
    """
    positions: dict = {}
    rows = []
    for run in runs:
        number = None
        if run.get("parent_run_id") is None:
            positions[run["job_id"]] = positions.get(run["job_id"], 0) + 1
            number = next_run_number(run["job_id"], positions[run["job_id"]])
        rows.append({**run, "number": number})
    return rows


def number_runs(runs: list[dict], connection) -> list[dict]:
    """Number many runs with one SELECT of their jobs' highest numbers.

    For batches (the scheduler's): a multi-row INSERT with a subquery per
    row costs far more than the one statement it saves. A job's scheduled
    runs are numbered by one beat at a time (its claim locks the job).
    """
    job_ids = {run["job_id"] for run in runs if run.get("parent_run_id") is None}
    highest = {}
    if job_ids:
        highest = dict(
            connection.execute(
                sa.select(Run.job_id, sa.func.max(Run.number))
                .where(Run.job_id.in_(job_ids))
                .group_by(Run.job_id)
            )
            .tuples()
            .all()
        )
    for run in runs:
        number = None
        if run.get("parent_run_id") is None:
            number = highest[run["job_id"]] = (highest.get(run["job_id"]) or 0) + 1
        run["number"] = number
    return runs


def insert_runs(runs: list[dict], statement=None):
    """The one INSERT of :func:`queued_run` values, numbering each run in it.

    ``statement`` is a dialect's INSERT of ``jobs_run`` (with its ON
    CONFLICT clause); a plain one by default.
    """
    statement = sa.insert(Run) if statement is None else statement
    return statement.values(numbered_rows(runs))


def _insert_one_parts():
    """The values, returned columns and left-out values of one run's INSERT.

    The values are bound parameters (``run_<column>``), numbered by the
    INSERT. It returns what its caller cannot know: the number, and the
    columns the database or a callable default fills. Returning every
    column cost a third of the INSERT. The values of the other columns
    that the INSERT leaves to their defaults (or NULL) are known.
    """
    runs = Run.__table__
    names = BORN_WITH
    values = {
        name: sa.bindparam(f"run_{name}", type_=runs.c[name].type) for name in names
    }
    returned, known = [runs.c.number], {}
    for column in runs.c:
        if column.key in names or column.key == "number":
            continue
        default = column.default
        if default is not None and default.is_scalar:
            # Written in the statement: a prepared INSERT has no per-use default.
            known[column.key] = default.arg
            values[column.key] = sa.literal(default.arg, type_=column.type)
        elif default is not None or column.server_default is not None:
            returned.append(column)
        else:
            known[column.key] = None
    values["number"] = _NEXT_NUMBER
    return values, returned, known


def _insert_one_statement():
    """The INSERT of one :func:`queued_run`, numbered, built once (bound values)."""
    values, returned, known = _insert_one_parts()
    statement = sa.insert(Run.__table__).values(**values).returning(*returned)
    return Prepared(statement), known


_INSERT_ONE, _INSERT_ONE_LEAVES = _insert_one_statement()

JOB_AS_SEEN = ("task", "run_args", "default_queue", "timeout")
"""What starting a run reads of its job: :func:`insert_run_if_job_unchanged`."""


def _insert_if_job_unchanged_statement():
    """The INSERT of :func:`insert_run_if_job_unchanged`, built once (PostgreSQL).

    ``INSERT ... SELECT ... WHERE EXISTS (the job, as seen)``: each value
    the caller used is compared (``seen_<column>``), the arguments as
    ``jsonb`` (whatever the column's JSON type).
    """
    values, returned, _ = _insert_one_parts()
    jobs = Job.__table__

    def same(column):
        name = f"seen_{column.key}"
        if column.key == "run_args":
            seen = sa.bindparam(name, type_=JSONB)
            return sa.cast(column, JSONB).is_not_distinct_from(seen)
        return column.is_not_distinct_from(sa.bindparam(name, type_=column.type))

    as_seen = sa.exists().where(
        jobs.c.id == values["job_id"], *(same(jobs.c[key]) for key in JOB_AS_SEEN)
    )
    rows = sa.select(*values.values()).where(as_seen)
    statement = sa.insert(Run.__table__).from_select(list(values), rows)
    return Prepared(statement.returning(*returned))


_INSERT_IF_JOB_UNCHANGED = _insert_if_job_unchanged_statement()


def _insert_values(run: dict) -> dict:
    values = {f"run_{name}": value for name, value in run.items()}
    values.update(number_job_id=run["job_id"], number_position=1)
    return values


def insert_run(run: dict, session, connection=None) -> Run:
    """Insert one top-level :func:`queued_run`, numbered, as an object of ``session``.

    One INSERT ... RETURNING, built once, whose values become the session's
    object as they are: building the statement, or the ORM's INSERT of an
    object, cost more than the database's work. It runs in the session,
    or on ``connection`` (the caller commits).
    """
    values = _insert_values(run)
    if connection is None:
        row = session.execute(_INSERT_ONE.statement, values).one()
    else:
        row = _INSERT_ONE.execute(connection, values).one()
    return as_stored(session, Run, {**_INSERT_ONE_LEAVES, **run, **row._asdict()})


def insert_run_if_job_unchanged(run: dict, seen: dict, session, connection):
    """As :func:`insert_run`, only if the job still has the values ``seen``.

    ``seen`` holds the job's :data:`JOB_AS_SEEN` as the caller read them,
    maybe long ago: the INSERT inserts nothing (and this returns None) if
    the job was changed or deleted since. A caller that remembers the jobs
    it started runs of starts one more with this single statement, and
    reads the job again only when it returns None. PostgreSQL only.
    """
    values = _insert_values(run)
    values.update({f"seen_{key}": seen[key] for key in JOB_AS_SEEN})
    row = _INSERT_IF_JOB_UNCHANGED.execute(connection, values).first()
    if row is None:
        return None
    return as_stored(session, Run, {**_INSERT_ONE_LEAVES, **run, **row._asdict()})


def as_stored(session, model, values: dict):
    """A row of ``model``'s table just written, as the session's object, unread.

    ``values`` are the row's, by column. They become the object's loaded
    state as a query's would (no constructor, whose per-attribute events
    cost more than the statement); a column left out is loaded when read.
    An object of the session with the same identity takes the values.
    """
    stored = model.__mapper__.class_manager.new_instance()
    stored.__dict__.update(values)
    make_transient_to_detached(stored)
    if sa.inspect(stored).key in session.identity_map:
        return session.merge(stored, load=False)
    session.add(stored)
    return stored


# -- living ----------------------------------------------------------------------
def claim_subtasks(run_ids, worker: str, session) -> list:
    """Claim the queued subtasks of one message: QUEUED -> RUNNING, one UPDATE.

    Returns those claimed as objects of ``session`` (refreshed), in the
    order given; subtasks stopped or taken meanwhile are left out. The
    caller commits.
    """
    now = utcnow()
    runs = Run.__table__
    statement = (
        sa.update(runs)
        .where(runs.c.id.in_(list(run_ids)), runs.c.status == Status.QUEUED.value)
        .values(_claimed(now, worker))
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
    return {
        "postgresql": Prepared(
            update.where(jobs.c.id == runs.c.job_id).returning(*runs.c, *jobs.c, since)
        ),
        None: sa.select(Run).from_statement(update.returning(*runs.c)),
    }


_CLAIM_AND_READ = _claim_and_read_statements()


def claim_and_read(run_id, worker: str, session, connection=None):
    """Claim a queued run and read it, its job and its job's last success.

    QUEUED -> RUNNING as :func:`claim`, and on PostgreSQL in the same
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
    (:func:`take_due`): no message waits in the broker or in a worker.
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
        message=message,
    )
    return task_id if moved else None


def take_due(now: datetime, lease: float, limit: int, connection) -> list:
    """Take the queued runs due to be sent now, for ``lease`` seconds; return them.

    One conditional UPDATE: a run is taken by one caller only (several
    beat processes look at once), which sends it and then marks it sent
    (:func:`mark_sent`). Taking moves its due time to the end of the lease,
    so that a caller that dies before the publish leaves it due again
    then, for the next caller: a run is never marked sent before its
    message is in the broker. Runs without a task id (subtasks that the
    module that made them sends) are never taken. Returns ``(id, queue,
    task_id, job_id, started_by_id)`` rows.
    """
    due = (
        sa.select(Run.id)
        .where(
            Run.due_at <= now,
            Run.dispatched_at.is_(None),
            Run.status == Status.QUEUED,
        )
        .order_by(Run.due_at)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
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


def mark_task_finished(
    run_id, partial_message=None, errored_entries=0, connection=None, **values
) -> bool:
    """Record that a parent's own task returned; it ends with its subtasks.

    Not a change of status: the run stays RUNNING (or CANCELLING) until
    :func:`finish_parent` sees its last subtask end. No subtask is added
    after this (``subtasks_closed``). A task that ended with a partial
    failure leaves its message (which keeps the parent from ending
    SUCCESS) and adds the entries it could not process; ``values`` (its
    last counts, :func:`counter_values`) are written with it.
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


# -- ending ----------------------------------------------------------------------
def finish(
    run_id,
    status,
    message=None,
    from_statuses=ENDING,
    connection=None,
    without_subtasks=False,
    counts=(),
    **values,
) -> bool:
    """End a run that a worker holds with ``status`` (and its counters).

    ``without_subtasks``: only a run that has no subtask ends here; one that
    has some ends with them (:func:`mark_task_finished`), so a worker learns
    which it is from this one statement. ``counts`` are the run's last
    counts, as :func:`counter_values` takes them, added by that statement;
    ``values`` are plain values of other columns. The statement is built
    once for each shape of what it writes: building it cost more than
    running it.
    """
    shape, parameters = counts_shape(*counts)
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
            | _count_assignments(shape)
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


# -- subtasks --------------------------------------------------------------------
def count_subtask(
    parent_id, succeeded: bool, connection, inserted=0, updated=0, errored=0
) -> bool:
    """Count one ended subtask on its parent, atomically.

    As in InvenioRDM, ``completed_subtasks`` counts every subtask that ended
    and ``failed_subtasks`` those of them that failed; the entries a
    subtask reports are added to the parent's. Returns whether the parent
    may end now (see :func:`count_subtasks`).
    """
    return count_subtasks(
        parent_id,
        1,
        0 if succeeded else 1,
        connection,
        inserted=inserted,
        updated=updated,
        errored=errored,
    )


def count_subtasks(
    parent_id, ended: int, failed: int, connection, inserted=0, updated=0, errored=0
) -> bool:
    """Count ``ended`` subtasks (``failed`` of them failed) on their parent at once.

    Returns whether the parent may end now (its task returned and no
    subtask is left), read by the same statement: only then is
    :func:`finish_parent` worth its statement.
    """
    values = {
        "completed_subtasks": Run.completed_subtasks + ended,
        "failed_subtasks": Run.failed_subtasks + failed,
        **counter_values(int(inserted), int(updated), int(errored)),
    }
    ready = connection.execute(
        sa.update(Run)
        .where(Run.id == parent_id)
        .values(**values)
        .returning(
            sa.and_(
                Run.subtasks_closed,
                Run.completed_subtasks >= Run.total_subtasks,
            )
        )
    ).scalar()
    return bool(ready)


COUNTED = ("inserted", "updated", "errored")
"""The entry counters a run's task adds to (``<name>_entries``)."""


def counts_shape(inserted=0, updated=0, errored=0, total=None, added=0):
    """``(shape, parameters)`` of the counts a write adds to a run (or sets).

    The shape names what is written, so that a statement built once per
    shape (:func:`_count_assignments`) serves every write of it; the
    parameters are its bound values.
    """
    shape, parameters = [], {}
    for name, count in zip(COUNTED, (inserted, updated, errored)):
        if count:
            shape.append(name)
            parameters[f"add_{name}"] = int(count)
    if total is not None:
        shape.append("total")
        parameters["set_total"] = total + added
    elif added:
        shape.append("added")
        parameters["add_total"] = added
    return tuple(shape), parameters


def _count_assignments(shape, parameters=None) -> dict:
    """The UPDATE values of a :func:`counts_shape`, bound (to ``parameters`` if given)."""
    runs = Run.__table__

    def bound(key):
        value = None if parameters is None else parameters[key]
        return sa.bindparam(key, value, type_=sa.Integer)

    values = {}
    for name in shape:
        if name in COUNTED:
            column = runs.c[f"{name}_entries"]
            values[column.name] = column + bound(f"add_{name}")
        elif name == "total":
            values["total_entries"] = bound("set_total")
        else:
            total = sa.func.coalesce(runs.c.total_entries, 0)
            values["total_entries"] = total + bound("add_total")
    return values


def counter_values(inserted=0, updated=0, errored=0, total=None, added=0) -> dict:
    """The UPDATE values that add entry counts to a run (and set its total).

    ``added`` adds to the total (which starts at zero when unknown); a
    ``total`` given replaces it, plus what was added after.
    """
    return _count_assignments(*counts_shape(inserted, updated, errored, total, added))


def add_total_entries(run_id, job_id, count: int, connection) -> bool:
    """Add to a run's total of entries, atomically; False when no such run.

    The total is NULL while unknown; the first addition starts it at zero.
    """
    statement = (
        sa.update(Run)
        .where(Run.id == run_id, Run.job_id == job_id)
        .values(total_entries=sa.func.coalesce(Run.total_entries, 0) + count)
    )
    return connection.execute(statement).rowcount == 1


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


def add_subtask(
    parent_id,
    job_id,
    queue,
    title,
    spec: dict,
    connection,
    driven_by_caller: bool = False,
    started_by_id=None,
) -> dict:
    """Insert a QUEUED child run of a parent and count it there.

    ``spec`` is the Celery task the child runs (name, args, kwargs). Returns
    the child's values, for its dispatch. A child ``driven_by_caller`` (as
    InvenioRDM modules make them: they send their own Celery task and
    report its start and end) has no task id: it is never sent by the job
    system, and its ``args`` are the caller's.
    """
    child = queued_run(
        job_id,
        title,
        spec,
        queue,
        RunTrigger.SUBTASK,
        started_by_id=started_by_id,
        parent_run_id=parent_id,
    )
    if driven_by_caller:
        child.update(task_id=None, due_at=None)  # never sent by the job system
    add_subtasks(parent_id, [child], connection)
    return child


def add_subtasks(parent_id, children: list[dict], connection) -> None:
    """Insert :func:`queued_run` children of a parent and count them there.

    Two statements however many children: one multi-row INSERT and one
    UPDATE of the parent's ``total_subtasks``.
    """
    if not children:
        return
    connection.execute(sa.insert(Run), children)
    connection.execute(
        sa.update(Run)
        .where(Run.id == parent_id)
        .values(total_subtasks=Run.total_subtasks + len(children))
    )


# -- what a run's task receives ---------------------------------------------------
def task_arguments(job: Job, run: Run, since=SINCE_UNKNOWN) -> dict:
    """The task's keyword arguments: the run's arguments through the job type.

    The job type's ``_build_task_arguments`` hook receives ``since`` as the
    administrator gave it (None: the hook defaults it to the start of the
    job's last successful run), the arguments the job type declares and the
    run's ``custom_args``; never the form's own markers. ``since`` read with
    the claim (:func:`claim_and_read`) saves the base hook its query.
    """
    job_type = current_jobs.registry.get(job.task)
    if since is SINCE_UNKNOWN or not has_base_hook(job_type):
        return build_default_arguments(job_type, job, run.args)
    return build_default_arguments(job_type, job, run.args, since, since_known=True)
