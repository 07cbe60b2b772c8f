# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An ended day's hourly log partitions joined into one day partition.

The current day is written into hourly partitions, so that every ended
hour can have its trigram index while the hour being written has none
(:mod:`.partitions`). Once the day has ended, its 24 partitions become one,
so that the log keeps one partition a day (each partition costs every plan
and catalog read). The work is done beside the writers, not in their way:

1. a table for the day is made, not attached (``jobs_run_log_pYYYYMMDD_next``),
   the day's lines copied into it with their ids, and its indexes built
   (primary key, run index, trigram index) with a CHECK constraint of the
   day's range, so that attaching it needs no scan; this takes seconds
   for a busy day, and nobody waits for it;
2. then, in one short transaction holding the log table (against writers
   while the two sets are compared, against readers too only while the
   tables are swapped), the lines that came or went meanwhile (a line of
   the ended day written late from a writer's buffer, the lines of a
   deleted run) are brought over, the hours dropped and the day table
   attached in their place.

A consolidation stopped midway leaves at most a day table that is not
attached: the next one drops it and starts again. Two maintenance
processes at once do no harm: one of them consolidates, the other leaves
it (a session advisory lock), and the swap takes the lock of every
partition change.
"""

from datetime import date

import sqlalchemy as sa

from .partitions import (
    COLUMNS,
    DAY,
    DEFAULT_PARTITION,
    TABLE,
    bounds,
    create_message_index,
    is_partitioned,
    lock_changes,
    message_index_name,
    midnight,
    next_table_name,
    partition_name,
    partitions,
)

CONSOLIDATION_KEY = 0x6A6F62735F646179
"""Advisory lock held (for the session) while a process consolidates days."""


def hourly_days_before(connection, today: date) -> list[date]:
    """The days before ``today`` still made of hourly partitions, oldest first."""
    return sorted(
        {
            part.day
            for part in partitions(connection)
            if part.hourly and part.day < today
        }
    )


def consolidate_ended_days(engine, today: date, before_swap=None) -> list[date]:
    """Join the hours of every day before ``today`` into one partition each.

    Also the days left in hours by a maintenance that did not run (a
    downtime). Returns the days consolidated; none when another process is
    consolidating. ``before_swap(day)`` is called between the copy and the
    swap (a test writes a late line there). A no-op on SQLite or on a table
    that is not partitioned.
    """
    with engine.connect() as connection:
        if not is_partitioned(connection):
            return []
        had_lock = connection.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": CONSOLIDATION_KEY}
        )
        connection.commit()
        if not had_lock:
            return []
        try:
            days = hourly_days_before(connection, today)
            connection.commit()
            for day in days:
                consolidate_day(connection, day, before_swap)
            return days
        finally:
            connection.rollback()
            connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": CONSOLIDATION_KEY}
            )
            connection.commit()


def consolidate_day(connection, day: date, before_swap=None) -> bool:
    """Make one day partition of ``day``'s hourly ones; False if it has none.

    ``connection`` is not in a transaction; each step commits its own.
    """
    hours = [
        part.name for part in partitions(connection) if part.hourly and part.day == day
    ]
    connection.commit()
    if not hours:
        return False
    prepare_day_table(connection, day)
    connection.commit()
    if before_swap is not None:
        before_swap(day)
    swap_in_day_table(connection, day)
    connection.commit()
    return True


def prepare_day_table(connection, day: date):
    """Make the day's table beside the log: its lines, its indexes, its range.

    A table of that name left by a stopped consolidation is dropped first.
    Reading the hours takes no lock that a writer waits for.
    """
    name, table = partition_name(day), next_table_name(day)
    start, end = midnight(day), midnight(day + DAY)
    statements = [
        f"DROP TABLE IF EXISTS {table}",
        f"CREATE TABLE {table} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING "
        f"CONSTRAINTS, CONSTRAINT {name}_bounds CHECK ({bounds(start, end)}))",
        f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE} "
        f"WHERE {bounds(start, end)} ORDER BY id",
        f"ALTER TABLE {table} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id, timestamp)",
        f"CREATE INDEX {name}_run_id_id_idx ON {table} (run_id, id)",
    ]
    for statement in statements:
        connection.execute(sa.text(statement))
    create_message_index(connection, table, message_index_name(day))
    connection.execute(sa.text(f"ANALYZE {table}"))


def swap_in_day_table(connection, day: date):
    """Put the day's table in place of its hours, in one short transaction.

    The log table is locked against writers first (readers go on), so that
    no line is written or deleted while the sets are compared, and no lock
    is then waited for in another order than writers take them. The lines
    written into the hours since the copy are added and those deleted
    since are removed (each by its id, which is unique). Then, with the
    log table locked against readers too for a moment, lines of the day
    that fell into the default partition are taken out of it, the hours
    dropped and the day table attached (its CHECK constraint spares the
    scan) and renamed.
    """
    name, table = partition_name(day), next_table_name(day)
    start, end = midnight(day), midnight(day + DAY)
    lock_changes(connection)
    connection.execute(sa.text(f"LOCK TABLE ONLY {TABLE} IN SHARE ROW EXCLUSIVE MODE"))
    hours = [
        part.name for part in partitions(connection) if part.hourly and part.day == day
    ]
    in_range = bounds(start, end, "kept.timestamp")
    statements = [
        f"DELETE FROM {table} copied WHERE NOT EXISTS (SELECT 1 FROM {TABLE} kept "
        f"WHERE kept.id = copied.id AND {in_range})",
        f"INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE} kept "
        f"WHERE {in_range} AND NOT EXISTS "
        f"(SELECT 1 FROM {table} copied WHERE copied.id = kept.id)",
        f"LOCK TABLE ONLY {TABLE} IN ACCESS EXCLUSIVE MODE",
        f"DELETE FROM {DEFAULT_PARTITION} WHERE {bounds(start, end)}",
    ]
    if hours:
        statements.append(f"DROP TABLE {', '.join(hours)}")
    statements += [
        f"ALTER TABLE {TABLE} ATTACH PARTITION {table} FOR VALUES FROM "
        f"('{start.isoformat(sep=' ')}') TO ('{end.isoformat(sep=' ')}')",
        f"ALTER TABLE {table} DROP CONSTRAINT {name}_bounds",
        f"ALTER TABLE {table} RENAME TO {name}",
    ]
    for statement in statements:
        connection.execute(sa.text(statement))
