# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of one tick of the beat scheduler, by number of jobs and due jobs.

Seeds N active jobs scheduled every hour (each with one finished run) in a
database of its own (the database of ``SQLALCHEMY_DATABASE_URI`` with
``_bench_tick`` appended to its name, created and dropped here; a temporary
SQLite file when the variable is not set), makes K of them due, and times
``RunScheduler.tick_jobs`` in the benchmark process, counting the SQL
statements it sends. Sending runs to the broker is replaced by a no-op
counter, so that the figures are the scheduler's own.

    python benchmarks/scheduler_tick.py                    # the full matrix
    python benchmarks/scheduler_tick.py --jobs 10000 --due 10
    python benchmarks/scheduler_tick.py --jobs 10000 --due 1000 --hold paused
    python benchmarks/scheduler_tick.py --jobs 10000 --due 1000 --hold window

``--hold paused`` measures the looks while all scheduled runs are paused;
``--hold window`` while a maintenance window holds every due job.
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
DUE = (0, 10, 1_000)


def seed(db, jobs: int, now: datetime, chunk: int = 5000) -> list:
    """Insert the jobs, none due, each with a finished run; their ids."""
    from invenio_jobs.models import Job, Run, RunStatusEnum

    ids = [uuid.uuid4() for _ in range(jobs)]
    for start in range(0, jobs, chunk):
        job_rows, run_rows = [], []
        for i in range(start, min(start + chunk, jobs)):
            anchor = now - timedelta(hours=1) + timedelta(seconds=i * 3600 / jobs)
            job_rows.append(
                dict(
                    id=ids[i],
                    title=f"Job {i:06d}",
                    task="bench",
                    active=True,
                    schedule={"type": "interval", "hours": 1},
                    run_args={},
                    schedule_anchor=anchor,
                    # Spread over the coming hour, and never due by accident.
                    next_run_at=anchor + timedelta(hours=1, minutes=5),
                    misfire_policy="coalesce",
                    allow_overlap=False,
                    notifications=None,
                    created=anchor,
                    updated=anchor,
                )
            )
            run_rows.append(
                dict(
                    id=uuid.uuid4(),
                    job_id=ids[i],
                    status=RunStatusEnum.SUCCESS,
                    title="Earlier run",
                    args={},
                    queue="celery",
                    trigger="scheduled",
                    attempt=1,
                    scheduled_at=anchor,
                    created=anchor,
                    updated=anchor,
                )
            )
        db.session.execute(sa.insert(Job.__table__), job_rows)
        db.session.execute(sa.insert(Run.__table__), run_rows)
    db.session.commit()
    analyze(db)
    return ids


def analyze(db):
    """Refresh PostgreSQL's statistics, as autovacuum would in production."""
    if db.engine.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE jobs_job")
            conn.exec_driver_sql("ANALYZE jobs_run")
            conn.commit()


def make_due(db, job_ids, now: datetime):
    """Make these jobs due one second before `now`."""
    from invenio_jobs.models import Job

    if job_ids:
        db.session.execute(
            sa.update(Job)
            .where(Job.id.in_(job_ids))
            .values(next_run_at=now - timedelta(seconds=1))
        )
    db.session.commit()


def measure(db, scheduler, now: datetime) -> tuple[float, int, int]:
    """One tick: its time (ms), its SQL statements and the runs it created."""
    counter = {"n": 0}

    def count(*args):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        began = time.perf_counter()
        tick = scheduler.tick_jobs(now=now)
        elapsed = (time.perf_counter() - began) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return elapsed, counter["n"], len(tick.dispatches)


def hold_all(db, hold: str, now: datetime):
    """Pause everything, or define a window in force now, or neither."""
    from invenio_jobs.models import MaintenanceWindow, Pause

    if hold == "paused":
        db.session.add(Pause(id=1, reason="benchmark", paused_at=now))
    elif hold == "window":
        daily = {"type": "crontab", "minute": "0", "hour": "0", "timezone": "UTC"}
        db.session.add(
            MaintenanceWindow(
                id=uuid.uuid4(),
                title="All day",
                schedule=daily,
                duration=24 * 60,
                active=True,
            )
        )
    db.session.commit()


def bench_size(app, db, jobs: int, dues, repeat: int, hold="none") -> list[dict]:
    """Seed `jobs` jobs, then time ticks with each number of due jobs."""
    from invenio_jobs.models import Job, Run
    from invenio_jobs.services.scheduler import RunScheduler

    celery = app.extensions["invenio-celery"].celery
    scheduler = RunScheduler(app=celery, lazy=True)
    db.drop_all()
    db.create_all()
    now = datetime.now(timezone.utc)
    began = time.perf_counter()
    ids = seed(db, jobs, now)
    seed_s = time.perf_counter() - began
    hold_all(db, hold, now)
    measure(db, scheduler, now)  # warm up: connection, statement caches
    results = []
    for due in dues:
        times, queries, created = [], set(), set()
        for attempt in range(repeat):
            # A new set of due jobs each time, so that each tick does it all.
            start = (attempt * due) % max(jobs - due + 1, 1)
            make_due(db, ids[start : start + due], now)
            elapsed, statements, runs = measure(db, scheduler, now)
            times.append(elapsed)
            queries.add(statements)
            created.add(runs)
            # Back to nothing due: drop the new runs, move the jobs away.
            db.session.execute(sa.delete(Run).where(Run.created == now))
            db.session.execute(
                sa.update(Job)
                .where(Job.id.in_(ids[start : start + due]))
                .values(next_run_at=now + timedelta(hours=2), held_since=None)
            )
            db.session.commit()
        results.append(
            dict(
                jobs=jobs,
                due=due,
                tick_ms=statistics.median(times),
                tick_queries=max(queries),
                runs=max(created),
                seed_s=seed_s,
            )
        )
    db.session.remove()
    return results


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, help="one size instead of the matrix")
    parser.add_argument("--due", type=int, help="due jobs (with --jobs)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="JOBS_SCHEDULER_BATCH_SIZE, so that one tick takes every due job",
    )
    parser.add_argument("--repeat", type=int, default=3, help="ticks per figure")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--hold",
        choices=("none", "paused", "window"),
        default="none",
        help="everything paused, or a maintenance window holding every due job",
    )
    options = parser.parse_args(argv)
    if options.jobs is not None:
        due = options.due if options.due is not None else 0
        plan = [(options.jobs, [min(due, options.jobs)])]
    else:
        plan = [(size, [d for d in DUE if d <= size]) for size in SIZES]

    results = []
    with bench_database("tick", keep=options.keep) as (uri, backend):
        app = bench_app(uri, JOBS_SCHEDULER_BATCH_SIZE=options.batch_size)
        from invenio_db import db

        from invenio_jobs.beat import scheduler as scheduler_module

        sent = {"runs": 0}

        def send_nothing(dispatches):
            sent["runs"] += len(dispatches)
            return [d.run_id for d in dispatches]

        scheduler_module.send_runs = send_nothing
        with app.app_context():
            server = ""
            if db.engine.name == "postgresql":
                with db.engine.connect() as conn:
                    server = conn.exec_driver_sql("SHOW server_version").scalar()
            for jobs, dues in plan:
                results.extend(
                    bench_size(app, db, jobs, dues, options.repeat, options.hold)
                )

    print(f"database: {backend} {server}; python {sys.version.split()[0]}")
    print(
        "one RunScheduler.tick_jobs() in this process; sending to the broker "
        "replaced by a no-op counter (the scheduler alone is measured); "
        f"JOBS_SCHEDULER_BATCH_SIZE={options.batch_size}; median of "
        f"{options.repeat} ticks; each job has one earlier run; "
        f"held: {options.hold}"
    )
    print(
        f"{'jobs':>8}{'due':>7}{'tick ms':>10}{'queries':>9}{'runs':>7}"
        f"{'seed s':>9}"
    )
    for row in results:
        print(
            f"{row['jobs']:>8}{row['due']:>7}{row['tick_ms']:>10.2f}"
            f"{row['tick_queries']:>9}{row['runs']:>7}{row['seed_s']:>9.1f}"
        )
    print(f"runs handed to the no-op sender: {sent['runs']}")
    last = results[-1]
    print(
        f"jobs={last['jobs']} due={last['due']} tick_ms={last['tick_ms']:.2f} "
        f"tick_queries={last['tick_queries']} hold={options.hold}"
    )


if __name__ == "__main__":
    main()
