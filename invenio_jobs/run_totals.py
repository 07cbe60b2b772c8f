# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The totals of ended runs (``jobs_run_total``), kept by the database itself.

A Prometheus scrape must not read every run. So each top-level run that
ends writes a change (``jobs_run_total_change``: its job, status, task,
duration and scheduling lag), and the maintenance task folds the changes
into one row per job and status (:func:`fold_changes`); a scrape adds up
the totals and the changes not folded yet. Database triggers on
``jobs_run`` write the changes, in the very statement that ends the run,
so that:

- every way a run ends (the worker's outcome, a stop, the reaper, a run
  inserted already ended, a statement of a future module) is counted, with
  no second statement and no second round trip;
- a run ends once: the conditional UPDATE that ends it matches one row once,
  so a worker and the reaper racing, or a message delivered twice, count
  it once; a run retried (RUNNING -> QUEUED -> RUNNING) counts when it ends;
- an end locks no shared row (a change is a plain INSERT): workers ending
  runs of one job at once never wait for each other, and the reaper's
  batch and a worker's end cannot deadlock; a statement that ends many
  runs writes as many rows, in linear time;
- a rollback takes its changes back with the run's change.

An ended run whose counted fields are changed afterwards (status, job,
parent, start, end, fire time) is taken out with its old values and added
with its new ones, so the totals stay those of the runs table. Deleting
runs (pruning, deleting a job) takes nothing out: the families are
Prometheus counters, which must never go down (a drop reads as a process
restart, and ``rate()`` would count the whole total again).

Runs not ended yet (queued, running, cancelling) are read live by the
scrape, through the status index: they are few, and their figures change
until they end.

The seconds are computed with :func:`~.database.seconds_between`'s SQL,
the expression the runs' own reading used, so that a run on a bucket's
bound falls on the same side. SQLite keeps its triggers only as long as its
``jobs_run`` table: a migration that copies that table on SQLite (alembic's
batch mode) must make them again (:func:`create_triggers`).
"""

from types import SimpleNamespace

import sqlalchemy as sa

from .database import seconds_between
from .models import RunStatusEnum
from .models.totals import (
    DURATION_BOUNDS,
    LAG_BOUNDS,
    RunTotal,
    RunTotalChange,
    bucket_column,
)

FUNCTION = "jobs_run_total_follow"
"""The PostgreSQL trigger function that adds (and takes out) ended runs."""

INSERT_TRIGGER = "jobs_run_total_on_insert"
"""A run inserted already ended (imported, skipped) is counted."""

UPDATE_TRIGGER = "jobs_run_total_on_update"
"""A run that ends, or an ended run whose counted fields change."""

WATCHED = ("status", "job_id", "parent_run_id", "started_at", "finished_at")
"""The run's columns that decide what it adds (with ``scheduled_at``)."""

ACTIVE = tuple(status.value for status in RunStatusEnum.active())
"""The letters of the statuses of runs that have not ended."""


def _letters(statuses) -> str:
    return ", ".join(f"'{letter}'" for letter in statuses)


def _counted(row: str) -> str:
    """SQL: whether the run ``row`` (``NEW``, ``OLD``) is in the totals."""
    return f"{row}.parent_run_id IS NULL AND {row}.status NOT IN ({_letters(ACTIVE)})"


def _seconds(dialect, later: str, earlier: str) -> str:
    """The SQL of :func:`~.database.seconds_between` over two row fields."""
    expression = seconds_between(
        SimpleNamespace(dialect=dialect),
        sa.literal_column(later),
        sa.literal_column(earlier),
    )
    compiled = expression.compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _bucket_columns(durations, lags) -> list[str]:
    return [bucket_column("duration", b) for b in durations] + [
        bucket_column("lag", b) for b in lags
    ]


def _columns(durations, lags) -> list[str]:
    """The columns of ``jobs_run_total``, in the order the statements give them."""
    head = ["job_id", "status", "task", "runs"]
    return head + [
        "duration_count",
        "duration_sum",
        *[bucket_column("duration", b) for b in durations],
        "lag_count",
        "lag_sum",
        *[bucket_column("lag", b) for b in lags],
    ]


def _conflict_update(durations, lags) -> str:
    """``DO UPDATE``: add every count and sum; the task as last seen."""
    added = ["runs", "duration_count", "duration_sum", "lag_count", "lag_sum"]
    added += _bucket_columns(durations, lags)
    sets = [f"{c} = jobs_run_total.{c} + excluded.{c}" for c in added]
    sets.append("task = excluded.task")
    return "ON CONFLICT (job_id, status) DO UPDATE SET " + ", ".join(sets)


def _write_change(dialect, row: str, sign: int) -> str:
    """One INSERT of the change adding (``sign`` 1) or taking out (-1) ``row``.

    The job's task is read beside it (the key of a deleted job's totals);
    a run that is not counted writes nothing (the ``WHERE``).
    """
    duration = _seconds(dialect, f"{row}.finished_at", f"{row}.started_at")
    lag = _seconds(dialect, f"{row}.started_at", f"{row}.scheduled_at")
    return (
        "INSERT INTO jobs_run_total_change (job_id, status, task, runs, duration, lag)"
        f" SELECT {row}.job_id, {row}.status, jobs_job.task, {sign}, {duration}, {lag}"
        f" FROM jobs_job WHERE jobs_job.id = {row}.job_id AND {_counted(row)}"
    )


def _changed(dialect) -> str:
    """SQL: whether an UPDATE changed a column the totals depend on."""
    differs = "IS DISTINCT FROM" if dialect.name == "postgresql" else "IS NOT"
    columns = (*WATCHED, "scheduled_at")
    return "(" + " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in columns) + ")"


def trigger_statements(dialect):
    """The statements that make the triggers on ``dialect`` (PostgreSQL, SQLite)."""
    columns = ", ".join((*WATCHED, "scheduled_at"))
    on_update = f"({_counted('OLD')} OR {_counted('NEW')}) AND {_changed(dialect)}"
    take_out = _write_change(dialect, "OLD", -1)
    add = _write_change(dialect, "NEW", 1)
    if dialect.name == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger "
            "LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"  IF TG_OP = 'UPDATE' THEN\n    {take_out};\n  END IF;\n"
            f"  {add};\n  RETURN NULL;\nEND\n$$",
            f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON jobs_run "
            f"FOR EACH ROW WHEN ({_counted('NEW')}) EXECUTE PROCEDURE {FUNCTION}()",
            f"CREATE TRIGGER {UPDATE_TRIGGER} AFTER UPDATE OF {columns} ON jobs_run "
            f"FOR EACH ROW WHEN ({on_update}) EXECUTE PROCEDURE {FUNCTION}()",
        ]
    return [
        f"CREATE TRIGGER {INSERT_TRIGGER} AFTER INSERT ON jobs_run "
        f"FOR EACH ROW WHEN {_counted('NEW')} BEGIN {add}; END",
        f"CREATE TRIGGER {UPDATE_TRIGGER} AFTER UPDATE OF {columns} ON jobs_run "
        f"FOR EACH ROW WHEN {on_update} BEGIN {take_out}; {add}; END",
    ]


def drop_statements(dialect) -> list[str]:
    """The statements that remove the triggers (and PostgreSQL's function)."""
    if dialect.name == "postgresql":
        return [f"DROP FUNCTION IF EXISTS {FUNCTION}() CASCADE"]
    return [
        f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}",
        f"DROP TRIGGER IF EXISTS {UPDATE_TRIGGER}",
    ]


def create_triggers(connection):
    """Make the triggers on ``connection``'s database (replacing any)."""
    for statement in drop_statements(connection.dialect):
        connection.exec_driver_sql(statement)
    for statement in trigger_statements(connection.dialect):
        connection.exec_driver_sql(statement)


def drop_triggers(connection):
    """Remove the triggers from ``connection``'s database."""
    for statement in drop_statements(connection.dialect):
        connection.exec_driver_sql(statement)


def fill_statement(dialect, durations=DURATION_BOUNDS, lags=LAG_BOUNDS) -> str:
    """One ``INSERT ... SELECT`` of the totals of every ended top-level run.

    What an instance upgraded with runs already kept starts from, so that
    its first scrape reports what the runs table says. Reads every run
    once (a sequential scan), grouped by job and status.
    """
    duration = _seconds(dialect, "jobs_run.finished_at", "jobs_run.started_at")
    lag = _seconds(dialect, "jobs_run.started_at", "jobs_run.scheduled_at")
    figures = []
    for value, bounds in (("ended.d", durations), ("ended.l", lags)):
        figures += [f"COUNT({value})", f"COALESCE(SUM({value}), 0)"]
        figures += [f"COUNT(CASE WHEN {value} <= {b} THEN 1 END)" for b in bounds]
    return (
        f"INSERT INTO jobs_run_total ({', '.join(_columns(durations, lags))}) "
        "SELECT ended.job_id, ended.status, jobs_job.task, COUNT(*), "
        f"{', '.join(figures)} FROM ("
        "SELECT jobs_run.job_id, jobs_run.status, "
        f"{duration} AS d, {lag} AS l FROM jobs_run "
        f"WHERE {_counted('jobs_run')}) AS ended "
        "JOIN jobs_job ON jobs_job.id = ended.job_id "
        "GROUP BY ended.job_id, ended.status, jobs_job.task"
    )


def fill_totals(connection, durations=DURATION_BOUNDS, lags=LAG_BOUNDS):
    """Replace the totals by those of the runs kept now (and drop the changes)."""
    connection.execute(sa.delete(RunTotalChange.__table__))
    connection.execute(sa.delete(RunTotal.__table__))
    connection.exec_driver_sql(fill_statement(connection.dialect, durations, lags))


def _changes_added_up(source: str, where: str) -> str:
    """SQL: the changes of ``source`` added up by job and status, as totals."""
    figures = []
    for value, bounds in (("duration", DURATION_BOUNDS), ("lag", LAG_BOUNDS)):
        figures.append(f"SUM(CASE WHEN {value} IS NULL THEN 0 ELSE runs END)")
        figures.append(f"COALESCE(SUM({value} * runs), 0)")
        figures += [
            f"SUM(CASE WHEN {value} <= {b} THEN runs ELSE 0 END)" for b in bounds
        ]
    return (
        f"INSERT INTO jobs_run_total ({', '.join(_columns(DURATION_BOUNDS, LAG_BOUNDS))})"
        f" SELECT job_id, status, MAX(task), SUM(runs), {', '.join(figures)}"
        f" FROM {source} WHERE {where} GROUP BY job_id, status "
        f"{_conflict_update(DURATION_BOUNDS, LAG_BOUNDS)}"
    )


def fold_changes(connection) -> int:
    """Add the changes written so far to the totals and delete them.

    Returns how many totals rows it wrote (a job and status each).
    One transaction (the caller's ``connection``, which it commits). On
    PostgreSQL one statement that deletes the changes it sees and adds
    them up: a fold running at the same time waits for those rows and
    finds them gone, so each change is added once; changes written
    meanwhile wait for the next fold. SQLite has one writer: the changes
    up to the latest id are added, then deleted.
    """
    if connection.dialect.name == "postgresql":
        moved = (
            "WITH moved AS (DELETE FROM jobs_run_total_change"
            " RETURNING job_id, status, task, runs, duration, lag) "
        )
        result = connection.exec_driver_sql(moved + _changes_added_up("moved", "true"))
        return result.rowcount
    table = RunTotalChange.__table__
    top = connection.scalar(sa.select(sa.func.max(table.c.id)))
    if top is None:
        return 0
    where = f"id <= {int(top)}"
    added = connection.exec_driver_sql(
        _changes_added_up("jobs_run_total_change", where)
    )
    connection.execute(sa.delete(table).where(table.c.id <= top))
    return added.rowcount


def _made_with_the_table(target, connection, **kw):
    """The triggers, and the totals of runs already kept (an older demo's)."""
    create_triggers(connection)
    connection.exec_driver_sql(fill_statement(connection.dialect))


def _dropped_with_the_table(target, connection, **kw):
    drop_triggers(connection)


def keep_totals_with_the_tables() -> None:
    """Make the triggers whenever ``create_all`` makes the totals' tables.

    Instances made with ``invenio db create`` (and the tests, the demo)
    get their tables from the models, not from the migrations. A
    database whose runs predate the table (the demo's, which makes what
    is missing at each start) gets their totals at once. Installed by
    the extension's ``init_app``, not at import; installing it twice
    changes nothing.
    """
    table = RunTotalChange.__table__
    for name, listener in (
        ("after_create", _made_with_the_table),
        ("before_drop", _dropped_with_the_table),
    ):
        if not sa.event.contains(table, name, listener):
            sa.event.listen(table, name, listener)
