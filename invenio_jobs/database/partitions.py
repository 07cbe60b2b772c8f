# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs partitioned by time on PostgreSQL: made, kept ahead, dropped.

A busy instance keeps a hundred million log lines; deleting the expired ones
row by row costs more as the table grows, while dropping a day's partition
costs the same whatever its size. So on PostgreSQL ``jobs_run_log`` is
partitioned by range of ``timestamp``, plus a default partition that
catches a line whose time has no partition yet, so that no line is ever
refused:

- an ended day is one partition (``jobs_run_log_pYYYYMMDD``) with a trigram
  index on its messages, which answers a search's ``ILIKE '%word%'``;
- the current day and the next one are made of hourly partitions
  (``jobs_run_log_pYYYYMMDDhHH``): a trigram index makes every COPY of log
  lines several times slower, so the hour being written has none, while
  each ended hour gets its own (:func:`index_ended_partitions`); what a
  search reads without an index is then at most an hour of lines;
- the days further ahead are day partitions, split into hours when they
  come near (an empty one; the day being written when this layout came
  stays whole, unindexed until it ends);
- once a day has ended, its hours are joined into one day partition
  (:mod:`.consolidation`), so that the number of partitions stays one a day.

- :func:`partition_log_table` turns the one table into partitions (the
  migration does it, keeping every line and every line id), and
  :func:`unpartition_log_table` gives the one table back;
- :func:`create_partitions_ahead` makes the coming hours' and days'
  partitions, moving any line that fell into the default partition
  meanwhile (the maintenance task calls it);
- :func:`drop_partitions_before` drops the days that ended before a moment
  (retention), each one ``DROP TABLE``.

Writing (COPY or INSERT into the parent), tailing and searching see one
table: PostgreSQL routes and reads through the partitions. SQLite keeps one
table, and every function here is a no-op there. The primary key of the
partitioned table is ``(id, timestamp)``, as PostgreSQL requires the
partition key in it; ids still come from the one sequence, so they stay
unique and in writing order.
"""

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple

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

HOURLY_DAYS_AHEAD = 1
"""Days after today made of hourly partitions (today always is).

The maintenance task makes them every hour, so a day's hours exist a day
before it begins; the days further ahead are single partitions until then,
which keeps the number of partitions (each one a plan's and a catalog's
cost) near one a day.
"""

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

RUN_INDEX = "ix_jobs_run_log_run_id_id"
MESSAGE_INDEX = "ix_jobs_run_log_message_trgm"
"""Trigram index on the message, which answers substring searches."""

_NAME = re.compile(rf"^{TABLE}_p(\d{{8}})(?:h(\d{{2}}))?$")


class Partition(NamedTuple):
    """One partition of the log table: its name and its range [start, end)."""

    name: str
    start: datetime
    end: datetime

    @property
    def hourly(self) -> bool:
        """Whether it holds one hour (the current day's and the next's)."""
        return self.end - self.start == HOUR

    @property
    def day(self) -> date:
        """The UTC day its range lies in."""
        return self.start.date()


def partition_name(day: date) -> str:
    """The partition of one UTC day."""
    return f"{TABLE}_p{day:%Y%m%d}"


def hour_partition_name(start: datetime) -> str:
    """The partition of the UTC hour that begins at ``start``."""
    return f"{TABLE}_p{start.astimezone(timezone.utc):%Y%m%dh%H}"


def midnight(day: date) -> datetime:
    """A day's start, in UTC: where its partition begins."""
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def hours_of(day: date) -> list[datetime]:
    """The starts of a UTC day's 24 hours."""
    return [midnight(day) + HOUR * hour for hour in range(24)]


def literal(moment: datetime) -> str:
    """A moment (UTC) as a literal of the timestamp column, for DDL."""
    return moment.astimezone(timezone.utc).isoformat(sep=" ")


def bounds(start: datetime, end: datetime, column: str = "timestamp") -> str:
    """The condition of a range of time, as a partition's CHECK states it."""
    return f"{column} >= '{literal(start)}' AND {column} < '{literal(end)}'"


LOCK_KEY = 0x6A6F62735F6C6F67
"""Advisory lock taken while partitions are made or dropped: one process at a time."""


LOCK_TIMEOUT = "5s"
"""Longest wait for the tables' locks when a partition is made or dropped.

Making or dropping a partition locks the log table for a moment; behind a
long transaction it gives up (a ``LockNotAvailable`` error) rather than
queue every run's write behind it, and the next maintenance tries again.
"""


def lock_changes(connection):
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


def _parsed(name: str) -> Partition | None:
    """The range a partition's name gives, None for another name (the default)."""
    found = _NAME.match(name)
    if not found:
        return None
    day = datetime.strptime(found.group(1), "%Y%m%d").date()
    if found.group(2) is None:
        return Partition(name, midnight(day), midnight(day + DAY))
    start = midnight(day) + HOUR * int(found.group(2))
    return Partition(name, start, start + HOUR)


def partitions(connection) -> list[Partition]:
    """The hourly and daily partitions, oldest first (one catalog query)."""
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
    found = (_parsed(name) for name in names)
    return sorted((part for part in found if part), key=lambda part: part.start)


def partition_days(connection) -> list[date]:
    """The days that have a partition (whole or some of their hours), oldest first."""
    return sorted({part.day for part in partitions(connection)})


def create_indexes(connection, until: datetime):
    """The indexes of the log table: a run's lines in order, and ended ranges' words.

    The run index is made on the partitioned table (so on every partition,
    and on each one attached later). The trigram index (``pg_trgm``,
    shipped with PostgreSQL and trusted, so a database owner may add it),
    which makes ``ILIKE '%word%'`` an index scan, is made on each partition
    that ended by ``until`` only (:func:`index_ended_partitions`):
    maintaining it while lines are written would slow every COPY of the
    current hour's lines several times over, and an hour alone is small
    enough to read.
    """
    connection.execute(sa.text(f"CREATE INDEX {RUN_INDEX} ON {TABLE} (run_id, id)"))
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    index_ended_partitions(connection, until)


def message_index_name(day_or_name) -> str:
    """The trigram index of a partition (given by name, or a day's by its day)."""
    name = day_or_name if isinstance(day_or_name, str) else partition_name(day_or_name)
    return f"{name}_message_trgm"


def create_message_index(connection, name: str, index: str | None = None):
    """Build the trigram index of one table's messages (a partition, or one to be)."""
    connection.execute(
        sa.text(
            f"CREATE INDEX IF NOT EXISTS {index or message_index_name(name)} "
            f"ON {name} USING gin (message gin_trgm_ops)"
        )
    )


def index_ended_partitions(connection, until: datetime) -> list[Partition]:
    """Make the trigram index of each partition that ended by ``until`` and lacks it.

    A range's lines are complete once it has ended (a line carries the time
    it was written; one late by a writer's buffer is indexed as it comes),
    so its index is built once, in one pass, by the maintenance task after
    the hour. Returns the partitions indexed; a no-op on SQLite or on a
    table that is not partitioned.
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
    for part in partitions(connection):
        if part.end <= until and message_index_name(part.name) not in existing:
            create_message_index(connection, part.name)
            made.append(part)
    return made


def index_ended_days(connection, today: date) -> list[date]:
    """Index the partitions that ended by ``today``'s midnight; the days they lie in."""
    made = index_ended_partitions(connection, midnight(today))
    return sorted({part.day for part in made})


def _add_partition(connection, name: str, start: datetime, end: datetime):
    """Make the partition ``name`` of [start, end), moving its lines from the default.

    Made as a table, filled from the default partition, then attached: a
    partition cannot be created while the default one holds lines of its
    range. The CHECK constraint lets the attachment skip its scan.
    """
    condition = bounds(start, end)
    connection.execute(
        sa.text(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING "
            f"CONSTRAINTS, CONSTRAINT {name}_bounds CHECK ({condition}))"
        )
    )
    if connection.scalar(
        sa.text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} WHERE {condition})")
    ):
        connection.execute(
            sa.text(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {condition} "
                f"RETURNING {COLUMNS}) INSERT INTO {name} ({COLUMNS}) "
                f"SELECT {COLUMNS} FROM moved"
            )
        )
    connection.execute(
        sa.text(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{literal(start)}') TO ('{literal(end)}')"
        )
    )
    connection.execute(sa.text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bounds"))


def _is_written(connection, name: str) -> bool:
    """Whether a partition holds a line (read without a lock writers wait for)."""
    return connection.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {name})"))


def _split_day(connection, day: date, keep_if_written: bool) -> bool:
    """Detach a day's partition to make its hours instead; False when it stays.

    The caller holds the log table locked (every reader and writer goes
    through it), so that no line arrives while the day is detached. A day
    already written (the day the hourly layout came) stays whole when
    ``keep_if_written``; a day ahead that holds a line written early has it
    moved into its hour.
    """
    name = partition_name(day)
    written = _is_written(connection, name)
    if written and keep_if_written:
        return False
    connection.execute(sa.text(f"ALTER TABLE {TABLE} DETACH PARTITION {name}"))
    for start in hours_of(day):
        _add_partition(connection, hour_partition_name(start), start, start + HOUR)
    if written:
        connection.execute(
            sa.text(
                f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {name} "
                "ORDER BY id"
            )
        )
    connection.execute(sa.text(f"DROP TABLE {name}"))
    return True


def create_partitions_ahead(connection, today: date, days_ahead: int) -> list[date]:
    """Make the partitions of ``today`` and the ``days_ahead`` days after it.

    Today and the next :data:`HOURLY_DAYS_AHEAD` days get their missing
    hours (an empty day partition of theirs is split into hours first); a
    later day gets one partition unless it has one. Returns the days that
    got a partition. The caller commits. A no-op on SQLite or on a table
    that is not partitioned.
    """
    if not is_partitioned(connection):
        return []
    lock_changes(connection)
    existing = partitions(connection)
    names = {part.name for part in existing}
    days = {part.day for part in existing}
    splits = [
        offset
        for offset in range(min(days_ahead, HOURLY_DAYS_AHEAD) + 1)
        if partition_name(today + timedelta(days=offset)) in names
        and not (offset == 0 and _is_written(connection, partition_name(today)))
    ]
    if splits:
        # Before any other lock: a writer waits on none of ours meanwhile.
        connection.execute(sa.text(f"LOCK TABLE ONLY {TABLE} IN ACCESS EXCLUSIVE MODE"))
    made = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        if offset > HOURLY_DAYS_AHEAD:
            if day not in days:
                _add_partition(connection, partition_name(day), *_day_range(day))
                made.append(day)
            continue
        if partition_name(day) in names:
            if offset in splits and _split_day(connection, day, offset == 0):
                made.append(day)
            continue
        missing = [
            hour for hour in hours_of(day) if hour_partition_name(hour) not in names
        ]
        for start in missing:
            _add_partition(connection, hour_partition_name(start), start, start + HOUR)
        if missing:
            made.append(day)
    return made


def _day_range(day: date) -> tuple[datetime, datetime]:
    return midnight(day), midnight(day + DAY)


def drop_partitions_before(connection, cutoff: datetime) -> dict:
    """Drop the partitions of the days that ended at or before ``cutoff``.

    One ``DROP TABLE`` a day (or an hour, for a day left in hours),
    whatever its number of lines; the day that contains ``cutoff`` is kept
    whole. Lines of those days that sit in the default partition are
    deleted, and a day table left half-made by a stopped consolidation is
    dropped. Returns each day dropped with its number of lines as the
    statistics estimate it (and ``None`` with the lines deleted from the
    default partition); the caller commits. A no-op on SQLite or on a table
    that is not partitioned.
    """
    if not is_partitioned(connection):
        return {}
    lock_changes(connection)
    last_day = cutoff.astimezone(timezone.utc).date()
    dropped = {}
    for part in partitions(connection):
        if part.end <= midnight(last_day):
            lines = _estimated_lines(connection, part.name)
            dropped[part.day] = dropped.get(part.day, 0) + lines
            connection.execute(sa.text(f"DROP TABLE {part.name}"))
    for name, day in leftover_tables(connection):
        if day < last_day:
            connection.execute(sa.text(f"DROP TABLE {name}"))
    strays = connection.execute(
        sa.text(f"DELETE FROM {DEFAULT_PARTITION} WHERE timestamp < :cutoff"),
        {"cutoff": datetime.combine(last_day, time(), tzinfo=timezone.utc)},
    ).rowcount
    if strays:
        dropped[None] = strays
    return dropped


NEXT_SUFFIX = "_next"
"""A day table being made of its hours is named after the day, with this after it."""


def next_table_name(day: date) -> str:
    """The table a day's partition is made in, from its hours, before it is attached."""
    return f"{partition_name(day)}{NEXT_SUFFIX}"


def leftover_tables(connection) -> list[tuple[str, date]]:
    """Day tables being made (or left half-made) by a consolidation, with their days."""
    names = connection.scalars(
        sa.text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE "
            ":pattern AND relnamespace = current_schema()::regnamespace"
        ),
        {"pattern": f"{TABLE}\\_p%{NEXT_SUFFIX}"},
    )
    found = []
    for name in names:
        part = _parsed(name[: -len(NEXT_SUFFIX)])
        if part is not None and not part.hourly:
            found.append((name, part.day))
    return found


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


def partition_log_table(connection, today: date, days_ahead: int, now=None):
    """Turn the one ``jobs_run_log`` into partitions, keeping every line.

    The table is renamed, a partitioned table made in its place with the
    same columns, sequence and foreign key, a partition made for every
    ended day that has lines, the hours of today and of the next
    :data:`HOURLY_DAYS_AHEAD` days, a partition for each later day ahead,
    the lines copied (ids kept), the indexes built once the lines are in
    (the trigram one on the ranges ended by ``now``, today's midnight
    unless given), and the old table dropped. Runs in the caller's
    transaction: it either happens whole or not at all.
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
        if today <= day <= today + timedelta(days=HOURLY_DAYS_AHEAD):
            ranges = [(hour_partition_name(h), h, h + HOUR) for h in hours_of(day)]
        else:
            ranges = [(partition_name(day), *_day_range(day))]
        for name, begins, ends in ranges:
            connection.execute(
                sa.text(
                    f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES "
                    f"FROM ('{literal(begins)}') TO ('{literal(ends)}')"
                )
            )
    connection.execute(
        sa.text(
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD_TABLE} "
            "ORDER BY timestamp"
        )
    )
    create_indexes(connection, now or midnight(today))
    connection.execute(sa.text(f"DROP TABLE {OLD_TABLE}"))


def unpartition_log_table(connection):
    """Give back the one ``jobs_run_log`` table, with every line and its id.

    The table as it was before partitions: its run index, no trigram index.
    """
    if not is_partitioned(connection):
        return
    foreign_key = has_foreign_key(connection)
    statements = [f"DROP TABLE {name}" for name, _day in leftover_tables(connection)]
    statements += _set_aside(foreign_key) + [
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
