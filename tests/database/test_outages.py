# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Telling an outage from a fault, and saying so once.

Real errors from real drivers: a PostgreSQL port nobody listens on, a
SQLite database another connection holds, a table that does not exist.
"""

import logging
import socket
import sqlite3

import pytest
import sqlalchemy as sa
from helpers import postgresql_uri

from invenio_jobs.database import (
    Outage,
    install_pre_ping,
    is_unreachable,
    one_statement,
    retry_through_outage,
    write_with_retry,
)


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def nowhere():
    """An engine whose PostgreSQL server is not there."""
    engine = sa.create_engine(
        f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/none",
        connect_args={"connect_timeout": 2},
    )
    yield engine
    engine.dispose()


def error_of(call):
    """The error ``call`` raises."""
    with pytest.raises(sa.exc.SQLAlchemyError) as info:
        call()
    return info.value


def test_a_refused_connection_is_an_outage(nowhere):
    """PostgreSQL not listening: the database is unreachable."""
    assert is_unreachable(error_of(nowhere.connect))


@pytest.fixture()
def locked(tmp_path):
    """(engine, holder): a SQLite database whose write lock ``holder`` has."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    yield engine, holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()
    engine.dispose()


def test_a_locked_sqlite_database_is_an_outage(locked):
    """Another connection holds SQLite's write lock: busy, try again."""
    engine, _ = locked
    with engine.connect() as conn:
        error = error_of(lambda: conn.execute(sa.text("INSERT INTO t VALUES (1)")))
    assert "locked" in str(error)
    assert is_unreachable(error)


def test_an_error_of_the_statement_is_not_an_outage(tmp_path):
    """A missing table is an OperationalError too, but a fault, not an outage."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.connect() as conn:
        error = error_of(lambda: conn.execute(sa.text("SELECT * FROM missing")))
    assert isinstance(error, sa.exc.OperationalError)
    assert not is_unreachable(error)
    assert not is_unreachable(ValueError("not a database error"))


def test_an_outage_is_logged_once_and_its_end_once(caplog):
    """Many failed attempts, one line; the first success, one more."""
    outage = Outage("Worker", logging.getLogger("test.outage"))
    error = RuntimeError("connection refused\nsecond line")
    with caplog.at_level(logging.INFO, logger="test.outage"):
        for _ in range(5):
            outage.failed(error, 0.5)
        outage.recovered()
        outage.recovered()
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == (
        "Worker: the database is unreachable (connection refused); "
        "retrying every 0.5 s."
    )
    assert messages[1].startswith("Worker: the database is reachable again after")
    assert len(messages) == 2


def test_failures_far_apart_are_two_outages(caplog):
    """Without a success between them, a quiet gap still separates outages."""
    outage = Outage("API", logging.getLogger("test.outage"), quiet_seconds=0.0)
    with caplog.at_level(logging.INFO, logger="test.outage"):
        outage.failed(RuntimeError("down"), 5)
        outage.failed(RuntimeError("down again"), 5)
    assert len(caplog.records) == 2


def test_a_write_is_retried_until_its_deadline(nowhere, caplog):
    """Through an outage: retried with growing waits, then the error is raised."""
    outage = Outage("Worker", logging.getLogger("test.outage"))
    with caplog.at_level(logging.INFO, logger="test.outage"):
        error = error_of(
            lambda: write_with_retry(
                nowhere, lambda conn: conn.execute(sa.text("SELECT 1")), 1.0, outage
            )
        )
    assert is_unreachable(error)
    assert len(caplog.records) == 1  # one line, however many attempts


def test_a_fault_is_not_retried(tmp_path):
    """An error of the statement is raised at the first attempt."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    attempts = []

    def write(conn):
        attempts.append(1)
        conn.execute(sa.text("SELECT * FROM missing"))

    error_of(lambda: write_with_retry(engine, write, 10, Outage("Worker")))
    assert len(attempts) == 1


def test_an_attempt_that_recovers_returns_its_result(locked):
    """A busy database that frees up: the attempt's result comes back."""
    engine, holder = locked
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) == 2:
            holder.execute("ROLLBACK")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (7)"))
            return conn.scalar(sa.text("SELECT x FROM t"))

    assert retry_through_outage(attempt, 10, Outage("Worker")) == 7
    assert len(calls) == 2


def dropped_pool(pre_ping: bool):
    """An engine whose one pooled connection PostgreSQL has just terminated."""
    engine = sa.create_engine(postgresql_uri(), pool_size=1, max_overflow=0)
    if pre_ping:
        install_pre_ping(engine)
    with engine.connect() as conn:
        pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
    with sa.create_engine(postgresql_uri()).connect() as killer:
        killer.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return engine


@pytest.mark.skipif(postgresql_uri() is None, reason="needs PostgreSQL")
def test_pre_ping_replaces_a_connection_the_server_dropped():
    """The pooled connection died: without pre-ping the next use fails, with it not."""
    plain = dropped_pool(pre_ping=False)
    with plain.connect() as conn:
        error = error_of(lambda: conn.execute(sa.text("SELECT 1")))
    assert is_unreachable(error)
    plain.dispose()

    pinged = dropped_pool(pre_ping=True)
    with pinged.connect() as conn:
        assert conn.scalar(sa.text("SELECT 1")) == 1
    pinged.dispose()


@pytest.mark.skipif(postgresql_uri() is None, reason="needs PostgreSQL")
def test_one_statement_replaces_a_dropped_connection_at_once(caplog):
    """Taken without the ping, the dead connection fails; a pinged one runs it.

    No outage is logged: the ping would have replaced it as silently.
    """
    engine = dropped_pool(pre_ping=True)
    backends = []

    def statement(conn):
        backends.append(conn.connection.dbapi_connection.get_backend_pid())
        return conn.scalar(sa.text("SELECT 41 + 1"))

    with caplog.at_level(logging.INFO):
        assert write_with_retry(engine, statement, 5, Outage("Worker"), True) == 42
    assert len(backends) == 2 and backends[0] != backends[1]
    assert "unreachable" not in caplog.text
    engine.dispose()


@pytest.mark.skipif(postgresql_uri() is None, reason="needs PostgreSQL")
def test_one_statement_commits_alone_and_gives_the_connection_back_as_it_was():
    """Autocommit: the row is there for others before any COMMIT; the pooled
    connection is transactional again after, for the next user's BEGIN."""
    engine = sa.create_engine(postgresql_uri(), pool_size=1, max_overflow=0)
    install_pre_ping(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE one_statement_t (x int)"))
    try:
        with sa.create_engine(postgresql_uri()).connect() as other:

            def insert(conn):
                conn.execute(sa.text("INSERT INTO one_statement_t VALUES (1)"))
                seen = other.scalar(sa.text("SELECT count(*) FROM one_statement_t"))
                other.rollback()
                return seen

            assert one_statement(engine, insert) == 1
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.autocommit is False
            conn.execute(sa.text("INSERT INTO one_statement_t VALUES (2)"))
            conn.rollback()
            assert conn.scalar(sa.text("SELECT count(*) FROM one_statement_t")) == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE one_statement_t"))
        engine.dispose()


@pytest.mark.skipif(postgresql_uri() is None, reason="needs PostgreSQL")
def test_one_statement_raises_a_fault_of_the_statement():
    """An error of the statement itself is not taken for a dead connection."""
    engine = sa.create_engine(postgresql_uri(), pool_size=1, max_overflow=0)
    calls = []

    def broken(conn):
        calls.append(1)
        return conn.execute(sa.text("SELECT * FROM no_such_table_here"))

    with pytest.raises(sa.exc.ProgrammingError):
        one_statement(engine, broken)
    assert calls == [1]
    engine.dispose()


def test_sqlite_gets_no_pre_ping(tmp_path):
    """SQLite has no server that could drop a connection: left alone."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    install_pre_ping(engine)
    assert not getattr(engine, "_jobs_pre_ping", False)
