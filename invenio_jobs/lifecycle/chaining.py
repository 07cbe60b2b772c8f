# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs that run after other jobs: the runs a run's end starts.

A job's ``run_after`` names the jobs it runs after, each with the statuses
of their ends that count (by default SUCCESS and PARTIAL_SUCCESS), a mode
(``any``: each such end starts a run; ``all``: a run starts once every one
of them has ended so since the job's last run) and a delay. A run so
started is born QUEUED, not sent, due at the end plus the delay: the beat
sends it as it sends any run that waits in the database. Its
``after_run_id`` is the run whose end started it, and the unique
``(job_id, after_run_id)`` makes the end start one run, however many
processes record or catch up that end.
"""

import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Job, Run, RunStatusEnum, RunTrigger, utcnow
from .births import _insert_one_parts, _insert_values, as_stored, queued_run

Status = RunStatusEnum

DEFAULT_STATUSES = ("SUCCESS", "PARTIAL_SUCCESS")
"""The ends of a job that start the jobs run after it, unless a link says otherwise."""

MODES = ("any", "all")
"""``any``: each end of one of the jobs starts a run; ``all``: every one must have
ended since the job's last run."""


def links_of(run_after) -> dict:
    """The jobs a ``run_after`` value names: {predecessor id (text): statuses}."""
    if not isinstance(run_after, dict):
        return {}
    links = {}
    for link in run_after.get("jobs") or ():
        statuses = link.get("statuses") or DEFAULT_STATUSES
        links[str(link["id"])] = frozenset(Status[name] for name in statuses)
    return links


def mode_of(run_after) -> str:
    """``any`` or ``all``."""
    return (run_after or {}).get("mode") or "any"


def delay_of(run_after) -> timedelta:
    """How long after the end its run is due."""
    return timedelta(seconds=(run_after or {}).get("delay_seconds") or 0)


def _insert_after_statement(dialect: str):
    """The INSERT of a run started by an end: nothing when that end started one."""
    values, returned, known = _insert_one_parts()
    values["after_run_id"] = sa.bindparam("run_after_run_id", type_=sa.Uuid)
    known.pop("after_run_id", None)
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = (
        insert(Run.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["job_id", "after_run_id"])
    )
    return statement.returning(*returned), known


_STATEMENTS = {}


def any_job_runs_after(connection) -> bool:
    """Whether any active job runs after another (one cheap probe)."""
    jobs = Job.__table__
    probe = sa.select(jobs.c.id).where(
        jobs.c.active.is_(True), jobs.c.run_after.is_not(None)
    )
    return connection.execute(probe.limit(1)).first() is not None


def successors_of(job_id, connection) -> list:
    """The active jobs that run after ``job_id``: rows of id, title, arguments ..."""
    jobs = Job.__table__
    rows = connection.execute(
        sa.select(
            jobs.c.id,
            jobs.c.title,
            jobs.c.run_args,
            jobs.c.default_queue,
            jobs.c.run_after,
            jobs.c.updated,
        ).where(jobs.c.active.is_(True), jobs.c.run_after.is_not(None))
    ).all()
    return [row for row in rows if str(job_id) in links_of(row.run_after)]


def start_after(run_id, connection, session=None, now=None, catching_up=False) -> list:
    """Insert the runs that the end of ``run_id`` starts; their values.

    Whoever records an end calls this (in its own transaction, which it
    commits); the maintenance task calls it again for recent ends, in
    case that process died first. A second call for the same end inserts
    nothing. A subtask's end, or a run not ended, starts nothing.
    ``catching_up``: an end older than the job run after it (its last save)
    starts nothing, so that a new link does not start runs for the past.
    """
    runs = Run.__table__
    ended = connection.execute(
        sa.select(runs.c.id, runs.c.job_id, runs.c.status, runs.c.finished_at).where(
            runs.c.id == run_id,
            runs.c.parent_run_id.is_(None),
            runs.c.finished_at.is_not(None),
        )
    ).first()
    if ended is None:
        return []
    started = []
    for successor in successors_of(ended.job_id, connection):
        links = links_of(successor.run_after)
        if ended.status not in links[str(ended.job_id)]:
            continue
        if catching_up and ended.finished_at <= successor.updated:
            continue
        if mode_of(successor.run_after) == "all" and not _all_ended(
            successor.id, links, ended, connection
        ):
            continue
        run = _insert(successor, ended, connection, session, now)
        if run is not None:
            started.append(run)
    return started


def _all_ended(job_id, links: dict, ended, connection) -> bool:
    """Whether every job ``job_id`` runs after has ended so since its last run.

    The job's row is locked first (PostgreSQL), so that of two ends
    recorded at once the second sees the first's run: one run starts, not
    two, and not none.
    """
    jobs, runs = Job.__table__, Run.__table__
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.select(jobs.c.id).where(jobs.c.id == job_id).with_for_update()
        )
    last = connection.execute(
        sa.select(sa.func.max(runs.c.created)).where(
            runs.c.job_id == job_id, runs.c.parent_run_id.is_(None)
        )
    ).scalar()
    if last is not None and ended.finished_at <= last:
        return False
    for predecessor, statuses in links.items():
        if predecessor == str(ended.job_id):
            continue
        since = [runs.c.finished_at > last] if last is not None else []
        found = connection.execute(
            sa.select(runs.c.id)
            .where(
                runs.c.job_id == _uuid(predecessor),
                runs.c.parent_run_id.is_(None),
                runs.c.status.in_(statuses),
                *since,
            )
            .limit(1)
        ).first()
        if found is None:
            return False
    return True


def _uuid(text):
    return uuid.UUID(str(text))


def _insert(successor, ended, connection, session, now):
    """Insert the run of ``successor`` that ``ended`` starts; None if it has one."""
    now = now or utcnow()
    queue = successor.default_queue or current_app.config["JOBS_DEFAULT_QUEUE"]
    run = queued_run(
        successor.id,
        successor.title,
        successor.run_args or {},
        queue,
        RunTrigger.AFTER,
        now=now,
    )
    run["due_at"] = max(now, ended.finished_at + delay_of(successor.run_after))
    dialect = connection.dialect.name
    if dialect not in _STATEMENTS:
        _STATEMENTS[dialect] = _insert_after_statement(dialect)
    statement, known = _STATEMENTS[dialect]
    values = _insert_values(run)
    values["run_after_run_id"] = ended.id
    row = connection.execute(statement, values).first()
    if row is None:
        return None
    run.update(known, after_run_id=ended.id, **row._asdict())
    if session is not None:
        return as_stored(session, Run, run)
    return run


def recent_ends(since, until, connection) -> list:
    """Ends between ``since`` and ``until`` of jobs that others run after.

    Those whose runs may not have been started (the process that recorded
    the end died first), for the maintenance task's catch-up.
    """
    jobs, runs = Job.__table__, Run.__table__
    rows = connection.execute(
        sa.select(jobs.c.run_after).where(
            jobs.c.active.is_(True), jobs.c.run_after.is_not(None)
        )
    ).all()
    counted = {}
    for row in rows:
        for key, statuses in links_of(row.run_after).items():
            counted.setdefault(_uuid(key), set()).update(statuses)
    if not counted:
        return []
    started = sa.alias(runs, "started")
    ends_that_count = sa.or_(
        *(
            sa.and_(
                runs.c.job_id == job_id,
                runs.c.status.in_(sorted(statuses, key=lambda s: s.value)),
            )
            for job_id, statuses in counted.items()
        )
    )
    return (
        connection.execute(
            sa.select(runs.c.id)
            .where(
                ends_that_count,
                runs.c.parent_run_id.is_(None),
                runs.c.finished_at > since,
                runs.c.finished_at <= until,
                # An end that started a run was recorded whole; the ends a job
                # "all of" others waits with are looked at again (cheap).
                ~sa.exists().where(started.c.after_run_id == runs.c.id),
            )
            .order_by(runs.c.finished_at)
        )
        .scalars()
        .all()
    )


def cycle_through(job_id, predecessor_ids, connection) -> list | None:
    """The cycle that running ``job_id`` after ``predecessor_ids`` would make.

    The ids along it, from ``job_id`` back to itself, or None. Every other
    job's links are read as stored.
    """
    jobs = Job.__table__
    graph = {
        str(row.id): list(links_of(row.run_after))
        for row in connection.execute(
            sa.select(jobs.c.id, jobs.c.run_after).where(jobs.c.run_after.is_not(None))
        )
    }
    if job_id is None:
        return None  # a job not saved yet: no job runs after it
    start = str(job_id)
    graph[start] = [str(each) for each in predecessor_ids]
    # A depth-first walk along "runs after" from the job: back at it is a cycle.
    path, seen = [start], set()

    def walk(node):
        for nxt in graph.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt in seen:
                continue
            seen.add(nxt)
            path.append(nxt)
            found = walk(nxt)
            if found:
                return found
            path.pop()
        return None

    return walk(start)
