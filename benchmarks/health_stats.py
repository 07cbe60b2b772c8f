# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of the health statistics and the metrics on a long run history.

Fills a PostgreSQL database of its own (the database of
``SQLALCHEMY_DATABASE_URI`` with ``_bench_health`` appended to its name,
created and dropped here) with N runs of J jobs spread over a year, in one
``INSERT ... SELECT FROM generate_series`` per table, then times
``GET /api/jobs/stats?window=24h`` (and ``7d``) and ``GET /api/jobs/metrics``
through the Flask test client of the API app, logged in as an administrator,
and counts the SQL statements each request sends.

    python benchmarks/health_stats.py --runs 1000000 --jobs 200 --requests 50
"""

import argparse
import statistics
import sys
import time

import sqlalchemy as sa
from api_list import make_admin
from common import bench_app, bench_database

SPAN_DAYS = 365
"""The runs are spread evenly over this many days before now."""


def _filled(table, given: dict) -> dict:
    """``given`` plus a literal for every other required column with a default.

    Keeps the bulk insert working when a column is added to the model.
    """
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default:
            continue
        default = column.default
        if default is not None and default.is_scalar:
            values[column.name] = sa.literal(default.arg, column.type)
        elif default is not None and default.is_callable:
            values[column.name] = sa.literal(default.arg(None), column.type)
        else:
            raise SystemExit(f"no value for the required column {column}")
    return values


def seed(db, jobs: int, runs: int):
    """Insert ``jobs`` jobs and ``runs`` runs with one statement each."""
    from invenio_jobs.models import Job, Run

    i = sa.column("i", sa.Integer)
    series = sa.func.generate_series(1, jobs).table_valued("i").render_derived()
    now = sa.func.now()
    job_values = _filled(
        Job.__table__,
        {
            "id": sa.func.gen_random_uuid(),
            "title": sa.literal("Job ") + sa.cast(i, sa.Text),
            "task": sa.literal("bench_") + sa.cast(i % 5, sa.Text),
            "active": sa.true(),
            "created": now,
            "updated": now,
        },
    )
    db.session.execute(
        sa.insert(Job).from_select(
            list(job_values), sa.select(*job_values.values()).select_from(series)
        )
    )
    ids = sa.select(sa.func.array_agg(Job.id).label("ids")).subquery()
    series = sa.func.generate_series(1, runs).table_valued("i").render_derived()
    step = SPAN_DAYS * 86400.0 / runs
    created = now - sa.func.make_interval(0, 0, 0, 0, 0, 0, i * step)
    status = sa.case(
        (i <= 3, "R"),
        (i <= 6, "Q"),
        (i % 20 == 0, "F"),
        (i % 50 == 1, "P"),
        else_="S",
    )
    started = created + sa.func.make_interval(0, 0, 0, 0, 0, 0, i % 7)
    finished = started + sa.func.make_interval(0, 0, 0, 0, 0, 0, 30 + i % 600)
    run_values = _filled(
        Run.__table__,
        {
            "id": sa.func.gen_random_uuid(),
            "job_id": ids.c.ids[1 + i % jobs],
            "status": status,
            "queue": sa.literal("celery"),
            "args": sa.literal("{}"),
            "trigger": sa.literal("scheduled"),
            "scheduled_at": sa.case((i % 5 != 0, created), else_=None),
            "started_at": sa.case((i <= 6, None), else_=started),
            "finished_at": sa.case((i <= 6, None), else_=finished),
            "message": sa.case((i % 20 == 0, "It broke\nTraceback ..."), else_=None),
            "created": created,
            "updated": created,
        },
    )
    db.session.execute(
        sa.insert(Run).from_select(
            list(run_values),
            sa.select(*run_values.values()).select_from(series).join(ids, sa.true()),
        )
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE jobs_job")
        conn.exec_driver_sql("VACUUM ANALYZE jobs_run")


def measure(client, engine, url, requests) -> dict:
    """Median and p95 latency (ms) of ``requests`` calls, and their statements.

    ``queries`` counts the statements on the jobs tables (the stats' own),
    ``all_queries`` every statement of the request (sign-in and permission
    look-ups included).
    """
    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    latencies, ours, every = [], [], []
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(requests):
            sent.clear()
            begin = time.perf_counter()
            res = client.get(url)
            latencies.append((time.perf_counter() - begin) * 1000)
            if res.status_code != 200:
                raise SystemExit(f"{url}: HTTP {res.status_code} {res.data[:200]!r}")
            every.append(len(sent))
            ours.append(sum("jobs_" in statement for statement in sent))
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
        "queries": max(ours),
        "all_queries": max(every),
    }


SIZES = {"runs": 1_000_000, "jobs": 200, "requests": 50}
"""The default sizes: runs and jobs seeded, requests per stats window."""

ENDPOINTS = {
    "GET /api/jobs/stats?window=24h": "/jobs/stats?window=24h",
    "GET /api/jobs/stats?window=7d": "/jobs/stats?window=7d",
    "GET /api/jobs/metrics": "/jobs/metrics",
}
"""What is timed, by the name printed."""

API_SETTINGS = {
    "APP_DEFAULT_SECURE_HEADERS": {"force_https": False},
    "RATELIMIT_ENABLED": False,
}
"""Plain HTTP and no rate limit for the test client."""


def seed_and_measure(uri: str, options) -> tuple[float, dict]:
    """Seed the database of ``uri``; time each endpoint as an administrator."""
    from invenio_accounts.testutils import login_user_via_session
    from invenio_db import db

    app = bench_app(uri, **API_SETTINGS)
    results = {}
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        seed(db, options.jobs, options.runs)
        seeded_in = time.perf_counter() - began
        client = app.test_client()
        login_user_via_session(client, user=make_admin(app, db))
        for name, url in ENDPOINTS.items():
            measure(client, db.engine, url, 3)  # warm up
            requests = options.requests if "stats" in name else 5
            results[name] = measure(client, db.engine, url, requests)
        db.session.remove()
    return seeded_in, results


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args(argv)

    with bench_database("health", keep=options.keep) as (uri, backend):
        if not uri.startswith("postgresql"):
            raise SystemExit("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")
        seed_s, results = seed_and_measure(uri, options)

    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(
        f"seeded {options.jobs} jobs and {options.runs} runs over {SPAN_DAYS} days "
        f"in {seed_s:.1f} s; {options.requests} requests per stats window "
        "through the Flask test client (5 for the metrics)"
    )
    print(f"{'endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'jobs SQL':>10}{'all SQL':>9}")
    for name, result in results.items():
        print(
            f"{name:<34}{result['p50']:>9.2f}{result['p95']:>9.2f}"
            f"{result['queries']:>10d}{result['all_queries']:>9d}"
        )
    day, week, scrape = results.values()
    print(
        f"runs={options.runs} stats_ms={day['p50']:.2f} "
        f"stats_queries={day['queries']} stats_7d_ms={week['p50']:.2f} "
        f"stats_7d_queries={week['queries']} metrics_ms={scrape['p50']:.2f} "
        f"metrics_queries={scrape['queries']}"
    )


if __name__ == "__main__":
    main()
