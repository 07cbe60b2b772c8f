# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs partitioned by day on PostgreSQL: made, kept ahead, dropped.

A busy instance keeps a hundred million log lines; deleting the expired ones
row by row costs more as the table grows, while dropping a day's partition
costs the same whatever its size. So on PostgreSQL ``jobs_run_log`` is
partitioned by range of ``timestamp``, one partition per UTC day
(``jobs_run_log_pYYYYMMDD``), plus a default partition that catches a line
whose day has no partition yet, so that no line is ever refused.

- :func:`partition_log_table` turns the one table into partitions (the
  migration does it, keeping every line and every line id), and
  :func:`unpartition_log_table` gives the one table back;
- :func:`create_partitions_ahead` makes the coming days' partitions, moving
  any line that fell into the default partition meanwhile (the maintenance
  task calls it);
- :func:`drop_partitions_before` drops the days that ended before a moment
  (retention), each one ``DROP TABLE``.

Writing (COPY or INSERT into the parent), tailing and searching see one
table: PostgreSQL routes and reads through the partitions. SQLite keeps one
table, and every function here is a no-op there. The primary key of the
partitioned table is ``(id, timestamp)``, as PostgreSQL requires the
partition key in it; ids still come from the one sequence, so they stay
unique and in writing order.
"""

from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

TABLE = "jobs_run_log"
DEFAULT_PARTITION = f"{TABLE}_default"
OLD_TABLE = f"{TABLE}_unpartitioned"
SEQUENCE = f"{TABLE}_id_seq"
COLUMNS = "id, run_id, timestamp, level, logger, message, context"

PRIMARY_KEY = f"pk_{TABLE}"
FOREIGN_KEY = f"fk_{TABLE}_run_id_jobs_run"
"""Constraint names as invenio-db's naming convention gives them."""

DAYS_AHEAD = 7
"""Days after today whose partitions the migration makes at once."""

RUN_INDEX = "ix_jobs_run_log_run_id_id"
MESSAGE_INDEX = "ix_jobs_run_log_message_trgm"
"""Trigram index on the message, which answers substring searches."""


def partition_name(day: date) -> str:
    """The partition of one UTC day."""
    return f"{TABLE}_p{day:%Y%m%d}"


def midnight(day: date) -> datetime:
    """A day's start, in UTC: where its partition begins."""
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _midnight(day: date) -> str:
    """A day's start (UTC) as a literal of the timestamp column."""
    return midnight(day).isoformat(sep=" ")


LOCK_KEY = 0x6A6F62735F6C6F67
"""Advisory lock taken while partitions are made or dropped: one process at a time."""


LOCK_TIMEOUT = "5s"
"""Longest wait for the tables' locks when a partition is made or dropped.

Making or dropping a partition locks the log table and, for its foreign
key, ``jobs_run`` for a moment; behind a long transaction it gives up (a
``LockNotAvailable`` error) rather than queue every run's write behind it,
and the next maintenance tries again.
"""


def _lock(connection):
    """Serialise partition changes between processes, until the transaction ends."""
    connection.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def is_lock_timeout(error) -> bool:
    """Whether a database error is a lock wait given up (``LockNotAvailable``)."""
    return getattr(getattr(error, "orig", None), "pgcode", None) == "55P03"


def _on_postgresql(connection) -> bool:
    return connection.dialect.name == "postgresql"


def is_partitioned(connection) -> bool:
    """Whether ``jobs_run_log`` is a partitioned table (PostgreSQL only)."""
    if not _on_postgresql(connection):
        return False
    kind = connection.scalar(
        sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": TABLE},
    )
    return kind == "p"


def partition_days(connection) -> list[date]:
    """The days that have a partition, oldest first."""
    if not is_partitioned(connection):
        return []
    names = connection.scalars(
        sa.text(
            "SELECT child.relname FROM pg_inherits "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(:name)"
        ),
        {"name": TABLE},
    )
    prefix = f"{TABLE}_p"
    return sorted(
        datetime.strptime(name[len(prefix) :], "%Y%m%d").date()
        for name in names
        if name.startswith(prefix)
    )


def create_indexes(connection, today: date):
    """The indexes of the log table: a run's lines in order, and ended days' words.

    The run index is made on the partitioned table (so on every partition,
    and on each one attached later). The trigram index (``pg_trgm``,
    shipped with PostgreSQL and trusted, so a database owner may add it),
    which makes ``ILIKE '%word%'`` an index scan, is made on each partition
    whose day has ended only (:func:`index_ended_days`): maintaining it
    while lines are written would slow every COPY of today's lines several
    times over, and today's partition alone is small enough to read.
    """
    connection.execute(sa.text(f"CREATE INDEX {RUN_INDEX} ON {TABLE} (run_id, id)"))
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    index_ended_days(connection, today)


def message_index_name(day: date) -> str:
    """The trigram index of one day's partition."""
    return f"{partition_name(day)}_message_trgm"


def index_ended_days(connection, today: date) -> list[date]:
    """Make the trigram index of each partition before ``today`` that lacks it.

    A day's lines are complete once it has ended (a line carries the time
    it was written), so its index is built once, in one pass, by the
    maintenance task the day after. Returns the days indexed; a no-op on
    SQLite or on a table that is not partitioned.
    """
    if not is_partitioned(connection):
        return []
    existing = set(
        connection.scalars(
            sa.text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = "
                "current_schema() AND indexname LIKE :pattern"
            ),
            {"pattern": f"{TABLE}_%_message_trgm"},
        )
    )
    made = []
    for day in partition_days(connection):
        if day < today and message_index_name(day) not in existing:
            connection.execute(
                sa.text(
                    f"CREATE INDEX {message_index_name(day)} ON "
                    f"{partition_name(day)} USING gin (message gin_trgm_ops)"
                )
            )
            made.append(day)
    return made


def _add_partition(connection, day: date):
    """Make the partition of ``day``, taking its lines out of the default one.

    Made as a table, filled from the default partition, then attached: a
    partition cannot be created while the default one holds lines of its
    range. The CHECK constraint lets the attachment skip its scan.
    """
    name, start = partition_name(day), _midnight(day)
    end = _midnight(day + timedelta(days=1))
    bounds = f"timestamp >= '{start}' AND timestamp < '{end}'"
    connection.execute(
        sa.text(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING "
            f"CONSTRAINTS, CONSTRAINT {name}_bounds CHECK ({bounds}))"
        )
    )
    if connection.scalar(
        sa.text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE {bounds})")
    ):
        connection.execute(
            sa.text(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {bounds} "
                f"RETURNING {COLUMNS}) INSERT INTO {name} ({COLUMNS}) "
                f"SELECT {COLUMNS} FROM moved"
            )
        )
    connection.execute(
        sa.text(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    )
    connection.execute(sa.text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds"))


def create_partitions_ahead(connection, today: date, days_ahead: int) -> list[date]:
    """Make the partitions of ``today`` and the ``days_ahead`` days after it.

    Days that have one are left alone; returns the days made. The caller
    commits. A no-op on SQLite or on a table that is not partitioned.
    """
    if not is_partitioned(connection):
        return []
    _lock(connection)
    existing = set(partition_days(connection))
    made = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        if day not in existing:
            _add_partition(connection, day)
            made.append(day)
    return made


def drop_partitions_before(connection, cutoff: datetime) -> dict:
    """Drop the partitions of the days that ended at or before ``cutoff``.

    One ``DROP TABLE`` a day, whatever its number of lines; the day that
    contains ``cutoff`` is kept whole. Lines of those days that sit in the
    default partition are deleted. Returns each day dropped with its number
    of lines as the statistics estimate it (and ``None`` with the lines
    deleted from the default partition); the caller commits. A no-op on
    SQLite or on a table that is not partitioned.
    """
    if not is_partitioned(connection):
        return {}
    _lock(connection)
    last_day = cutoff.astimezone(timezone.utc).date()
    dropped = {}
    for day in partition_days(connection):
        if day < last_day:
            dropped[day] = _estimated_lines(connection, partition_name(day))
            connection.execute(sa.text(f"DROP TABLE {partition_name(day)}"))
    strays = connection.execute(
        sa.text(f"DELETE FROM {DEFAULT_PARTITION} WHERE timestamp < :cutoff"),
        {"cutoff": datetime.combine(last_day, time(), tzinfo=timezone.utc)},
    ).rowcount
    if strays:
        dropped[None] = strays
    return dropped


def _estimated_lines(connection, name) -> int:
    """A partition's lines as the planner's statistics know them (no scan)."""
    estimate = connection.scalar(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
        {"name": name},
    )
    return max(int(estimate or 0), 0)


def _log_table(primary_key: str, partitioning: str = "", foreign_key=False) -> str:
    """The CREATE TABLE of ``jobs_run_log``, partitioned or as one table.

    The two shapes differ only in their primary key (a partitioned table's
    must hold the partition key) and the partitioning clause; the ids keep
    coming from the one sequence. The foreign key to the runs is kept when
    the table had it (the revisions before it was dropped).
    """
    reference = (
        f"CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (run_id) "
        "REFERENCES jobs_run (id) ON DELETE CASCADE, "
        if foreign_key
        else ""
    )
    return (
        f"CREATE TABLE {TABLE} ("
        f"id BIGINT NOT NULL DEFAULT nextval('{SEQUENCE}'), "
        "run_id UUID NOT NULL, "
        "timestamp TIMESTAMP WITH TIME ZONE NOT NULL, "
        "level VARCHAR(10) NOT NULL, "
        "logger VARCHAR(255), "
        "message TEXT NOT NULL, "
        "context JSONB, "
        f"{reference}"
        f"CONSTRAINT {PRIMARY_KEY} PRIMARY KEY {primary_key})"
        f"{partitioning}"
    )


def has_foreign_key(connection) -> bool:
    """Whether ``jobs_run_log`` still checks its run (before the key was dropped)."""
    return bool(
        connection.scalar(
            sa.text(
                "SELECT 1 FROM pg_constraint WHERE conname = :name "
                f"AND conrelid = to_regclass('{TABLE}')"
            ),
            {"name": FOREIGN_KEY},
        )
    )


def _set_aside(foreign_key: bool) -> list[str]:
    """Rename the table and its constraints, to copy from it into the new shape."""
    statements = [
        f"ALTER TABLE {TABLE} RENAME TO {OLD_TABLE}",
        f"ALTER TABLE {OLD_TABLE} RENAME CONSTRAINT {PRIMARY_KEY} "
        f"TO {PRIMARY_KEY}_old",
    ]
    if foreign_key:
        statements.append(
            f"ALTER TABLE {OLD_TABLE} RENAME CONSTRAINT {FOREIGN_KEY} "
            f"TO {FOREIGN_KEY}_old"
        )
    return statements


def partition_log_table(connection, today: date, days_ahead: int):
    """Turn the one ``jobs_run_log`` into daily partitions, keeping every line.

    The table is renamed, a partitioned table made in its place with the
    same columns, sequence and foreign key, a partition made for every day
    that has lines and for the days ahead, the lines copied (ids kept), the
    indexes built once the lines are in, and the old table dropped. Runs in
    the caller's transaction: it either happens whole or not at all.
    """
    if not _on_postgresql(connection) or is_partitioned(connection):
        return
    foreign_key = has_foreign_key(connection)
    statements = _set_aside(foreign_key) + [
        f"DROP INDEX IF EXISTS {RUN_INDEX}",
        f"DROP INDEX IF EXISTS {MESSAGE_INDEX}",
        _log_table("(id, timestamp)", " PARTITION BY RANGE (timestamp)", foreign_key),
        f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id",
        f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT",
    ]
    for statement in statements:
        connection.execute(sa.text(statement))
    first, last = connection.execute(
        sa.text(
            "SELECT (min(timestamp) AT TIME ZONE 'UTC')::date, "
            f"(max(timestamp) AT TIME ZONE 'UTC')::date FROM {OLD_TABLE}"
        )
    ).one()
    start = min(first or today, today)
    end = max(last or today, today + timedelta(days=days_ahead))
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        connection.execute(
            sa.text(
                f"CREATE TABLE {partition_name(day)} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{_midnight(day)}') TO "
                f"('{_midnight(day + timedelta(days=1))}')"
            )
        )
    connection.execute(
        sa.text(
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD_TABLE} "
            "ORDER BY timestamp"
        )
    )
    create_indexes(connection, today)
    connection.execute(sa.text(f"DROP TABLE {OLD_TABLE}"))


def unpartition_log_table(connection):
    """Give back the one ``jobs_run_log`` table, with every line and its id.

    The table as it was before partitions: its run index, no trigram index.
    """
    if not is_partitioned(connection):
        return
    foreign_key = has_foreign_key(connection)
    statements = _set_aside(foreign_key) + [
        f"ALTER INDEX {RUN_INDEX} RENAME TO {RUN_INDEX}_old",
        f"DROP INDEX IF EXISTS {MESSAGE_INDEX}",
        _log_table("(id)", foreign_key=foreign_key),
        f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id",
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD_TABLE} "
        "ORDER BY id",
        f"DROP TABLE {OLD_TABLE}",
        f"CREATE INDEX {RUN_INDEX} ON {TABLE} (run_id, id)",
    ]
    for statement in statements:
        connection.execute(sa.text(statement))
