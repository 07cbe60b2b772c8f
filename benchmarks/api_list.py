# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of the jobs list and a job's run history through the REST API.

Seeds N jobs with M runs each in a database of its own (the database of
``SQLALCHEMY_DATABASE_URI`` with ``_bench_api`` appended to its name, created
and dropped here; a temporary SQLite file when the variable is not set), then
times ``GET /api/jobs?size=25`` and ``GET /api/jobs/<id>/runs?size=25`` through
the Flask test client of the API app, logged in as an administrator, and
counts the SQL statements each request sends, and how many of them read
permission grants. The list is also asked by a curator, who is not an
administrator and sees the ``--granted`` jobs granted to them (``jobs-read``
with the job's id): their list costs one statement more, the read of their
grants. The app runs as InvenioRDM ships it: ``ACCESS_CACHE`` is
invenio-cache's cache, on Redis when ``BROKER_URL`` is Redis, an in-process
``SimpleCache`` otherwise.

    python benchmarks/api_list.py --jobs 10000 --runs 20 --requests 200 --granted 100
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from common import bench_admin, bench_app, bench_database, shipped_access_cache
from sqlalchemy import event

make_admin = bench_admin
"""The administrator the requests are sent as (``health_stats.py`` imports it)."""

GRANT_TABLES = (
    "access_actionsusers",
    "access_actionsroles",
    "access_actionssystemroles",
)
"""Tables of invenio-access's grants: a statement on them is a permission read."""


def seed(db, jobs: int, runs: int, chunk: int = 5000):
    """Insert the jobs and their runs with bulk statements."""
    from invenio_jobs.models import Job, Run, RunStatusEnum

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    job_rows, run_rows = [], []

    def flush(force=False):
        # Jobs first: the runs reference them.
        if not force and len(run_rows) < chunk and len(job_rows) < chunk:
            return
        if job_rows:
            db.session.execute(Job.__table__.insert(), job_rows)
            job_rows.clear()
        if run_rows:
            db.session.execute(Run.__table__.insert(), run_rows)
            run_rows.clear()

    job_ids = []
    for i in range(jobs):
        job_id = uuid.uuid4()
        job_ids.append(job_id)
        created = start + timedelta(seconds=i)
        job_rows.append(
            dict(
                id=job_id,
                title=f"Job {i:06d}",
                description="Benchmark job",
                task="bench",
                active=True,
                schedule={"type": "interval", "hours": 1},
                run_args={},
                next_run_at=created + timedelta(days=400),
                misfire_policy="coalesce",
                allow_overlap=False,
                notifications=None,
                created=created,
                updated=created,
            )
        )
        for r in range(runs):
            when = created + timedelta(hours=r)
            run_rows.append(
                dict(
                    id=uuid.uuid4(),
                    job_id=job_id,
                    status=RunStatusEnum.SUCCESS,
                    title=f"Run {r}",
                    args={},
                    queue="celery",
                    trigger="scheduled",
                    attempt=1,
                    scheduled_at=when,
                    started_at=when,
                    finished_at=when + timedelta(seconds=30),
                    inserted_entries=r,
                    created=when,
                    updated=when,
                )
            )
        flush()
    flush(force=True)
    db.session.commit()
    if db.engine.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE jobs_job")
            conn.exec_driver_sql("ANALYZE jobs_run")
            conn.commit()
    return job_ids


def make_curator(app, db, job_ids):
    """An account that is no administrator, granted ``read`` on these jobs."""
    from datetime import datetime, timezone

    from flask_security.utils import hash_password
    from invenio_access.models import ActionUsers

    datastore = app.extensions["security"].datastore
    user = datastore.create_user(
        email="curator@example.org",
        password=hash_password("bench-pass"),
        active=True,
        confirmed_at=datetime.now(timezone.utc),
    )
    db.session.flush()
    rows = [
        dict(action="jobs-read", argument=str(job_id), user_id=user.id, exclude=False)
        for job_id in job_ids
    ]
    if rows:
        db.session.execute(ActionUsers.__table__.insert(), rows)
    db.session.commit()
    return user


def measure_curator(app, db, curator, options):
    """The jobs list as the curator asks it, in an app context of its own.

    The requests above share the benchmark's app context, whose ``g`` keeps
    the user its first request loaded (the administrator).
    """
    from invenio_accounts.testutils import login_user_via_session

    with app.app_context():
        client = app.test_client()
        login_user_via_session(client, user=curator)
        pages = max(1, min(options.granted // 25, 40))
        urls = [f"/jobs?size=25&page={p}" for p in range(1, pages + 1)]
        measure(client, db.engine, urls[:5], 5)  # warm up
        seen = client.get("/jobs?size=1").json["hits"]["total"]
        if seen != min(options.granted, options.jobs):
            raise SystemExit(f"the curator sees {seen} jobs, not {options.granted}")
        figures = summarize(*measure(client, db.engine, urls, options.requests))
        db.session.remove()
    return figures


def measure(client, engine, urls, requests):
    """Latencies (ms), SQL statements and grant reads per request."""
    counter = {"n": 0, "grants": 0}

    def count(conn, cursor, statement, *args):
        counter["n"] += 1
        if any(table in statement for table in GRANT_TABLES):
            counter["grants"] += 1

    latencies, queries, grants = [], [], []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for i in range(requests):
            url = urls[i % len(urls)]
            counter.update(n=0, grants=0)
            begin = time.perf_counter()
            res = client.get(url)
            latencies.append((time.perf_counter() - begin) * 1000)
            queries.append(counter["n"])
            grants.append(counter["grants"])
            if res.status_code != 200:
                raise SystemExit(f"{url}: HTTP {res.status_code} {res.data[:200]!r}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return latencies, queries, grants


def summarize(latencies, queries, grants):
    """Requests per second, median, p95, queries and grant reads per request."""
    total_s = sum(latencies) / 1000
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / total_s,
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
        "queries": max(queries),
        "grants": max(grants),
    }


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--granted", type=int, default=100, help="jobs granted to the curator"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    options = parser.parse_args(argv)

    with bench_database("api", keep=options.keep) as (uri, backend):
        cache, cache_label = shipped_access_cache(
            os.environ.get("BROKER_URL"), f"bench-api-{uuid.uuid4().hex[:8]}:"
        )
        app = bench_app(
            uri,
            APP_DEFAULT_SECURE_HEADERS={"force_https": False},
            RATELIMIT_ENABLED=False,
            **cache,
        )
        from invenio_accounts.testutils import login_user_via_session
        from invenio_db import db

        with app.app_context():
            db.create_all()
            began = time.perf_counter()
            job_ids = seed(db, options.jobs, options.runs)
            seed_s = time.perf_counter() - began
            admin = bench_admin(app, db)
            client = app.test_client()
            login_user_via_session(client, user=admin)
            pages = max(1, min(options.jobs // 25, 40))
            list_urls = [f"/jobs?size=25&page={p}" for p in range(1, pages + 1)]
            step = max(1, len(job_ids) // 50)
            runs_urls = [f"/jobs/{j}/runs?size=25" for j in job_ids[::step]]
            measure(client, db.engine, list_urls[:5] + runs_urls[:5], 10)  # warm up
            lists = summarize(*measure(client, db.engine, list_urls, options.requests))
            runs = summarize(*measure(client, db.engine, runs_urls, options.requests))
            curator = make_curator(app, db, job_ids[: options.granted])
            curated = measure_curator(app, db, curator, options)
            from invenio_cache import current_cache

            current_cache.clear()
            db.session.remove()

    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(f"permission cache (ACCESS_CACHE): {cache_label}")
    print(
        f"seeded {options.jobs} jobs x {options.runs} runs in {seed_s:.1f} s; "
        f"{options.requests} requests per endpoint through the Flask test client"
    )
    print(
        f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'queries':>9}{'grants':>8}"
    )
    for name, figures in (
        ("GET /api/jobs?size=25", lists),
        ("GET /api/jobs/<id>/runs?size=25", runs),
        ("GET /api/jobs?size=25 as curator", curated),
    ):
        print(
            f"{name:<34}{figures['rps']:>9.1f}{figures['p50']:>9.2f}"
            f"{figures['p95']:>9.2f}{figures['queries']:>9d}{figures['grants']:>8d}"
        )
    print(
        f"list_rps={lists['rps']:.1f} list_p50_ms={lists['p50']:.2f} "
        f"list_p95_ms={lists['p95']:.2f} list_queries={lists['queries']} "
        f"runs_rps={runs['rps']:.1f} runs_queries={runs['queries']} "
        f"list_grant_queries={lists['grants']} runs_grant_queries={runs['grants']} "
        f"curator_list_rps={curated['rps']:.1f} "
        f"curator_list_queries={curated['queries']} "
        f"curator_list_grant_queries={curated['grants']}"
    )


if __name__ == "__main__":
    main()
