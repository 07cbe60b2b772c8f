# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What the job system asks of a database engine, each question once.

The code above asks what an engine can do, not which one it is: whether it
has a single writer (SQLite: a second connection waits for the first one's
transaction, and there is no server to lose) and whether it speaks
PostgreSQL through psycopg2 (COPY for log lines, statements prepared with
their first use). Each answer is a function here, so that a new database
or driver changes one place.
"""


def single_writer(engine) -> bool:
    """Whether ``engine``'s database lets one connection write at a time (SQLite).

    Such a database has no server that could restart under a pooled
    connection either.
    """
    return engine.dialect.name == "sqlite"


def speaks_postgresql(bind) -> bool:
    """Whether ``bind`` (an engine or a connection) talks to PostgreSQL.

    Its SQL is what the statistics (``percentile_cont``, ``date_bin``), the
    claims of due runs (``FOR UPDATE SKIP LOCKED``), the job-as-seen INSERT
    (``jsonb``) and autocommit statements rely on.
    """
    return bind.dialect.name == "postgresql"


def seconds_between(bind, later, earlier):
    """SQL for the seconds from ``earlier`` to ``later``, in ``bind``'s terms.

    PostgreSQL subtracts timestamps into an interval, read as a float
    (``date_part``: ``EXTRACT`` gives a slower numeric); SQLite stores text
    and counts in Julian days.
    """
    import sqlalchemy as sa

    if speaks_postgresql(bind):
        return sa.func.date_part("epoch", later - earlier, type_=sa.Float)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def speaks_psycopg2(engine) -> bool:
    """Whether ``engine`` talks to PostgreSQL through psycopg2.

    Its driver sends a statement and its values as one string and streams
    COPY from a file-like object: what prepared statements and the log
    writer's COPY rely on.
    """
    return speaks_postgresql(engine) and engine.dialect.driver == "psycopg2"
