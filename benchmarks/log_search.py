# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of the log search, the partition upgrade and a day's retention.

Fills a PostgreSQL database of its own (``SQLALCHEMY_DATABASE_URI`` with
``_bench_log_search`` appended to its name, created and dropped here) with
N log lines of R runs of J jobs spread over D days, as the table stood
before partitions (one table, its run index), in one ``INSERT ... SELECT
FROM generate_series``. Messages are what vocabulary harvests write (DOIs,
ROR and ORCID ids, hashes, counts), one line in a million carries the rare
word ``quasar``. Then:

1. converts the table to partitions as the migration does (copy and
   index building), timed: a partition per ended day, today's hours, and
   the trigram index on every range that ended (the hours before the
   current one too), as the hourly maintenance leaves them;
2. times searches through the logs service (``/api/logs/jobs``' code,
   without HTTP), each ``--requests`` times, a page of 50 hits: a rare word
   across all runs, a phrase within one job, a level and a time range;
3. times dropping the oldest day (retention);
4. times joining today's hours into one day partition (the maintenance
   does it once a day has ended): the copy with the index building, and
   the swap, during which the log table is locked.

``--full-today`` puts a whole day's lines into today, as at the end of a
day: the lines then run until midnight tonight, the hours are indexed up
to 23:00 and the searches' clock says 23:30, so that the unindexed current
hour holds a full hour's lines and the join moves a whole day.

    python benchmarks/log_search.py --lines 10000000 [--full-today]
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta

import sqlalchemy as sa
from common import bench_app, bench_database, insert_generated

SIZES = {"lines": 10_000_000, "runs": 2_000, "jobs": 20, "days": 30, "requests": 30}
"""Default sizes: lines, runs and jobs seeded over days; requests per search."""

MESSAGE = """CASE i % 8
    WHEN 0 THEN 'Imported record 10.5281/zenodo.' || i || ' (' || left(h, 8) || ')'
    WHEN 1 THEN 'Fetched https://api.ror.org/organizations/0' || left(h, 8)
    WHEN 2 THEN 'Updated ORCID 0000-000' || (i % 10) || '-'
        || lpad((i % 10000)::text, 4, '0') || ' name ' || substr(h, 9, 6)
    WHEN 3 THEN 'Skipped duplicate entry ' || left(h, 12)
    WHEN 4 THEN 'Processing batch ' || (i / 500) || ' of vocabulary funders'
    WHEN 5 THEN 'HTTP 200 in ' || (i % 997) || ' ms for page ' || (i % 311)
    WHEN 6 THEN 'Warning: missing title for award ' || substr(h, 3, 10)
    ELSE 'Committed ' || (i % 500) || ' entries to the database'
END || CASE WHEN i % 1000000 = 4242 THEN ' quasar' ELSE '' END"""
"""A harvest's lines: eight shapes, identifiers from the line number's hash."""


def seed(db, options, end):
    """Jobs, runs, and lines in time order (ids follow time) until ``end``."""
    from invenio_jobs.models import Job, Run

    i = sa.column("i", sa.Integer)
    now = sa.func.now()
    series = sa.func.generate_series(1, options.jobs).table_valued("i")
    insert_generated(
        db.session,
        Job,
        {
            "id": sa.func.gen_random_uuid(),
            "title": sa.literal("Vocabulary ") + sa.cast(i, sa.Text),
            "task": sa.literal("bench"),
            "active": sa.true(),
            "created": now,
            "updated": now,
        },
        series.render_derived(),
    )
    ids = sa.select(sa.func.array_agg(Job.id).label("ids")).subquery()
    series = sa.func.generate_series(1, options.runs).table_valued("i")
    insert_generated(
        db.session,
        Run,
        {
            "id": sa.func.gen_random_uuid(),
            "job_id": ids.c.ids[1 + i % options.jobs],
            "status": sa.literal("S"),
            "queue": sa.literal("celery"),
            "args": sa.literal("{}"),
            "trigger": sa.literal("scheduled"),
            "number": i,
            "created": now,
            "updated": now,
        },
        series.render_derived(),
        ids,
    )
    db.session.commit()
    step = options.days * 86400.0 / options.lines
    per_run = -(-options.lines // options.runs)
    db.session.execute(
        sa.text(
            "INSERT INTO jobs_run_log (run_id, timestamp, level, logger, message) "
            "SELECT runs.ids[1 + (i - 1) / :per_run], "
            "CAST(:end AS timestamptz) - make_interval(secs => (:lines - i) * :step), "
            "CASE WHEN i % 50 = 0 THEN 'ERROR' WHEN i % 8 = 6 THEN 'WARNING' "
            "ELSE 'INFO' END, 'invenio_vocabularies', "
            f"{MESSAGE} "
            "FROM (SELECT i, md5(i::text) AS h FROM generate_series(1, :lines) i) s, "
            "(SELECT array_agg(id ORDER BY number) AS ids FROM jobs_run) runs"
        ),
        {"per_run": per_run, "lines": options.lines, "step": step, "end": end},
    )
    db.session.commit()


def timed(action) -> float:
    """Seconds ``action`` took."""
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def measure(search, requests) -> dict:
    """p50 and p95 (ms) of ``requests`` searches, and the hits of the last."""
    latencies, hits = [], 0
    for _ in range(requests):
        began = time.perf_counter()
        hits = search()
        latencies.append((time.perf_counter() - began) * 1000)
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
        "hits": hits,
    }


def run(uri, options) -> dict:
    """Seed, convert, search, drop a day; the figures."""
    from invenio_access.permissions import system_identity
    from invenio_db import db

    from invenio_jobs.database.consolidation import (
        prepare_day_table,
        swap_in_day_table,
    )
    from invenio_jobs.database.partitions import (
        HOUR,
        MESSAGE_INDEX,
        drop_partitions_before,
        midnight,
        partition_days,
        partition_log_table,
        partitions,
    )
    from invenio_jobs.models import Job, utcnow
    from invenio_jobs.proxies import current_jobs_logs_service

    figures = {}
    app = bench_app(uri)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"DROP INDEX IF EXISTS {MESSAGE_INDEX}"))
        now = utcnow()
        today = now.date()
        if options.full_today:
            end = midnight(today) + timedelta(days=1) - timedelta(seconds=1)
            indexed_until = midnight(today) + 23 * HOUR
        else:
            end = now
            indexed_until = now.replace(minute=0, second=0, microsecond=0)
        if options.full_today:
            # The searches see the clock at 23:30, as the layout stands.
            from invenio_jobs.services import log_query, logs

            late = midnight(today) + timedelta(hours=23, minutes=30)
            logs.utcnow = log_query.utcnow = lambda: late
        figures["seed_s"] = timed(lambda: seed(db, options, end))
        db.session.remove()

        def upgrade():
            with db.engine.begin() as connection:
                partition_log_table(connection, today, 7, now=indexed_until)

        figures["upgrade_s"] = timed(upgrade)
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.exec_driver_sql("ANALYZE jobs_run_log")
            connection.exec_driver_sql("ANALYZE jobs_run")
            figures["table_bytes"] = connection.scalar(
                sa.text(
                    "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                    "WHERE inhparent = 'jobs_run_log'::regclass"
                )
            )
        job_id = str(db.session.scalar(sa.select(Job.id).limit(1)))
        db.session.remove()

        def search(q):
            def once():
                answer = current_jobs_logs_service.search(
                    system_identity, {"q": q, "size": 50}
                ).to_dict()
                db.session.remove()
                return len(answer["hits"]["hits"])

            return once

        searches = {
            "rare word, all runs": "quasar",
            "phrase, one job": f'"missing title" AND context.job_id:{job_id}',
            "level and time range": "level:ERROR AND @timestamp:[now-2d TO now-1d]",
        }
        for name, q in searches.items():
            search(q)()  # warm up
            figures[name] = measure(search(q), options.requests)

        with db.engine.connect() as connection:
            oldest = partition_days(connection)[0]
        cutoff = utcnow().replace(
            year=oldest.year, month=oldest.month, day=oldest.day
        ) + timedelta(days=1)

        def drop():
            with db.engine.begin() as connection:
                figures["dropped"] = drop_partitions_before(connection, cutoff)

        figures["drop_day_s"] = timed(drop)

        with db.engine.connect() as connection:
            figures["today_lines"] = connection.scalar(
                sa.text("SELECT count(*) FROM jobs_run_log WHERE timestamp >= :start"),
                {"start": midnight(today)},
            )
            hours = [part for part in partitions(connection) if part.day == today]
            unindexed = hours[int((indexed_until - midnight(today)) / HOUR)]
            figures["unindexed_lines"] = connection.scalar(
                sa.text(f"SELECT count(*) FROM {unindexed.name}")
            )
            connection.commit()
            figures["prepare_s"] = timed(
                lambda: (prepare_day_table(connection, today), connection.commit())
            )
            figures["swap_s"] = timed(
                lambda: (swap_in_day_table(connection, today), connection.commit())
            )
    return figures


def main(argv=None):
    """Seed, measure, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--full-today",
        action="store_true",
        help="a whole day's lines today, as at the end of a day (the worst case)",
    )
    options = parser.parse_args(argv)

    with bench_database("log_search", keep=options.keep) as (uri, backend):
        if not uri.startswith("postgresql"):
            raise SystemExit("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")
        figures = run(uri, options)

    (day, lines), *_ = figures["dropped"].items()
    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(
        f"seeded {options.lines} lines of {options.runs} runs of {options.jobs} "
        f"jobs over {options.days} days in {figures['seed_s']:.1f} s; "
        f"partitioned (copy + indexes) in {figures['upgrade_s']:.1f} s; "
        f"{figures['table_bytes'] / 2**20:.0f} MiB with indexes; "
        f"{options.requests} searches each through the logs service, 50 hits a page"
    )
    print(f"{'search':<24}{'p50 ms':>9}{'p95 ms':>9}{'hits':>6}")
    for name in ("rare word, all runs", "phrase, one job", "level and time range"):
        result = figures[name]
        print(
            f"{name:<24}{result['p50']:>9.2f}{result['p95']:>9.2f}"
            f"{result['hits']:>6d}"
        )
    print(
        f"dropped the day {day} (~{lines} lines) in "
        f"{figures['drop_day_s'] * 1000:.0f} ms"
    )
    print(
        f"today: {figures['today_lines']} lines in hourly partitions, "
        f"{figures['unindexed_lines']} in the current (unindexed) hour; "
        f"joined into one day partition in "
        f"{figures['prepare_s'] + figures['swap_s']:.1f} s (copy and indexes "
        f"{figures['prepare_s']:.1f} s beside the writers, swap with the log "
        f"locked {figures['swap_s'] * 1000:.0f} ms)"
    )
    rare, phrase, level = (
        figures[name]
        for name in ("rare word, all runs", "phrase, one job", "level and time range")
    )
    print(
        f"lines={options.lines} upgrade_s={figures['upgrade_s']:.1f} "
        f"rare_p50_ms={rare['p50']:.1f} rare_p95_ms={rare['p95']:.1f} "
        f"phrase_p50_ms={phrase['p50']:.1f} phrase_p95_ms={phrase['p95']:.1f} "
        f"level_time_p50_ms={level['p50']:.1f} level_time_p95_ms={level['p95']:.1f} "
        f"drop_day_ms={figures['drop_day_s'] * 1000:.0f} "
        f"full_today={int(options.full_today)} "
        f"today_lines={figures['today_lines']} "
        f"unindexed_lines={figures['unindexed_lines']} "
        f"join_day_s={figures['prepare_s'] + figures['swap_s']:.1f} "
        f"join_swap_ms={figures['swap_s'] * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
