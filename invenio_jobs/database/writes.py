# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Writing a run's rows outside the job's transaction: one way, decided once.

A run's heartbeat, progress, log lines and end are written while the job's
own session may hold a transaction that must not be committed behind its
back, and that a rollback must not take the run's rows with. So they go
through :func:`write_run_rows`, which chooses, in this order:

- on SQLite (one writer), the session's own connection when the session
  holds the write lock (a second connection would wait for the job) or when
  the caller is the session's owner and commits it; otherwise a connection
  of its own;
- on PostgreSQL, a connection of its own: in one transaction, or in
  autocommit for a single statement (:func:`one_statement`, one round trip
  instead of four);
- given an :class:`~.outages.Outage`, the write is tried again on fresh
  connections while the database is away, up to a deadline.
"""

from flask import has_app_context
from invenio_db import db
from sqlalchemy import exc

from .dialects import single_writer
from .outages import retry_through_outage, unpinged


def write_run_rows(
    engine,
    write,
    *,
    commit_session: bool = False,
    single: bool = False,
    outage=None,
    deadline_seconds: float = 0.0,
):
    """Return ``write(connection)``, committed apart from the job's transaction.

    ``commit_session``: the caller owns the session (a worker's own
    bookkeeping), so on SQLite the write may join the session and commit
    it. ``single``: the write is one statement, run in autocommit where the
    driver allows it. ``outage`` and ``deadline_seconds``: retried through
    an outage, on a fresh connection each time.
    """
    if (
        single_writer(engine)
        and has_app_context()
        and (commit_session or _session_holds_write_lock())
    ):
        result = write(db.session.connection())
        if commit_session:
            db.session.commit()
        return result
    autocommit = single and not single_writer(engine)

    def attempt():
        if autocommit:
            return one_statement(engine, write)
        with engine.begin() as connection:
            return write(connection)

    if outage is None:
        return attempt()
    return retry_through_outage(attempt, deadline_seconds, outage)


def write_with_retry(
    engine, write, deadline_seconds: float, outage, single: bool = False
):
    """Run ``write(connection)`` on a connection of its own, retried through an outage.

    The worker's form of :func:`write_run_rows` for the end of a run: each
    attempt takes a fresh connection from the pool (pre-pinged), so a
    connection that a restart killed is never reused.
    """
    return write_run_rows(
        engine,
        write,
        single=single,
        outage=outage,
        deadline_seconds=deadline_seconds,
    )


def _session_holds_write_lock() -> bool:
    """Whether the session's SQLite connection has a transaction open (a lock)."""
    session = db.session()
    if not session.in_transaction():
        return False
    dbapi = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", True))


def one_statement(engine, execute):
    """Return ``execute(connection)``, one statement, run in autocommit.

    Its own transaction without BEGIN and COMMIT, on a pooled connection
    taken without the ping: one round trip instead of four. A connection
    that proves dead (the server restarted while it sat in the pool: no
    server process was there to run the statement) is replaced at once,
    on a pinged checkout, as the ping would have done. Other errors are
    raised.
    """
    try:
        return _autocommit(engine, execute, pinged=False)
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return _autocommit(engine, execute, pinged=True)


def _autocommit(engine, execute, pinged: bool):
    if pinged:
        connection = engine.connect()
    else:
        with unpinged():
            connection = engine.connect()
    with connection:
        # The driver's own switch: SQLAlchemy's AUTOCOMMIT isolation level
        # costs a statement (``SET default_transaction_isolation``) when
        # the connection goes back to the pool.
        driver = connection.connection.dbapi_connection
        driver.autocommit = True
        try:
            return execute(connection)
        finally:
            if not driver.closed:
                driver.autocommit = False
