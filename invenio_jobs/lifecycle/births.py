# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Where runs are born: run now, the scheduler and subtasks alike.

A run is born QUEUED by :func:`queued_run`, not sent yet (see
:mod:`.sending`), and numbered within its job by the INSERT itself.
"""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import make_transient_to_detached

from ..database import Prepared
from ..models import Job, Run, RunStatusEnum, RunTrigger, utcnow

Status = RunStatusEnum


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


JOB_AS_SEEN = ("task", "run_args", "default_queue", "timeout", "pool")
"""What starting a run reads of its job, compared by :func:`insert_run` (``seen``)."""


def _insert_if_job_unchanged_statement():
    """The INSERT of :func:`insert_run` given ``seen``, built once (PostgreSQL).

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


def insert_run(run: dict, session, connection=None, seen: dict | None = None):
    """Insert one top-level :func:`queued_run`, numbered, as an object of ``session``.

    One INSERT ... RETURNING, built once, whose values become the session's
    object as they are: building the statement, or the ORM's INSERT of an
    object, cost more than the database's work. It runs on ``connection``
    (the caller commits), by default the session's.

    ``seen`` holds the job's :data:`JOB_AS_SEEN` as the caller read them,
    maybe long ago: the INSERT then inserts only if the job still has those
    values, and this returns None if the job was changed or deleted since
    (PostgreSQL). A caller that remembers the jobs it started runs of starts
    one more with this single statement, and reads the job again only then.
    """
    values = _insert_values(run)
    statement = _INSERT_ONE
    if seen is not None:
        values.update({f"seen_{key}": seen[key] for key in JOB_AS_SEEN})
        statement = _INSERT_IF_JOB_UNCHANGED
    row = statement.execute(connection or session.connection(), values).first()
    if row is None:
        return None
    return as_stored(session, Run, {**_INSERT_ONE_LEAVES, **run, **row._asdict()})


def insert_timed_run(run: dict, session, connection=None):
    """Insert a run asked for at a chosen time (its ``scheduled_at``); None if taken.

    The run waits QUEUED in the database, due at that time, as a retry
    waits: the beat's :func:`take_due` sends it then, whichever beat looks
    first, and a beat restarted meanwhile finds it there. The unique
    ``(job_id, scheduled_at)`` that keeps a fire time from being queued
    twice keeps two runs of a job from waiting for the same instant: the
    INSERT then inserts nothing and this returns None. One INSERT ...
    RETURNING, numbered as :func:`insert_run`'s.
    """
    connection = connection or session.connection()
    values, returned, known = _insert_one_parts()
    dialect = connection.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        statement = sa.insert(Run.__table__).values(**values)
    else:
        statement = (
            insert(Run.__table__)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job_id", "scheduled_at"])
        )
    row = connection.execute(statement.returning(*returned), _insert_values(run))
    row = row.first()
    if row is None:
        return None
    return as_stored(session, Run, {**known, **run, **row._asdict()})


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
