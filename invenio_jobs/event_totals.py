# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Running totals of events that leave no row behind, for the metrics.

The reaper's actions and the log lines written or dropped are counted in
``jobs_counter``, so that the metrics endpoint of every web process reads the
same figures. Each caller adds its amounts with one atomic statement (an
INSERT ... ON CONFLICT DO UPDATE), once per reaper pass or log flush.
"""

import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .database import write_run_rows
from .models import Counter

logger = logging.getLogger(__name__)

REAPER_LOST = "reaper_lost"
"""Runs failed because their worker stopped sending heartbeats."""
REAPER_RESENT = "reaper_resent"
"""Queued runs sent again because their message was missing from the broker."""
REAPER_RESTORED = "reaper_restored"
"""Messages a dead worker held unacknowledged, put back in their queue."""
REAPER_TERMINATED = "reaper_terminated"
"""Runs ended because they did not stop within the grace after a stop."""
LOG_LINES_WRITTEN = "log_lines_written"
"""Log lines stored for runs."""
LOG_LINES_DROPPED = "log_lines_dropped"
"""Log lines dropped because a run reached ``JOBS_LOGS_MAX_PER_RUN``."""

REAPER_ACTIONS = {
    "lost": REAPER_LOST,
    "resent": REAPER_RESENT,
    "restored": REAPER_RESTORED,
    "terminated": REAPER_TERMINATED,
}
"""The counter of each key of the reaper's report."""

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def add_statement(bind, amounts: dict):
    """One statement that adds ``amounts`` to their counters, creating missing ones.

    ``bind`` (an engine or connection) tells the database it is written
    for. For a caller that adds them in a transaction of its own (the log
    writer, with the lines it stores).
    """
    insert = _INSERTS.get(bind.dialect.name)
    rows = [{"name": name, "value": value} for name, value in amounts.items()]
    if insert is None:  # no upsert known: the counters must exist
        case = sa.case(amounts, value=Counter.name, else_=0)
        return (
            sa.update(Counter)
            .where(Counter.name.in_(list(amounts)))
            .values(value=Counter.value + case)
        )
    statement = insert(Counter).values(rows)
    return statement.on_conflict_do_update(
        index_elements=[Counter.name],
        set_={"value": Counter.value + statement.excluded.value},
    )


def add_counts(engine, commit: bool = False, **amounts: int) -> None:
    """Add ``amounts`` (counter name: number) to the stored totals in one statement.

    Written apart from the caller's transaction, as a run's rows are
    (:func:`~.database.write_run_rows`); ``commit``: the caller owns the
    session, which SQLite's single writer may then join and commit. Zero
    amounts are skipped, and nothing is sent when all are zero.
    """
    amounts = {name: int(value) for name, value in amounts.items() if value}
    if not amounts:
        return
    statement = add_statement(engine, amounts)
    try:
        write_run_rows(
            engine, lambda conn: conn.execute(statement), commit_session=commit
        )
    except Exception:  # noqa: BLE001 -- a lost count must not stop the work
        logger.warning("Could not add to the counters %s", amounts, exc_info=True)


def add_reaper_counts(engine, reaped: dict) -> None:
    """Count one reaper pass's report (``{"lost": n, "resent": n, ...}``)."""
    add_counts(
        engine,
        commit=True,
        **{
            REAPER_ACTIONS[key]: n for key, n in reaped.items() if key in REAPER_ACTIONS
        },
    )


def read_counts(executor) -> dict:
    """Every stored total, by counter name, read through a session or connection."""
    rows = executor.execute(sa.select(Counter.name, Counter.value)).all()
    return {name: value for name, value in rows}
