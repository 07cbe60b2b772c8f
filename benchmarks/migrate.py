# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of the take-over of an InvenioRDM database: upgrade and downgrade.

Makes a PostgreSQL database of its own (the database of
``SQLALCHEMY_DATABASE_URI`` with ``_bench_migrate`` appended to its name,
created and dropped here) with every module's
revisions, takes our branch back to InvenioRDM's ``1784553083``, and fills
it as a busy InvenioRDM instance is: J jobs (cron and interval schedules)
and N runs, most of them started by InvenioRDM's beat, some by a user, some
subtasks, a few with NULL arguments (written with COPY). Then it times our
``upgrade`` to the head and the ``downgrade`` back to ``1784553083``.

It also says whether ``jobs_run`` was rewritten (its file node changes when
a statement rewrites the table), and how many runs the batched UPDATEs wrote.

    python benchmarks/migrate.py                 # 100,000 runs
    python benchmarks/migrate.py --runs 1000000 --jobs 500
"""

import argparse
import csv
import io
import json
import logging
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from common import bench_app, bench_database

from invenio_jobs.alembic import INVENIORDM_COUNTERS

INVENIORDM_HEAD = "1784553083"

RUN_COLUMNS = (
    "id",
    "created",
    "updated",
    "job_id",
    "parent_run_id",
    "task_id",
    "started_by_id",
    "started_at",
    "finished_at",
    "status",
    "message",
    "title",
    "args",
    "queue",
    *INVENIORDM_COUNTERS,
    "subtasks_closed",
)
"""The columns of InvenioRDM's ``jobs_run``, in the order the rows give them."""

JOB_COLUMNS = (
    "id",
    "created",
    "updated",
    "active",
    "title",
    "task",
    "default_queue",
    "schedule",
    "run_args",
    "notifications",
)


def _schedule(index: int) -> dict:
    if index % 2:
        return {"type": "interval", "hours": 1 + index % 12}
    return {
        "type": "crontab",
        "minute": str(index % 60),
        "hour": str(index % 24),
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
    }


def make_rows(jobs: int, runs: int, user_id: int, start: datetime):
    """Rows as InvenioRDM writes them: (job tuples, run tuples), UUID ids.

    Of the runs, 5 % are subtasks, 15 % started by a user, 80 % by the beat;
    1 % have NULL arguments.
    """
    rng = random.Random(13)
    job_rows = []
    for index in range(jobs):
        job_rows.append(
            (
                uuid.uuid4(),
                start,
                start,
                index % 10 != 0,
                f"Job {index:05d}",
                "update_affiliations",
                "celery",
                json.dumps(_schedule(index)),
                json.dumps({"since": "2026-01-01"}),
                json.dumps({"emails": ["ops@example.org"]}) if index % 3 else None,
            )
        )
    run_rows, parents = [], []
    step = timedelta(days=365) / max(runs, 1)
    for index in range(runs):
        job = job_rows[index % jobs]
        created = start + step * index
        kind = rng.random()
        parent = None
        if kind < 0.05 and parents:
            parent = rng.choice(parents[-50:])
        started_by = user_id if 0.05 <= kind < 0.20 else None
        args = None if rng.random() < 0.01 else json.dumps({"since": "2026-01-01"})
        run_id = uuid.uuid4()
        if parent is None and len(parents) < 10_000:
            parents.append(run_id)
        run_rows.append(
            (
                run_id,
                created,
                created,
                job[0],
                parent,
                uuid.uuid4(),
                started_by,
                created,
                created + timedelta(seconds=30),
                "SF"[index % 7 == 0],
                None,
                None,
                args,
                "celery",
                0,
                0,
                0,
                0,
                rng.randint(0, 1000),
                0,
                0,
                False,
            )
        )
    return job_rows, run_rows


def _copy(connection, table: str, columns, rows):
    """COPY rows into a PostgreSQL table (NULL as an empty unquoted field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    buffer.seek(0)
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer
    )


def fill(db, job_rows, run_rows):
    """Write the rows; parents are written before their subtasks."""
    run_rows = sorted(run_rows, key=lambda row: row[4] is not None)
    with db.engine.begin() as connection:
        _copy(connection, "jobs_job", JOB_COLUMNS, job_rows)
        _copy(connection, "jobs_run", RUN_COLUMNS, run_rows)
    with db.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        connection.execute(sa.text("VACUUM ANALYZE jobs_job, jobs_run"))


def _facts(db) -> dict:
    """The rows, file node, size and updated rows so far of ``jobs_run``."""
    # Statistics reach other sessions within a second of a transaction's end.
    time.sleep(1.5)
    with db.engine.connect() as connection:
        return (
            connection.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM jobs_run) AS rows, "
                    "pg_relation_filenode('jobs_run') AS filenode, "
                    "pg_size_pretty(pg_total_relation_size('jobs_run')) AS size, "
                    "(SELECT n_tup_upd FROM pg_stat_user_tables "
                    "WHERE relname = 'jobs_run') AS tuples_updated"
                )
            )
            .mappings()
            .one()
        )


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _user() -> int:
    """Id of a new user, who starts some of the runs."""
    from invenio_accounts.proxies import current_datastore
    from invenio_db import db

    user = current_datastore.create_user(email="admin@example.org", active=True)
    db.session.commit()
    return user.id


def _row(cells, widths):
    return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths))


def main():
    """Parse the options, run the benchmark, print the table and the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args()
    # The revisions each log a line: the table is what matters here.
    logging.disable(logging.INFO)

    if not os.environ.get("SQLALCHEMY_DATABASE_URI", "").startswith("postgresql"):
        # invenio-db's own first revision cannot run on SQLite, and InvenioRDM
        # instances run on PostgreSQL.
        sys.exit("benchmarks/migrate.py needs SQLALCHEMY_DATABASE_URI (PostgreSQL)")
    with bench_database("migrate", keep=options.keep) as (uri, label):
        app = bench_app(uri)
        with app.app_context():
            from invenio_db import db

            alembic = app.extensions["invenio-db"].alembic
            rdm_head = alembic.script_directory.get_revision(INVENIORDM_HEAD)
            made = _timed(alembic.upgrade)
            alembic.downgrade(target=rdm_head)
            user_id = _user()
            db.session.remove()
            start = datetime(2025, 1, 1, tzinfo=timezone.utc)
            job_rows, run_rows = make_rows(options.jobs, options.runs, user_id, start)
            filled = _timed(lambda: fill(db, job_rows, run_rows))
            before = _facts(db)
            upgrade_s = _timed(alembic.upgrade)
            after = _facts(db)
            downgrade_s = _timed(lambda: alembic.downgrade(target=rdm_head))
            back = _facts(db)

    widths = (34, 12, 12, 12)
    print(f"database: {label}; {options.jobs} jobs, {options.runs} runs")
    print(f"schema made in {made:.1f} s, rows written in {filled:.1f} s")
    print(_row(("step", "seconds", "runs", "jobs_run"), widths))
    for step, seconds, facts in (
        ("upgrade 1784553083 -> head", upgrade_s, after),
        ("downgrade head -> 1784553083", downgrade_s, back),
    ):
        print(_row((step, f"{seconds:.2f}", facts["rows"], facts["size"]), widths))
    rewritten = before["filenode"] != after["filenode"]
    print(
        f"jobs_run rewritten by the upgrade: {'yes' if rewritten else 'no'}; "
        "runs written by its UPDATEs: "
        f"{after['tuples_updated'] - before['tuples_updated']}"
    )
    print(
        f"runs={options.runs} jobs={options.jobs} upgrade_s={upgrade_s:.2f} "
        f"downgrade_s={downgrade_s:.2f}"
    )


if __name__ == "__main__":
    main()
