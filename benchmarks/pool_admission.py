# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of one admission pass of the concurrency pools, by waiting runs.

Seeds 10 pools of 2 slots, 10 jobs in each, and N runs waiting for a slot
(spread over the jobs), beside a history of finished runs (10 per job), in
a database of its own (``SQLALCHEMY_DATABASE_URI`` with ``_bench_pools``
appended; a temporary SQLite file when the variable is not set). Each pass
first ends the runs the last pass admitted (their slots free again), then
times ``lifecycle.admit`` in this process, in its own transaction, counting
its SQL statements; the pass that finds nothing waiting is timed too.

    python benchmarks/pool_admission.py                 # 1,000 to 100,000
    python benchmarks/pool_admission.py --waiting 10000
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from common import bench_app, bench_database
from sqlalchemy import event

SIZES = (1_000, 10_000, 100_000)
POOLS = 10
JOBS_PER_POOL = 10
SLOTS = 2
HISTORY = 10


def seed(db, waiting: int, now: datetime, chunk: int = 5000):
    """The pools, their jobs, the finished history and ``waiting`` queued runs."""
    from invenio_jobs.models import Job, Pool, Run, RunStatusEnum

    db.session.execute(
        sa.insert(Pool.__table__),
        [
            dict(name=f"pool-{p}", slots=SLOTS, created=now, updated=now)
            for p in range(POOLS)
        ],
    )
    jobs = []
    for p in range(POOLS):
        for j in range(JOBS_PER_POOL):
            jobs.append(
                dict(
                    id=uuid.uuid4(),
                    title=f"Job {p}-{j}",
                    task="bench",
                    active=True,
                    run_args={},
                    misfire_policy="coalesce",
                    allow_overlap=True,
                    notifications=None,
                    pool=f"pool-{p}",
                    created=now,
                    updated=now,
                )
            )
    db.session.execute(sa.insert(Job.__table__), jobs)

    def run(job, when, **values):
        row = dict(
            id=uuid.uuid4(),
            job_id=job["id"],
            status=RunStatusEnum.SUCCESS,
            title="Run",
            args={},
            queue="celery",
            trigger="manual",
            attempt=1,
            task_id=str(uuid.uuid4()),
            created=when,
            updated=when,
        )
        row.update(values)
        return row

    history = [
        run(job, now - timedelta(days=1, minutes=k), slot_pool=job["pool"])
        for job in jobs
        for k in range(HISTORY)
    ]
    db.session.execute(sa.insert(Run.__table__), history)
    for start in range(0, waiting, chunk):
        rows = [
            run(
                jobs[i % len(jobs)],
                now - timedelta(seconds=waiting - i),
                status=RunStatusEnum.QUEUED,
                due_at=now,
            )
            for i in range(start, min(start + chunk, waiting))
        ]
        db.session.execute(sa.insert(Run.__table__), rows)
    db.session.commit()
    vacuum(db)


def vacuum(db):
    """Refresh PostgreSQL's statistics and visibility, as autovacuum would."""
    if db.engine.name == "postgresql":
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("jobs_pool", "jobs_job", "jobs_run"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def one_pass(db, now: datetime) -> tuple[float, int, list]:
    """End the runs holding slots, then one admission: ms, statements, ids."""
    from invenio_jobs import lifecycle
    from invenio_jobs.models import Run, RunStatusEnum

    db.session.execute(
        sa.update(Run)
        .where(Run.status == RunStatusEnum.QUEUED, Run.slot_pool.is_not(None))
        .values(status=RunStatusEnum.SUCCESS)
    )
    db.session.commit()
    counter = {"n": 0}

    def count(*args):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        began = time.perf_counter()
        with db.engine.begin() as connection:
            rows = lifecycle.admit(now, 30, 500, connection)
        elapsed = (time.perf_counter() - began) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return elapsed, counter["n"], [row.id for row in rows]


def bench_size(db, waiting: int, repeat: int) -> dict:
    """Seed, then time ``repeat`` passes and an idle one."""
    from invenio_jobs.models import Run, RunStatusEnum

    db.drop_all()
    db.create_all()
    now = datetime.now(timezone.utc)
    began = time.perf_counter()
    seed(db, waiting, now)
    seed_s = time.perf_counter() - began
    one_pass(db, now)  # warm up: connection, statement caches
    times, statements, admitted = [], set(), set()
    for _ in range(repeat):
        elapsed, count, ids = one_pass(db, now)
        times.append(elapsed)
        statements.add(count)
        admitted.add(len(ids))
    db.session.execute(
        sa.update(Run)
        .where(Run.status == RunStatusEnum.QUEUED)
        .values(status=RunStatusEnum.CANCELLED)
    )
    db.session.commit()
    vacuum(db)  # as autovacuum does after so many changed rows
    idle_ms, idle_statements, _ = one_pass(db, now)
    db.session.remove()
    return dict(
        waiting=waiting,
        pass_ms=statistics.median(times),
        statements=max(statements),
        admitted=max(admitted),
        idle_ms=idle_ms,
        idle_statements=idle_statements,
        seed_s=seed_s,
    )


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waiting", type=int, help="one size instead of the list")
    parser.add_argument("--repeat", type=int, default=5, help="passes per figure")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args(argv)
    sizes = [options.waiting] if options.waiting else list(SIZES)

    results = []
    with bench_database("pools", keep=options.keep) as (uri, backend):
        app = bench_app(uri)
        from invenio_db import db

        with app.app_context():
            server = ""
            if db.engine.name == "postgresql":
                with db.engine.connect() as conn:
                    server = conn.exec_driver_sql("SHOW server_version").scalar()
            for waiting in sizes:
                results.append(bench_size(db, waiting, options.repeat))

    print(f"database: {backend} {server}; python {sys.version.split()[0]}")
    print(
        f"one lifecycle.admit() in this process, its own transaction; {POOLS} "
        f"pools of {SLOTS} slots, {JOBS_PER_POOL} jobs each, {HISTORY} finished "
        f"runs per job; median of {options.repeat} passes, each after the last "
        "one's runs ended"
    )
    print(
        f"{'waiting':>9}{'pass ms':>10}{'stmts':>7}{'admitted':>10}"
        f"{'idle ms':>10}{'idle stmts':>12}{'seed s':>9}"
    )
    for row in results:
        print(
            f"{row['waiting']:>9}{row['pass_ms']:>10.2f}{row['statements']:>7}"
            f"{row['admitted']:>10}{row['idle_ms']:>10.2f}"
            f"{row['idle_statements']:>12}{row['seed_s']:>9.1f}"
        )
    last = results[-1]
    print(
        f"waiting={last['waiting']} pass_ms={last['pass_ms']:.2f} "
        f"statements={last['statements']} admitted={last['admitted']} "
        f"idle_ms={last['idle_ms']:.2f} idle_statements={last['idle_statements']}"
    )


if __name__ == "__main__":
    main()
