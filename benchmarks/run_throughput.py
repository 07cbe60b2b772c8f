# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Benchmark of runs per second through a real Celery worker.

Runs are created through the service (``runs_service.create``, as an
administrator, with the permission cache as InvenioRDM ships it) by one or
several processes, and executed by a real ``celery worker`` (prefork, one
process per core by default) on PostgreSQL and Redis. Phases:

ceiling
    N bare no-op Celery tasks through the same worker: what the worker can
    do at best, whatever the job system does around a task.
creation
    N runs created while the worker does not consume its queue: runs
    created per second, and SQL statements per run on the creating side;
    then the worker drains them (runs per second of the worker alone).
end to end
    N runs created while the worker runs them: runs per second from the
    first create to the last run ended, SQL statements per run in the worker.
subtasks
    one run whose task spawns ``--subtasks`` no-op subtasks: seconds from
    its creation to its end, subtasks per second, statements per subtask.

It uses its own database: that of ``SQLALCHEMY_DATABASE_URI`` with
``_bench_throughput`` appended (created and dropped here), and the broker of
``BROKER_URL``. It needs PostgreSQL and Redis.

    python benchmarks/run_throughput.py --runs 2000 --creators 2
"""

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

import sqlalchemy as sa
from common import (
    BENCH_FANOUT_JOB_TYPE,
    BENCH_JOB_TYPE,
    NOOP_TASK,
    bench_admin,
    bench_app,
    bench_database,
    worker_settings,
)
from sqlalchemy import event
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent

QUEUE = "celery"
"""The queue the worker consumes and the runs are sent to."""

POLL_SECONDS = 0.1
"""How often the benchmark reads how many runs have ended."""

STALL_SECONDS = 180
"""A phase fails when nothing more ended for this long."""

ENDED = ("S", "F", "W", "X", "P")
"""Status letters of a run that has ended (InvenioRDM's)."""


# -- the worker ------------------------------------------------------------------
class Worker:
    """The ``celery worker`` subprocess, its stderr kept in a temporary file."""

    def __init__(self, uri: str, broker: str, concurrency: int, cache_prefix: str):
        """Prepare its command line, environment and statistics folder."""
        self.name = f"bench-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.concurrency = concurrency
        self.stats = Path(tempfile.mkdtemp(prefix="bench_worker_stats"))
        self.stderr_path = Path(
            tempfile.mkstemp(prefix="bench_worker", suffix=".log")[1]
        )
        self.args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker_app",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(concurrency),
            "-Q",
            QUEUE,
            "-n",
            self.name,
            "-l",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        self.env = dict(os.environ)
        path = [str(HERE), self.env.get("PYTHONPATH", "")]
        self.env.update(
            PYTHONPATH=os.pathsep.join(path).rstrip(os.pathsep),
            SQLALCHEMY_DATABASE_URI=uri,
            BROKER_URL=broker,
            BENCH_WORKER_STATS=str(self.stats),
            BENCH_CACHE_PREFIX=cache_prefix,
        )
        self.popen = None

    def start(self, control, timeout: float = 120):
        """Start it (in the benchmark folder) and wait until it answers a ping."""
        self._stderr = open(self.stderr_path, "wb")
        self.popen = subprocess.Popen(
            self.args,
            cwd=HERE,
            env=self.env,
            stdout=self._stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if control.ping(destination=[self.name], timeout=1.0):
                return
        raise BenchmarkError(f"the worker did not answer within {timeout} s")

    def check_alive(self):
        """Fail when the worker exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise BenchmarkError(f"the worker exited with code {self.popen.returncode}")

    def stop(self, timeout: float = 30):
        """TERM (a warm shutdown, pool processes write their totals), then KILL."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._stderr.close()

    def log_tail(self, size: int = 6000) -> str:
        """The end of what the worker printed."""
        return self.stderr_path.read_text(errors="replace")[-size:]

    def totals(self) -> dict:
        """Statements and tasks of all its pool processes, and the last task end."""
        summed = {"statements": 0, "tasks": 0, "last_end": 0.0}
        for path in self.stats.glob("*.json"):
            try:
                figures = json.loads(path.read_text())
            except (OSError, ValueError):  # replaced while read: read again later
                continue
            summed["statements"] += figures["statements"]
            summed["tasks"] += figures["tasks"]
            summed["last_end"] = max(summed["last_end"], figures["last_end"] or 0.0)
        return summed

    def settled_totals(self, tasks: int, timeout: float = 30) -> dict:
        """Totals once ``tasks`` tasks are counted and the files stopped changing.

        A pool process writes a change within half a second, so two equal
        reads 0.6 s apart hold everything done before the first one. After
        a phase whose end the database showed, ``tasks`` only needs to be
        one more than before: how many Celery tasks a run or a subtask takes
        is the job system's business.
        """
        deadline = time.monotonic() + timeout
        previous = None
        while time.monotonic() < deadline:
            current = self.totals()
            if current["tasks"] >= tasks and current == previous:
                return current
            previous = current
            time.sleep(0.6)
        raise BenchmarkError(
            f"the worker reported {previous['tasks']} tasks, {tasks} expected"
        )

    def pause(self, control):
        """Stop consuming the queue: what is sent waits in the broker."""
        self._control(control.cancel_consumer, "stop consuming")

    def resume(self, control):
        """Consume the queue again."""
        self._control(control.add_consumer, "consume")

    def _control(self, command, what: str, timeout: float = 15):
        """Send a remote control command; fail unless the worker confirms it."""
        replies = command(QUEUE, destination=[self.name], reply=True, timeout=timeout)
        if not replies:
            raise BenchmarkError(f"the worker did not confirm it would {what} {QUEUE}")

    def remove_files(self):
        """Remove its statistics folder and its output."""
        shutil.rmtree(self.stats, ignore_errors=True)
        self.stderr_path.unlink(missing_ok=True)


class BenchmarkError(Exception):
    """A phase could not be measured; the message says why."""


# -- the creating processes ------------------------------------------------------
def creator(uri, settings, admin_id, job_id, count, ready, go, results):
    """Create ``count`` runs through the service, counting this process's statements.

    Runs in a process of its own (started with ``spawn``): it builds its app,
    loads the administrator's identity and warms up (permission and job
    reads), says it is ready, and creates its runs when told to go.
    """
    try:
        from invenio_access.utils import get_identity
        from invenio_accounts.models import User
        from invenio_db import db

        from invenio_jobs.proxies import current_jobs

        app = bench_app(uri, **settings)
        with app.app_context():
            identity = get_identity(db.session.get(User, admin_id))
            service = current_jobs.runs_service
            service.require_permission(identity, "create")
            current_jobs.jobs_service.get_job(job_id)
            db.session.rollback()
            counter = {"n": 0}

            def count_statement(*args):
                counter["n"] += 1

            event.listen(db.engine, "before_cursor_execute", count_statement)
            ready.put(os.getpid())
            go.wait()
            first = time.time()
            for _ in range(count):
                service.create(identity, job_id, {})
            last = time.time()
            event.remove(db.engine, "before_cursor_execute", count_statement)
        results.put(("done", count, counter["n"], first, last))
    except BaseException:  # noqa: BLE001 -- the parent reports it
        results.put(("error", traceback.format_exc()))
        raise


def create_in_parallel(context, uri, settings, admin_id, job_id, runs, creators):
    """Start the creating processes; return a function that lets them go.

    The processes start and warm up before the clock starts; calling the
    returned function starts them all at once and returns their figures:
    (first create, last create, statements) over all of them.
    """
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    shares = [runs // creators] * creators
    shares[0] += runs - sum(shares)
    processes = [
        context.Process(
            target=creator,
            args=(uri, settings, admin_id, job_id, share, ready, go, results),
            daemon=True,
        )
        for share in shares
    ]
    try:
        for process in processes:
            process.start()
        for _ in processes:
            _wait_ready(ready, results, processes)
    except BaseException:
        _end(processes)
        raise

    def run(while_waiting=None):
        go.set()
        figures = []
        try:
            while len(figures) < len(processes):
                if while_waiting is not None:
                    while_waiting()
                try:
                    message = results.get(timeout=POLL_SECONDS)
                except Exception:  # noqa: BLE001 -- queue.Empty: not yet
                    if any(p.exitcode not in (None, 0) for p in processes):
                        raise BenchmarkError("a creating process died")
                    continue
                if message[0] == "error":
                    raise BenchmarkError(f"a creating process failed:\n{message[1]}")
                figures.append(message)
        finally:
            _end(processes)
        return (
            min(f[3] for f in figures),
            max(f[4] for f in figures),
            sum(f[2] for f in figures),
        )

    return run


def _end(processes, timeout: float = 10):
    """Wait for the creating processes to exit; end those that do not."""
    for process in processes:
        process.join(timeout)
        if process.is_alive():
            process.terminate()
            process.join(timeout)


def _wait_ready(ready, results, processes, timeout: float = 180):
    """Wait for one creating process to be ready; fail with its error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return ready.get(timeout=0.5)
        except Exception:  # noqa: BLE001 -- queue.Empty: not yet
            pass
        if not results.empty():
            message = results.get()
            raise BenchmarkError(f"a creating process failed:\n{message[-1]}")
        if any(p.exitcode not in (None, 0) for p in processes):
            raise BenchmarkError("a creating process died while starting")
    raise BenchmarkError(f"a creating process was not ready after {timeout} s")


# -- reading the database --------------------------------------------------------
def ended_count(conn, job_id) -> int:
    """How many runs of a job have ended: one indexed count."""
    return conn.execute(
        sa.text(
            "SELECT count(*) FROM jobs_run WHERE job_id = :job AND status IN :ended"
        ).bindparams(sa.bindparam("ended", expanding=True)),
        {"job": job_id, "ended": list(ENDED)},
    ).scalar_one()


def statuses(conn, job_id) -> dict:
    """How many runs of a job are in each status."""
    rows = conn.execute(
        sa.text(
            "SELECT status, count(*) FROM jobs_run WHERE job_id = :job GROUP BY status"
        ),
        {"job": job_id},
    )
    return {status: count for status, count in rows}


class EndWatcher:
    """Polls how many runs of a job have ended; remembers when it saw them all."""

    def __init__(self, conn, job_id, expected: int, worker: Worker):
        """Watch ``expected`` runs of ``job_id``."""
        self.conn, self.job_id, self.expected, self.worker = (
            conn,
            job_id,
            expected,
            worker,
        )
        self.ended = 0
        self.last_progress = time.monotonic()
        self.done_at = None
        self._next = 0.0

    def poll(self):
        """Read the count if due; fail when nothing ended for too long."""
        now = time.monotonic()
        if self.done_at is not None or now < self._next:
            return
        self._next = now + POLL_SECONDS
        self.worker.check_alive()
        ended = ended_count(self.conn, self.job_id)
        if ended >= self.expected:
            self.done_at = time.time()
        if ended != self.ended:
            self.ended, self.last_progress = ended, now
        elif now - self.last_progress > STALL_SECONDS:
            raise BenchmarkError(
                f"{self.ended} of {self.expected} runs ended, none more in "
                f"{STALL_SECONDS} s: {statuses(self.conn, self.job_id)}"
            )

    def wait(self) -> float:
        """Poll until all have ended; the time (epoch seconds) they had."""
        while self.done_at is None:
            self.poll()
            time.sleep(POLL_SECONDS / 5)
        return self.done_at


def require_success(conn, job_id, expected: int, what: str):
    """All runs of the job ended SUCCESS, or say how they ended."""
    found = statuses(conn, job_id)
    if found.get("S", 0) != expected:
        raise BenchmarkError(f"{what}: not all runs ended SUCCESS: {found}")


# -- the phases ------------------------------------------------------------------
def ceiling(celery, worker, count: int) -> float:
    """Bare no-op tasks per second through the worker.

    The tasks wait in the broker while the worker does not consume; the
    clock starts when it consumes again and stops at the last task's end,
    as the pool processes recorded it: nothing polls the worker meanwhile.
    """
    noop = celery.tasks[NOOP_TASK]
    worker.pause(celery.control)
    before = worker.settled_totals(0)
    for _ in range(count):
        noop.apply_async(queue=QUEUE)
    began = time.time()
    worker.resume(celery.control)
    after = worker.settled_totals(before["tasks"] + count, timeout=STALL_SECONDS)
    return count / (after["last_end"] - began)


def creation(context, conn, celery, worker, spec, job_id, runs, creators):
    """Create runs while the worker does not consume, then let it drain them."""
    worker.pause(celery.control)
    start = create_in_parallel(context, *spec, job_id, runs, creators)
    first, last, statements = start()
    before = worker.settled_totals(0)
    began = time.time()
    worker.resume(celery.control)
    ended = EndWatcher(conn, job_id, runs, worker).wait()
    require_success(conn, job_id, runs, "creation")
    after = worker.settled_totals(before["tasks"] + 1)
    return {
        "create_per_s": runs / (last - first),
        "sql_create": statements / runs,
        "drain_per_s": runs / (ended - began),
        "sql_worker": (after["statements"] - before["statements"]) / runs,
    }


def end_to_end(context, conn, worker, spec, job_id, runs, creators):
    """Create runs while the worker runs them; time from first create to last end."""
    before = worker.settled_totals(0)
    start = create_in_parallel(context, *spec, job_id, runs, creators)
    watcher = EndWatcher(conn, job_id, runs, worker)
    first, last, statements = start(while_waiting=watcher.poll)
    ended = watcher.wait()
    require_success(conn, job_id, runs, "end to end")
    after = worker.settled_totals(before["tasks"] + 1)
    return {
        "runs_per_s": runs / (ended - first),
        "seconds": ended - first,
        "create_per_s": runs / (last - first),
        "sql_create": statements / runs,
        "sql_worker": (after["statements"] - before["statements"]) / runs,
    }


def fan_out(app, conn, worker, admin_id, job_id, count: int):
    """One run spawning ``count`` subtasks: from its creation to its end."""
    from invenio_access.utils import get_identity
    from invenio_accounts.models import User
    from invenio_db import db

    from invenio_jobs.proxies import current_jobs

    before = worker.settled_totals(0)
    with app.app_context():
        identity = get_identity(db.session.get(User, admin_id))
        began = time.time()
        run_id = current_jobs.runs_service.create(identity, job_id, {}).id
    query = sa.text(
        "SELECT status, completed_subtasks, failed_subtasks, total_subtasks "
        "FROM jobs_run WHERE id = :id"
    )
    last_change, seen = time.monotonic(), None
    while True:
        worker.check_alive()
        row = conn.execute(query, {"id": run_id}).one()
        if row.status in ENDED:
            ended = time.time()
            break
        if row != seen:
            last_change, seen = time.monotonic(), row
        elif time.monotonic() - last_change > STALL_SECONDS:
            raise BenchmarkError(f"subtasks: the run is stuck at {dict(row._mapping)}")
        time.sleep(POLL_SECONDS)
    if row.status != "S" or row.completed_subtasks != count:
        raise BenchmarkError(f"subtasks: the run ended as {dict(row._mapping)}")
    after = worker.settled_totals(before["tasks"] + 1)
    return {
        "seconds": ended - began,
        "subtasks_per_s": count / (ended - began),
        "sql_per_subtask": (after["statements"] - before["statements"]) / max(count, 1),
    }


# -- the whole -------------------------------------------------------------------
def services_or_exit() -> tuple[str, str]:
    """The database and broker URLs; exit 2 unless PostgreSQL and Redis."""
    uri = os.environ.get("SQLALCHEMY_DATABASE_URI", "")
    broker = os.environ.get("BROKER_URL", "")
    missing = []
    if not uri.startswith("postgresql"):
        missing.append("SQLALCHEMY_DATABASE_URI of a PostgreSQL database")
    if not broker.startswith("redis"):
        missing.append("BROKER_URL of a Redis server")
    if missing:
        print(
            f"run_throughput.py needs a real worker's services: "
            f"{' and '.join(missing)}.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return uri, broker


def seed(app, db) -> int:
    """The tables and the administrator; return the administrator's id."""
    with app.app_context():
        db.create_all()
        return bench_admin(app, db).id


def describe(uri, broker, cache_label, options, server_version):
    """How it ran."""
    import invenio_jobs

    print(
        f"database: PostgreSQL {server_version} "
        f"({make_url(uri).render_as_string(hide_password=True)})"
    )
    print(f"broker: {make_url(broker).render_as_string(hide_password=True)}")
    print(f"permission cache (ACCESS_CACHE): {cache_label}")
    print(
        f"python {platform.python_version()}; cores {os.cpu_count()}; "
        f"invenio_jobs from {Path(invenio_jobs.__file__).parent}"
    )
    print(
        f"worker: celery prefork, concurrency {options.concurrency}; "
        f"runs {options.runs}; creating processes {options.creators}; "
        f"subtasks {options.subtasks}; repeats {options.repeat}"
    )


def main(argv=None):
    """Run the phases, print each one's figures and the key=value line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs per phase")
    parser.add_argument(
        "--creators", type=int, default=1, help="processes creating runs"
    )
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count(), help="worker processes"
    )
    parser.add_argument(
        "--subtasks",
        type=int,
        default=10_000,
        help="subtasks of the fan-out run (0 skips it)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="end-to-end rounds; the median counts"
    )
    options = parser.parse_args(argv)
    if options.runs < 1 or options.creators < 1 or options.concurrency < 1:
        parser.error("--runs, --creators and --concurrency must be at least 1")
    base_uri, broker = services_or_exit()

    with bench_database("throughput") as (uri, _):
        try:
            code = measure(uri, broker, options)
        except BenchmarkError as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            code = 1
    return code


def measure(uri, broker, options) -> int:
    """Everything between a fresh database and its drop."""
    from invenio_db import db

    prefix = f"bench-throughput-{uuid.uuid4().hex[:8]}:"
    settings, cache_label = worker_settings(broker, prefix)
    app = bench_app(uri, **settings)
    celery = app.extensions["flask-celeryext"].celery
    bench = Bench(app, celery, (uri, settings, seed(app, db)), options)
    bench.worker = Worker(uri, broker, options.concurrency, prefix)
    engine = sa.create_engine(uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one()
            describe(uri, broker, cache_label, options, version.split()[0])
            bench.worker.start(celery.control)
            figures = bench.run_phases(conn)
    except BenchmarkError:
        print(f"worker output (end):\n{bench.worker.log_tail()}", file=sys.stderr)
        raise
    finally:
        bench.worker.stop()
        bench.worker.remove_files()
        celery.control.purge()
        engine.dispose()
        with app.app_context():
            from invenio_cache import current_cache

            current_cache.clear()
            db.session.remove()
            db.engine.dispose()

    print_table(figures, options)
    print(
        f"runs={options.runs} runs_per_s={figures['runs_per_s']:.1f} "
        f"create_per_s={figures['create_per_s']:.1f} "
        f"sql_create={figures['sql_create']:.2f} "
        f"sql_worker={figures['sql_worker']:.2f} subtasks={options.subtasks} "
        f"subtasks_per_s={figures['subtasks_per_s']:.1f} "
        f"sql_per_subtask={figures['sql_per_subtask']:.2f} "
        f"ceiling_per_s={figures['ceiling_per_s']:.1f}"
    )
    return 0


class Bench:
    """The phases, in order, on one worker; each prints its figures as it ends."""

    def __init__(self, app, celery, spec, options):
        """``spec``: what a creating process needs (URI, settings, admin id)."""
        self.app, self.celery, self.spec, self.options = app, celery, spec, options
        self.context = multiprocessing.get_context("spawn")
        self.worker = None

    def new_job(self, title: str, task: str = BENCH_JOB_TYPE, run_args=None) -> str:
        """A job of its own for one phase, so that its runs are counted apart."""
        from invenio_db import db

        from invenio_jobs.models import Job

        with self.app.app_context():
            job = Job(title=title, task=task, active=True, run_args=run_args or {})
            db.session.add(job)
            db.session.commit()
            return str(job.id)

    def run_phases(self, conn) -> dict:
        """Ceiling, creation, end to end (``--repeat`` rounds), subtasks."""
        options, worker = self.options, self.worker
        runs, creators = options.runs, options.creators
        rate = ceiling(self.celery, worker, runs)
        print(f"ceiling: {runs} bare no-op tasks, {rate:.1f} tasks/s")

        job_id = self.new_job("Bench creation")
        made = creation(
            self.context, conn, self.celery, worker, self.spec, job_id, runs, creators
        )
        print(
            f"creation (worker paused): {made['create_per_s']:.1f} runs/s, "
            f"{made['sql_create']:.2f} statements per run; the worker then "
            f"drained them at {made['drain_per_s']:.1f} runs/s, "
            f"{made['sql_worker']:.2f} statements per run"
        )

        rounds = []
        for number in range(1, options.repeat + 1):
            job_id = self.new_job(f"Bench end to end {number}")
            both = end_to_end(
                self.context, conn, worker, self.spec, job_id, runs, creators
            )
            rounds.append(both)
            print(
                f"end to end #{number}: {runs} runs in {both['seconds']:.1f} s, "
                f"{both['runs_per_s']:.1f} runs/s (created at "
                f"{both['create_per_s']:.1f}/s); worker {both['sql_worker']:.2f} "
                f"statements per run"
            )

        fan = {"seconds": 0.0, "subtasks_per_s": 0.0, "sql_per_subtask": 0.0}
        if options.subtasks:
            count = options.subtasks
            job_id = self.new_job(
                "Bench fan-out", BENCH_FANOUT_JOB_TYPE, {"count": count}
            )
            fan = fan_out(self.app, conn, worker, self.spec[2], job_id, count)
            print(
                f"subtasks: 1 run spawning {count} subtasks ended in "
                f"{fan['seconds']:.1f} s, {fan['subtasks_per_s']:.1f} subtasks/s, "
                f"{fan['sql_per_subtask']:.2f} statements per subtask"
            )
        return {
            "ceiling_per_s": rate,
            "create_per_s": made["create_per_s"],
            "sql_create": made["sql_create"],
            "drain_per_s": made["drain_per_s"],
            "runs_per_s": statistics.median(r["runs_per_s"] for r in rounds),
            "sql_worker": statistics.median(r["sql_worker"] for r in rounds),
            **fan,
        }


def print_table(figures: dict, options):
    """The figures side by side: per second, and SQL statements per item."""
    rows = [
        ("bare no-op Celery tasks (ceiling)", figures["ceiling_per_s"], None),
        ("runs created, worker paused", figures["create_per_s"], "sql_create"),
        ("queued runs drained by the worker", figures["drain_per_s"], None),
        ("runs end to end", figures["runs_per_s"], "sql_worker"),
    ]
    if options.subtasks:
        rows.append(
            ("subtasks of one run", figures["subtasks_per_s"], "sql_per_subtask")
        )
    print(f"{'phase':<36}{'per s':>9}{'SQL each':>10}")
    for name, rate, sql in rows:
        statements = f"{figures[sql]:.2f}" if sql else "-"
        print(f"{name:<36}{rate:>9.1f}{statements:>10}")


if __name__ == "__main__":
    sys.exit(main())
