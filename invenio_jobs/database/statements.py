# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Living through a database restart or outage.

A restart of PostgreSQL kills every pooled connection. Without care, the
next use of one fails, and a worker that finished its task cannot record
the outcome, a beat logs a traceback per tick, and the API answers 500.
Here are the pieces that keep a run's outcome and the processes alive:

- :func:`install_pre_ping` tests a pooled connection when it is taken from
  the pool, and replaces it when the server dropped it;
- :func:`is_unreachable` tells an outage from other database errors;
- :func:`write_with_retry` retries a short write on a fresh connection for
  a bounded time, so that what a run reached is what is recorded;
- :func:`one_statement` runs a single statement in autocommit on a
  connection taken without the ping, and replaces a dead one at once as
  the ping would have: a run's claim and end cost one round trip each;
- :class:`Prepared` has PostgreSQL plan such a statement once per
  connection instead of at every use;
- :class:`Outage` logs one line when the database goes away and one when
  it is back, instead of one traceback per attempt.
"""

import hashlib
import logging
import re
import time
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy import event, exc

logger = logging.getLogger(__name__)

_UNPINGED = ContextVar("invenio_jobs_unpinged", default=False)
"""Set while :func:`one_statement` takes a connection the ping must leave alone."""


def install_pre_ping(engine) -> None:
    """Test each pooled connection as it is checked out; renew dropped ones.

    The same as ``create_engine(pool_pre_ping=True)``, added to an engine
    that exists already (invenio-db creates it). A checkout that finds a
    dead connection raises ``DisconnectionError``, on which the pool
    opens a new one. SQLite has no server to lose: left alone.
    """
    if engine.dialect.name == "sqlite" or getattr(engine, "_jobs_pre_ping", False):
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


class Outage:
    """One log line when the database goes away, one when it comes back.

    Failures closer than ``quiet_seconds`` to each other belong to the same
    outage, also where no success is seen to end it (a web process that
    only answers 503 while the database is away).
    """

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
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        self.log.error(
            "%s: the database is unreachable (%s); retrying every %g s.",
            self.what,
            first_line,
            retry_seconds,
        )

    def recovered(self) -> None:
        """Note a success; logged when it ends an outage."""
        if self.since is None:
            return
        lasted = time.monotonic() - self.since
        self.since = self.last = None
        self.log.warning(
            "%s: the database is reachable again after %.1f s.", self.what, lasted
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


def write_with_retry(
    engine, write, deadline_seconds: float, outage: Outage, single: bool = False
):
    """Run ``write(connection)`` in a transaction, retried through an outage.

    Each attempt takes a fresh connection from the pool (pre-pinged), so a
    connection that a restart killed is never reused. ``single``: the write
    is one statement, run as :func:`one_statement` runs it.
    """

    def attempt():
        if single:
            return one_statement(engine, write)
        with engine.begin() as connection:
            return write(connection)

    return retry_through_outage(attempt, deadline_seconds, outage)


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
    token = _UNPINGED.set(not pinged)
    try:
        connection = engine.connect()
    finally:
        _UNPINGED.reset(token)
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


# -- prepared statements ---------------------------------------------------------
PREPARED_KEY = "invenio_jobs_prepared"
"""Key, in a pooled connection's ``info``, of the names prepared on it."""

_UNDEFINED_PREPARED = "26000"
"""PostgreSQL's invalid_sql_statement_name: no such prepared statement here."""

_DUPLICATE_PREPARED = "42P05"
"""PostgreSQL's duplicate_prepared_statement."""

_PLAN_CHANGED = "0A000"
"""feature_not_supported: "cached plan must not change result type" (a migration)."""

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|__\[POSTCOMPILE_(\w+)\]")


def use_prepared_statements(engine, enabled: bool = True) -> None:
    """Let :class:`Prepared` statements be prepared on ``engine``'s connections.

    Only psycopg2's: it sends a statement and its values as one string,
    so the first ``PREPARE`` travels with the first ``EXECUTE``.
    """
    dialect = engine.dialect
    engine._jobs_prepared = (
        enabled and dialect.name == "postgresql" and dialect.driver == "psycopg2"
    )


class Prepared:
    """A statement PostgreSQL parses and plans once per connection, then only runs.

    Planning the claim of a run cost PostgreSQL more than running it, and
    planning the run's INSERT and end about as much: together half of the
    database's work for a run. On an engine that allows it
    (:func:`use_prepared_statements`) and on a connection in autocommit
    (:func:`one_statement`), :meth:`execute` runs the statement as
    ``EXECUTE``, its values the bound parameters the caller gives (each
    other value is written into the prepared text, so that the planner
    sees it: partial indexes match). Its first use on a connection sends
    the ``PREPARE`` in the same round trip. Anywhere else (SQLite, a
    transaction whose failure could not be retried, a pooler that forbids
    them) it runs as SQLAlchemy runs it.
    """

    def __init__(self, statement):
        """Wrap ``statement``, whose per-use values are bind parameters without a value."""
        self.statement = statement
        self._forms = {}

    def execute(self, connection, parameters: dict):
        """Run the statement on ``connection``, prepared where it can be."""
        form = self._form(connection) if self._allowed(connection) else None
        if form is None:
            return connection.execute(self.statement, parameters)
        return form.execute(connection, parameters)

    @staticmethod
    def _allowed(connection) -> bool:
        if not getattr(connection.engine, "_jobs_prepared", False):
            return False
        return bool(getattr(connection.connection.dbapi_connection, "autocommit", 0))

    def _form(self, connection):
        dialect = connection.dialect
        key = (type(dialect), dialect.server_version_info)
        try:
            return self._forms[key]
        except KeyError:
            pass
        form = _PreparedForm.of(self.statement, dialect)
        self._forms[key] = form
        return form


class _PreparedForm:
    """The ``PREPARE`` and ``EXECUTE`` texts of one statement for one dialect."""

    @classmethod
    def of(cls, statement, dialect):
        """The form of ``statement``, or None where its values are not all known.

        Column defaults that SQLAlchemy computes per execution, and lists of
        values given per execution, cannot be written into a prepared text.
        """
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            return None
        literals = {}
        for match in _PLACEHOLDER.finditer(compiled.string):
            name = match.group(1) or match.group(2)
            bind = compiled.binds[name]
            if _named(bind):  # a value of each use
                if bind.expanding:
                    return None
            elif bind.expanding:
                literals[name] = ", ".join(
                    compiled.render_literal_value(value, bind.type)
                    for value in bind.value
                )
            else:
                literals[name] = compiled.render_literal_value(bind.value, bind.type)
        return cls(statement, dialect, compiled, literals)

    def __init__(self, statement, dialect, compiled, literals):
        """Write both texts; the first use on a connection sends both."""
        numbers = {}

        def place(match):
            name = match.group(1) or match.group(2)
            if name in literals:
                return literals[name]
            return f"${numbers.setdefault(name, len(numbers) + 1)}"

        body = _PLACEHOLDER.sub(place, compiled.string).replace("%%", "%")
        order = sorted(numbers, key=numbers.get)
        binds = {name: compiled.binds[name] for name in order}
        types = ", ".join(binds[name].type.compile(dialect=dialect) for name in order)
        digest = hashlib.sha1(f"{types}|{body}".encode()).hexdigest()[:16]
        # The command in the name: what an EXECUTE does is read in a log.
        self.name = f"invenio_jobs_{body.split()[0].lower()}_{digest}"
        arguments = ", ".join(f":{name}" for name in order)
        prepare, call = f"PREPARE {self.name}", f"EXECUTE {self.name}"
        if order:
            prepare, call = f"{prepare} ({types})", f"{call}({arguments})"
        prepare = f"{prepare} AS {body}"
        escaped = prepare.replace(":", "\\:")
        self._run = self._text(call, binds, statement)
        self._prepare_and_run = self._text(f"{escaped}; {call}", binds, statement)
        self._renew_and_run = self._text(
            f"DEALLOCATE {self.name}; {escaped}; {call}", binds, statement
        )

    @staticmethod
    def _text(sql, binds, statement):
        text = sa.text(sql).bindparams(
            *(
                sa.bindparam(name, bind.value, type_=bind.type, required=bind.required)
                for name, bind in binds.items()
            )
        )
        columns = list(statement.exported_columns)
        return text.columns(*columns) if columns else text

    def execute(self, connection, parameters: dict):
        """Run it; prepare it first where this connection has not yet."""
        prepared = connection.connection.info.setdefault(PREPARED_KEY, set())
        text = self._prepare_and_run
        if self.name in prepared:
            try:
                return connection.execute(self._run, parameters)
            except exc.DBAPIError as error:
                code = _pgcode(error)
                if code not in (_UNDEFINED_PREPARED, _PLAN_CHANGED):
                    raise
                prepared.discard(self.name)
                if code == _PLAN_CHANGED:
                    text = self._renew_and_run
        try:
            result = connection.execute(text, parameters)
        except exc.DBAPIError as error:
            if _pgcode(error) != _DUPLICATE_PREPARED:
                raise
            result = connection.execute(self._run, parameters)
        prepared.add(self.name)
        return result


def _named(bind) -> bool:
    """Whether a bind parameter is one a caller names (its value given per use).

    The others are the statement's own constants (``status == "Q"``),
    which SQLAlchemy names anonymously.
    """
    return not bind.key.startswith("%(")


def _pgcode(error) -> str | None:
    """The SQLSTATE of a DBAPI error from PostgreSQL; None for a lost connection."""
    if error.connection_invalidated:
        return None
    return getattr(error.orig, "pgcode", None)
