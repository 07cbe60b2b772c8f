# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of run log capture against plain Python logging to a file.

A job emits N log lines three times: with logging off (the records are
created and discarded), with a ``FileHandler`` (plain Python logging to a
file), and captured into the run's log in the database (``jobs_run_log``,
by the process's writer thread). It prints lines per second of each, the
time capture adds to the run compared with file logging, and the part of
it the job's own thread spends (the rest is the wait, at the run's end, for
the last lines to be stored). On PostgreSQL the log table is partitioned
as the migrations and the maintenance leave it: the lines go into the
current hour's partition, which has no trigram index (ended hours and days
have it).
It uses its own database: that of ``SQLALCHEMY_DATABASE_URI`` with
``_bench_logs`` appended (created and dropped here), or a temporary SQLite
file.

    python benchmarks/log_ingest.py --lines 100000
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

from common import bench_app, bench_database


def emit(logger, lines: int) -> float:
    """Seconds to emit ``lines`` INFO records with arguments, as jobs do."""
    began = time.perf_counter()
    for index in range(lines):
        logger.info("Processed record %s (%d of %d)", "abc-123", index, lines)
    return time.perf_counter() - began


def main(argv=None):
    """Measure the three ways, print the table and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument(
        "--one-table",
        action="store_true",
        help="keep the one log table made from the models (no partitions)",
    )
    parser.add_argument(
        "--index-today",
        action="store_true",
        help="give the current hour's partition the trigram index too (the "
        "alternative to indexing ended hours only), to measure what it costs",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each mode; the median counts"
    )
    options = parser.parse_args(argv)

    with bench_database("logs") as (uri, backend):
        from invenio_db import db

        from invenio_jobs.database.partitions import (
            create_message_index,
            hour_partition_name,
            partition_log_table,
        )
        from invenio_jobs.logging import capture_run_logs
        from invenio_jobs.models import Job, Run, RunLog, utcnow

        app = bench_app(uri)
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        logger = logging.getLogger("bench.job")
        logger.propagate = True

        with app.app_context():
            db.create_all()
            job = Job(title="Bench", task="bench")
            db.session.add(job)
            db.session.flush()
            run = Run(id=uuid.uuid4(), job_id=job.id, queue="celery")
            db.session.add(run)
            db.session.commit()
            run_id = run.id
            db.session.remove()  # no transaction left to block the conversion
            # As the migrations leave it on PostgreSQL: daily partitions,
            # today's written without the trigram index (ended days have it).
            if not options.one_table:
                with db.engine.begin() as connection:
                    partition_log_table(connection, utcnow().date(), 7)
                    if options.index_today:
                        # The lines are stamped as they are written: an
                        # hour's partition and the next, if it begins soon.
                        now = utcnow()
                        for hour in (now, now + timedelta(hours=1)):
                            create_message_index(
                                connection,
                                hour_partition_name(
                                    hour.replace(minute=0, second=0, microsecond=0)
                                ),
                            )

            off, files, captures, job_threads = [], [], [], []
            for _ in range(options.repeat):
                root.setLevel(logging.WARNING)
                off.append(emit(logger, options.lines))

                root.setLevel(logging.INFO)
                path = tempfile.mkstemp(prefix="bench_logs", suffix=".log")[1]
                file_handler = logging.FileHandler(path)
                file_handler.setFormatter(
                    logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
                )
                root.addHandler(file_handler)
                files.append(emit(logger, options.lines))
                root.removeHandler(file_handler)
                file_handler.close()
                os.remove(path)

                began = time.perf_counter()
                with capture_run_logs(db.engine, run_id, app.config) as buffer:
                    job_threads.append(emit(logger, options.lines))
                captures.append(time.perf_counter() - began)
                stored = db.session.query(RunLog).filter_by(run_id=run_id).count()
                assert stored == options.lines, (stored, buffer.dropped)
                db.session.query(RunLog).delete()
                db.session.commit()
            off_s, file_s, capture_s, job_s = (
                statistics.median(off),
                statistics.median(files),
                statistics.median(captures),
                statistics.median(job_threads),
            )
            db.session.remove()

    def lps(seconds):
        return options.lines / seconds

    overhead = (capture_s - file_s) / file_s * 100
    print(f"database: {backend}; python {sys.version.split()[0]}")
    print(
        f"{options.lines} INFO lines emitted by one job thread, median of "
        f"{options.repeat} runs of each mode; capture writes batches of at least "
        f"{app.config['JOBS_LOGS_FLUSH_RECORDS']} lines and all lines are stored "
        f"when the run ends (that wait included); on PostgreSQL into "
        + (
            "one table"
            if options.one_table
            else "the current hour's partition"
            + (" with the trigram index" if options.index_today else "")
        )
    )
    print(f"{'mode':<28}{'seconds':>10}{'lines/s':>12}{'added per line':>16}")
    for name, seconds in (
        ("logging off", off_s),
        ("file (FileHandler)", file_s),
        ("capture (jobs_run_log)", capture_s),
        ("  of which the job thread", job_s),
    ):
        added = (seconds - off_s) / options.lines * 1e6
        print(f"{name:<28}{seconds:>10.3f}{lps(seconds):>12.0f}{added:>13.1f} us")
    print(f"capture adds {overhead:+.1f}% to the run compared with file logging")
    print(
        f"lines={options.lines} capture_lps={lps(capture_s):.0f} "
        f"file_lps={lps(file_s):.0f} job_thread_lps={lps(job_s):.0f} "
        f"overhead_pct={overhead:.1f}"
    )


if __name__ == "__main__":
    main()
