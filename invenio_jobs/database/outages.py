# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Living through a database restart or outage.

A restart of PostgreSQL kills every pooled connection. Without care, the
next use of one fails, and a worker that finished its task cannot record
the outcome, a beat logs a traceback per tick, and the API answers 500.

- :func:`install_pre_ping` tests a pooled connection when it is taken from
  the pool, and replaces it when the server dropped it; :func:`unpinged`
  takes one without the test, for a caller that replaces a dead one itself;
- :func:`is_unreachable` tells an outage from other database errors;
- :func:`retry_through_outage` tries again, for a bounded time, what failed
  because the database was away;
- :class:`Outage` logs one line when the database goes away and one when
  it is back, instead of one traceback per attempt.
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy import event, exc

from .dialects import single_writer

logger = logging.getLogger(__name__)

_UNPINGED = ContextVar("invenio_jobs_unpinged", default=False)
"""Set while a connection is taken that the ping must leave alone."""


@contextmanager
def unpinged():
    """Connections taken from the pool inside the block skip the ping.

    For a caller that finds a dead connection by using it, and replaces it
    at once: the ping would cost it a round trip on every checkout.
    """
    token = _UNPINGED.set(True)
    try:
        yield
    finally:
        _UNPINGED.reset(token)


def install_pre_ping(engine) -> None:
    """Test each pooled connection as it is checked out; renew dropped ones.

    The same as ``create_engine(pool_pre_ping=True)``, added to an engine
    that exists already (invenio-db creates it). A checkout that finds a
    dead connection raises ``DisconnectionError``, on which the pool
    opens a new one. SQLite has no server to lose: left alone.
    """
    if single_writer(engine) or getattr(engine, "_jobs_pre_ping", False):
        return
    dialect = engine.dialect

    def ping(dbapi_connection, connection_record, connection_proxy):
        if _UNPINGED.get():
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 -- any failure means: renew it
            raise exc.DisconnectionError(str(error)) from error
        if alive is False:
            raise exc.DisconnectionError("The database closed the connection.")

    event.listen(engine.pool, "checkout", ping)
    engine._jobs_pre_ping = True


SQLITE_BUSY_CODES = (5, 6)
"""SQLITE_BUSY and SQLITE_LOCKED: another connection holds the database."""


def is_unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now (or is busy).

    True for connection failures, connections the server closed or is
    closing (PostgreSQL's classes 08 and 57P), and SQLite's "database is
    locked": they pass if one tries again later. False for errors of the
    statement itself (a missing table, a constraint), also operational
    ones.
    """
    if isinstance(error, exc.DisconnectionError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (exc.OperationalError, exc.InterfaceError)):
        return False
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_BUSY_CODES
    pgcode = getattr(original, "pgcode", None)
    return pgcode is None or pgcode.startswith(("08", "57P"))


def first_line(error: BaseException) -> str:
    """The first line of an error's text (its class name when it has none)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class Outage:
    """One log line when the database (or the broker) goes away, one when it is back.

    Failures closer than ``quiet_seconds`` to each other belong to the same
    outage, also where no success is seen to end it (a web process that
    only answers 503 while the database is away).
    """

    service = "the database"
    """What goes away, in the log lines."""

    def __init__(self, what: str, log=logger, quiet_seconds: float = 60.0):
        """``what`` names the process or step in its log lines."""
        self.what = what
        self.log = log
        self.quiet_seconds = quiet_seconds
        self.since = None
        self.last = None

    def failed(self, error: BaseException, retry_seconds: float) -> None:
        """Note a failed attempt; only the first of an outage is logged."""
        now = time.monotonic()
        ongoing = self.last is not None and now - self.last < self.quiet_seconds
        self.last = now
        if self.since is not None and ongoing:
            return
        self.since = now
        self.log.error(
            "%s: %s is unreachable (%s); retrying every %g s.",
            self.what,
            self.service,
            first_line(error),
            retry_seconds,
        )

    def recovered(self) -> None:
        """Note a success; logged when it ends an outage."""
        if self.since is None:
            return
        lasted = time.monotonic() - self.since
        self.since = self.last = None
        self.log.warning(
            "%s: %s is reachable again after %.1f s.", self.what, self.service, lasted
        )


def retry_through_outage(attempt, deadline_seconds: float, outage: Outage, undo=None):
    """Call ``attempt()``; while the database is unreachable, again, until a deadline.

    ``undo`` (a session's rollback) runs after each failed attempt, so that
    the next one starts on a fresh connection. Waits grow from 0.25 s to
    5 s. Errors other than an outage, and an outage longer than
    ``deadline_seconds``, are raised.
    """
    deadline = time.monotonic() + deadline_seconds
    wait = 0.25
    while True:
        try:
            result = attempt()
        except sa.exc.SQLAlchemyError as error:
            if undo is not None:
                try:
                    undo()
                except sa.exc.SQLAlchemyError:  # a dead connection is dropped
                    pass
            if not is_unreachable(error) or time.monotonic() + wait > deadline:
                raise
            outage.failed(error, wait)
            time.sleep(wait)
            wait = min(wait * 2, 5.0)
            continue
        outage.recovered()
        return result
