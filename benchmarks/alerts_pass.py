# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of the maintenance task's alerts pass on many jobs.

Fills a PostgreSQL database of its own (``SQLALCHEMY_DATABASE_URI``'s name
with ``_bench_alerts`` appended, created and dropped here) with J jobs that
all watch every alert kind, and R runs per job (a mix of successes and
failures, some jobs with a run running), one ``INSERT ... SELECT FROM
generate_series`` per table. Then it times the alerts pass
(``worker.alerts.evaluate``): the first one, which opens many alerts and
queues their deliveries, and steady ones, where nothing changes, counting
the statements of each. The statements must not grow with the jobs.

    python benchmarks/alerts_pass.py --jobs 10000 --runs-per-job 20 --passes 10
"""

import argparse
import statistics
import sys
import time

import sqlalchemy as sa
from common import bench_app, bench_database, insert_generated

SETTINGS = {
    "late_minutes": 30,
    "no_success_hours": 24,
    "too_long_minutes": 60,
    "too_long_factor": 3,
    "failures_in_row": 3,
}
"""Every kind watched, on every job (no receivers: the pass alone is timed)."""


def seed(db, jobs: int, runs_per_job: int):
    """``jobs`` jobs, ``runs_per_job`` runs each: one INSERT per table."""
    from invenio_jobs.models import Job, Run

    i = sa.column("i", sa.Integer)
    series = sa.func.generate_series(1, jobs).table_valued("i").render_derived()
    now = sa.func.now()
    minutes = sa.func.make_interval(0, 0, 0, 0, 0, i % 120)
    insert_generated(
        db.session,
        Job,
        {
            "id": sa.func.gen_random_uuid(),
            "title": sa.literal("Job ") + sa.cast(i, sa.Text),
            "task": sa.literal("bench_") + sa.cast(i % 5, sa.Text),
            "active": sa.true(),
            "alerts": sa.literal(SETTINGS, Job.alerts.type),
            # A job in ten has a fire time 0 to 2 hours past.
            "next_run_at": sa.case((i % 10 == 0, now - minutes), else_=now + minutes),
            "created": now - sa.text("interval '30 days'"),
            "updated": now,
        },
        series,
    )
    ids = sa.select(sa.func.array_agg(Job.id).label("ids")).subquery()
    runs = jobs * runs_per_job
    series = sa.func.generate_series(1, runs).table_valued("i").render_derived()
    created = now - sa.func.make_interval(0, 0, 0, 0, 0, 0, i * 60.0 / jobs * 30)
    running = i <= jobs // 20
    status = sa.case((running, "R"), (i % 7 < 3, "F"), else_="S")
    insert_generated(
        db.session,
        Run,
        {
            "id": sa.func.gen_random_uuid(),
            "job_id": ids.c.ids[1 + i % jobs],
            "status": status,
            "queue": sa.literal("celery"),
            "args": sa.literal("{}"),
            "trigger": sa.literal("scheduled"),
            "started_at": created,
            "finished_at": sa.case(
                (running, None),
                else_=created + sa.func.make_interval(0, 0, 0, 0, 0, 0, 30 + i % 90),
            ),
            "created": created,
            "updated": created,
        },
        series,
        ids,
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("jobs_job", "jobs_run", "jobs_alert"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def timed_pass(db):
    """One alerts pass: (ms, statements, alerts changed)."""
    from invenio_jobs.worker import alerts

    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        began = time.perf_counter()
        counts = alerts.evaluate()
        took = (time.perf_counter() - began) * 1000
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return took, len(sent), sum(counts.values())


SIZES = {"jobs": 10_000, "runs-per-job": 20, "passes": 10}
"""The default sizes."""


def main(argv=None):
    """Seed, time the passes, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args(argv)

    with bench_database("alerts", keep=options.keep) as (uri, backend):
        if not uri.startswith("postgresql"):
            raise SystemExit("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")
        app = bench_app(uri, JOBS_ALERT_WEBHOOKS=[])
        from invenio_db import db

        with app.app_context():
            db.create_all()
            began = time.perf_counter()
            seed(db, options.jobs, options.runs_per_job)
            seeded_in = time.perf_counter() - began
            first = timed_pass(db)
            steady = [timed_pass(db) for _ in range(options.passes)]
            db.session.remove()

    steady_ms = [ms for ms, _, _ in steady]
    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(
        f"seeded {options.jobs} jobs watching every alert kind and "
        f"{options.jobs * options.runs_per_job} runs in {seeded_in:.1f} s"
    )
    print(f"{'pass':<28}{'ms':>10}{'statements':>12}{'changes':>10}")
    print(
        f"{'first (opens alerts)':<28}{first[0]:>10.1f}{first[1]:>12d}{first[2]:>10d}"
    )
    print(
        f"{'steady, median of ' + str(options.passes):<28}"
        f"{statistics.median(steady_ms):>10.1f}{max(s for _, s, _ in steady):>12d}"
        f"{sum(c for _, _, c in steady):>10d}"
    )
    print(
        f"jobs={options.jobs} runs={options.jobs * options.runs_per_job} "
        f"first_pass_ms={first[0]:.1f} first_pass_statements={first[1]} "
        f"alerts_opened={first[2]} "
        f"steady_pass_ms={statistics.median(steady_ms):.1f} "
        f"steady_pass_statements={max(s for _, s, _ in steady)}"
    )


if __name__ == "__main__":
    main()
