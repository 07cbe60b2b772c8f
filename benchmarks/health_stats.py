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

The runs are inserted with the run totals' triggers off, then the totals
are filled in one pass as the migration fills them on an upgraded instance
(timed: ``fill_s``). The scrape is timed twice: as it reads now (the
totals, ``metrics_ms``) and as it read before them (every run,
``metrics_before_ms``), and both readings are compared sample by sample
(``same_values``). Last, runs are ended one statement each, as a worker
ends them, and many in one statement, with the triggers on and off: what
keeping the totals adds to an end (``end_us`` against
``end_untracked_us``, ``bulk_end_ms`` against ``bulk_end_untracked_ms``).

    python benchmarks/health_stats.py --runs 1000000 --jobs 200 --requests 50
"""

import argparse
import math
import statistics
import sys
import time
import uuid
from contextlib import contextmanager, nullcontext

import sqlalchemy as sa
from api_list import make_admin
from common import bench_app, bench_database, insert_generated

SPAN_DAYS = 365
"""The runs are spread evenly over this many days before now."""


@contextmanager
def totals_untracked(db):
    """The run totals' triggers off inside the block (bulk loading)."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE jobs_run DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE jobs_run ENABLE TRIGGER USER")


def fill(db) -> float:
    """Fill the totals from the runs as the migration does; the seconds it took."""
    from invenio_jobs.run_totals import fill_totals

    began = time.perf_counter()
    with db.engine.begin() as conn:
        fill_totals(conn)
    seconds = time.perf_counter() - began
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE jobs_run_total")
    return seconds


def seed(db, jobs: int, runs: int):
    """Insert ``jobs`` jobs and ``runs`` runs with one statement each."""
    from invenio_jobs.models import Job, Run

    i = sa.column("i", sa.Integer)
    series = sa.func.generate_series(1, jobs).table_valued("i").render_derived()
    now = sa.func.now()
    insert_generated(
        db.session,
        Job,
        {
            "id": sa.func.gen_random_uuid(),
            "title": sa.literal("Job ") + sa.cast(i, sa.Text),
            "task": sa.literal("bench_") + sa.cast(i % 5, sa.Text),
            "active": sa.true(),
            "created": now,
            "updated": now,
        },
        series,
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
            "scheduled_at": sa.case((i % 5 != 0, created), else_=None),
            "started_at": sa.case((i <= 6, None), else_=started),
            "finished_at": sa.case((i <= 6, None), else_=finished),
            "message": sa.case((i % 20 == 0, "It broke\nTraceback ..."), else_=None),
            "created": created,
            "updated": created,
        },
        series,
        ids,
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


SIZES = {
    "runs": 1_000_000,
    "jobs": 200,
    "requests": 50,
    "scrapes": 50,
    "before_scrapes": 5,
    "ends": 2000,
}
"""The default sizes: runs and jobs seeded, requests per stats window,
scrapes as now and as before the totals, runs ended to time an end."""

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


BEFORE = "GET /api/jobs/metrics (every run)"
"""The scrape as it read before the totals, timed for the comparison."""


@contextmanager
def reading_every_run():
    """The metrics read every run inside the block, as before the totals."""
    from invenio_jobs.services import metric_families, stats

    stats.run_figures = metric_families.run_figures_from_every_run
    try:
        yield
    finally:
        stats.run_figures = metric_families.run_figures


def _samples(rows) -> dict:
    from invenio_jobs.services.metric_families import run_families

    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in run_families(rows)
        for sample in family.samples
    }


def same_values(db) -> bool:
    """Whether both readings give every sample alike (sums to float precision)."""
    from invenio_jobs.services.metric_families import (
        run_figures,
        run_figures_from_every_run,
    )

    old, new = _samples(run_figures_from_every_run()), _samples(run_figures())
    db.session.remove()
    return sorted(old) == sorted(new) and all(
        math.isclose(new[key], value, rel_tol=1e-12, abs_tol=1e-9)
        for key, value in old.items()
    )


def _running_runs(db, job_id, count) -> list:
    """Insert ``count`` running runs of the job; their ids."""
    from invenio_jobs.models import Run, RunStatusEnum, utcnow

    ids = [uuid.uuid4() for _ in range(count)]
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(Run),
            [
                dict(
                    id=run_id,
                    job_id=job_id,
                    queue="celery",
                    args={},
                    status=RunStatusEnum.RUNNING,
                    started_at=now,
                )
                for run_id in ids
            ],
        )
    return ids


def end_cost(db, ends: int) -> dict:
    """What keeping the totals adds to ending runs, triggers on and off.

    ``end_us``: microseconds per run ended by one autocommit UPDATE, as a
    worker ends it; ``bulk_end_ms``: milliseconds of one UPDATE ending
    ``ends`` runs of one job (the reaper's batch, at its largest). The
    best of two rounds each, alternating, so that neither mode has the
    warmer caches.
    """
    from invenio_jobs.lifecycle import states
    from invenio_jobs.models import Job, RunStatusEnum

    job_id = db.session.scalar(sa.select(Job.id).limit(1))
    db.session.remove()
    one, bulk = {True: [], False: []}, {True: [], False: []}
    for tracked in (False, True, False, True):
        context = nullcontext() if tracked else totals_untracked(db)
        ids = _running_runs(db, job_id, ends // 2)
        with context, db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            began = time.perf_counter()
            for run_id in ids:
                states.finish(run_id, RunStatusEnum.SUCCESS, connection=conn)
            one[tracked].append((time.perf_counter() - began) / len(ids) * 1e6)
        ids = _running_runs(db, job_id, ends)
        context = nullcontext() if tracked else totals_untracked(db)
        with context, db.engine.begin() as conn:
            began = time.perf_counter()
            states.finish_many(ids, RunStatusEnum.FAILED, connection=conn)
            bulk[tracked].append((time.perf_counter() - began) * 1000)
    return {
        "end_us": min(one[True]),
        "end_untracked_us": min(one[False]),
        "bulk_end_ms": min(bulk[True]),
        "bulk_end_untracked_ms": min(bulk[False]),
    }


def seed_and_measure(uri: str, options) -> tuple[dict, dict]:
    """Seed the database of ``uri``; time each endpoint as an administrator."""
    from invenio_accounts.testutils import login_user_via_session
    from invenio_db import db

    app = bench_app(uri, **API_SETTINGS)
    results, figures = {}, {}
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        with totals_untracked(db):
            seed(db, options.jobs, options.runs)
        figures["seed_s"] = time.perf_counter() - began
        figures["fill_s"] = fill(db)
        client = app.test_client()
        login_user_via_session(client, user=make_admin(app, db))
        for name, url in ENDPOINTS.items():
            measure(client, db.engine, url, 3)  # warm up
            requests = options.requests if "stats" in name else options.scrapes
            results[name] = measure(client, db.engine, url, requests)
        with reading_every_run():
            url = ENDPOINTS["GET /api/jobs/metrics"]
            measure(client, db.engine, url, 1)  # warm up
            results[BEFORE] = measure(client, db.engine, url, options.before_scrapes)
        figures["same_values"] = same_values(db)
        figures.update(end_cost(db, options.ends))
        db.session.remove()
    return figures, results


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in SIZES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args(argv)

    with bench_database("health", keep=options.keep) as (uri, backend):
        if not uri.startswith("postgresql"):
            raise SystemExit("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")
        figures, results = seed_and_measure(uri, options)

    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(
        f"seeded {options.jobs} jobs and {options.runs} runs over {SPAN_DAYS} days "
        f"in {figures['seed_s']:.1f} s; run totals filled in "
        f"{figures['fill_s']:.2f} s; {options.requests} requests per stats "
        f"window, {options.scrapes} scrapes ({options.before_scrapes} reading "
        "every run) through the Flask test client"
    )
    print(f"{'endpoint':<38}{'p50 ms':>9}{'p95 ms':>9}{'jobs SQL':>10}{'all SQL':>9}")
    for name, result in results.items():
        print(
            f"{name:<38}{result['p50']:>9.2f}{result['p95']:>9.2f}"
            f"{result['queries']:>10d}{result['all_queries']:>9d}"
        )
    same = "yes" if figures["same_values"] else "NO"
    print(f"same values from the totals as from every run: {same}")
    print(
        f"ending a run (one autocommit UPDATE each, {options.ends // 2} runs): "
        f"{figures['end_us']:.0f} us with the totals kept, "
        f"{figures['end_untracked_us']:.0f} us without; ending {options.ends} "
        f"runs in one UPDATE: {figures['bulk_end_ms']:.1f} ms with, "
        f"{figures['bulk_end_untracked_ms']:.1f} ms without"
    )
    day, week, scrape = (results[name] for name in ENDPOINTS)
    before = results[BEFORE]
    print(
        f"runs={options.runs} stats_ms={day['p50']:.2f} "
        f"stats_queries={day['queries']} stats_7d_ms={week['p50']:.2f} "
        f"stats_7d_queries={week['queries']} metrics_ms={scrape['p50']:.2f} "
        f"metrics_p95_ms={scrape['p95']:.2f} metrics_queries={scrape['queries']} "
        f"metrics_before_ms={before['p50']:.2f} "
        f"metrics_before_p95_ms={before['p95']:.2f} "
        f"same_values={same.lower()} fill_s={figures['fill_s']:.2f} "
        f"end_us={figures['end_us']:.0f} "
        f"end_untracked_us={figures['end_untracked_us']:.0f} "
        f"bulk_end_ms={figures['bulk_end_ms']:.1f} "
        f"bulk_end_untracked_ms={figures['bulk_end_untracked_ms']:.1f}"
    )


if __name__ == "__main__":
    main()
