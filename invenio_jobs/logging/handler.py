# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The logging handler that attaches log records to the run that emitted them.

One handler sits on the root logger of a worker process. A record belongs to
the run of the thread (or coroutine) that emitted it, found through a context
variable; a record of a thread the job started itself belongs to the run when
it is the only run of the process (the prefork and solo pools run one task
per process; with a thread pool, wrap the target with
``contextvars.copy_context().run``).

A Celery task that a run sent (with the job context in its headers) logs
into the run's log too: :func:`join_run_logs` binds it to a buffer of the
run that the worker process keeps for the tasks of that run, so that a run
of ten thousand small tasks does not start ten thousand writer threads.

Records are buffered and written in batches through a connection of their
own, so that logging does not slow the job and a rollback of the job's work
does not drop its log. Logging never raises into the job.
"""

import atexit
import io
import json
import logging
import re
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import has_app_context

from ..counters import add_counts
from ..lifecycle import side_connection
from ..models import RunLog
from .jobs import EMPTY_JOB_CTX, job_context

_COPY_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""}
)
"""What COPY's text format needs escaped in a value (NUL cannot be stored)."""

_NEEDS_ESCAPE = re.compile("[\\\\\t\n\r\x00]")

_capture: ContextVar["RunLogBuffer | None"] = ContextVar(
    "invenio_jobs_log_capture", default=None
)
_active: dict = {}
_active_lock = threading.Lock()

_CONTEXT_CACHE_SIZE = 10_000
"""Distinct line contexts a buffer remembers (call sites times tasks)."""

SHARED_IDLE_SECONDS = 60.0
"""A run's buffer shared by the tasks it sent is closed after this idle time."""

SHARED_MAX_BUFFERS = 16
"""Most shared buffers a worker process keeps open at once."""


class RunLogBuffer:
    """The pending log lines of one run, written in batches.

    ``add`` keeps a tuple per record, the least work the job's thread can
    do. A writer thread of the buffer writes the batches, so that the job
    does not wait for the database: with PostgreSQL's COPY when the driver is
    psycopg2, with a multi-row INSERT elsewhere. On SQLite, which has one
    writer, batches are written by the job's thread through its session.
    Lines store what is their own (module, function, line, thread, and the
    identity, task and parent task of the job context where known); the
    run's context (run, job) is added when they are read.
    """

    def __init__(self, engine, run_id, flush_records, flush_seconds, limit):
        """Bind to a run and start the writer thread (except on SQLite)."""
        self.engine = engine
        self.run_id = run_id
        self.flush_records = flush_records
        self.flush_seconds = flush_seconds
        self.limit = limit
        self.stored = 0
        self.dropped = 0
        self._rows = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._copy = engine.dialect.name == "postgresql" and (
            engine.dialect.driver == "psycopg2"
        )
        self._copy_run_id = str(run_id)
        self._contexts = {}
        self._copy_second = (None, "")
        self._copy_heads = {}
        self._last_created = 0.0
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self.last_used = time.monotonic()
        self._writer = None
        if engine.dialect.name != "sqlite":
            self._writer = threading.Thread(
                target=self._write_loop, name=f"run-log-{run_id}", daemon=True
            )
            self._writer.start()

    def _write_loop(self):
        """Write batches when one is full, or every ``flush_seconds``."""
        while True:
            with self._lock:
                if not self._closed and len(self._rows) < self.flush_records:
                    self._wake.wait(self.flush_seconds)
                if self._closed:
                    return
            self.flush()

    def close(self):
        """Stop the writer thread and write what is left."""
        with self._lock:
            self._closed = True
            self._wake.notify()
        if self._writer is not None:
            self._writer.join()
        self.flush(final=True)

    def flush_soon(self):
        """Have what is pending written now, without waiting for it.

        The writer thread is woken; without one (SQLite) it is written here.
        """
        if self._writer is None:
            self.flush()
            return
        with self._lock:
            if self._rows:
                self._wake.notify()

    def add(self, record: logging.LogRecord, message: str):
        """Queue one record; the writer thread (or a full batch) writes it.

        Lines are numbered in the order they arrive here; a record created a
        few microseconds earlier by another thread of the job, but arriving
        later, takes the time of the line before it, so that the log's order
        by id and its order by time are the same.
        """
        with self._lock:
            if self.stored + len(self._rows) >= self.limit:
                self.dropped += 1
                return
            created = max(record.created, self._last_created)
            self._last_created = created
            self._rows.append(
                self._row(
                    created,
                    record.levelname,
                    record.name,
                    message,
                    _context_key(record),
                )
            )
            pending = len(self._rows)
            if self._writer is not None:
                if pending >= self.flush_records:
                    self._wake.notify()
                # Far behind (a slow database): the job helps, and slows down.
                due = pending >= 20 * self.flush_records
            else:
                due = pending >= self.flush_records or (
                    time.monotonic() - self._last_flush >= self.flush_seconds
                )
        if due:
            self.flush()

    def _line_context(self, key):
        """A line's context (dict, COPY text), made once per call site and task."""
        known = self._contexts.get(key)
        if known is None:
            if len(self._contexts) >= _CONTEXT_CACHE_SIZE:
                self._contexts.clear()
            value = _context_of(key)
            text = json.dumps(value).translate(_COPY_ESCAPES) if value else "\\N"
            known = self._contexts[key] = (value, text)
        return known

    def _row(self, created, level, name, message, context_key):
        """A pending line: COPY text made now, or the values for an INSERT.

        Making the COPY line in the emitting thread costs it about a
        microsecond, and leaves the writer thread nothing to do but wait for
        the database, without holding the interpreter lock.
        """
        value, context = self._line_context(context_key)
        if not self._copy:
            return (created, level, name, message, value)
        whole = int(created)
        second, prefix = self._copy_second
        if whole != second:
            prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole))
            self._copy_second = (whole, prefix)
        head = self._copy_heads.get((level, name))
        if head is None:
            head = f"{level[:10]}\t{name[:255].translate(_COPY_ESCAPES)}\t"
            self._copy_heads[(level, name)] = head
        if _NEEDS_ESCAPE.search(message):
            message = message.translate(_COPY_ESCAPES)
        return (
            f"{self._copy_run_id}\t{prefix}.{int((created - whole) * 1e6):06d}+00\t"
            f"{head}{message}\t{context}\n"
        )

    def _dicts(self, rows):
        return [
            {
                "run_id": self.run_id,
                "timestamp": datetime.fromtimestamp(created, timezone.utc),
                "level": level[:10],
                "logger": name[:255],
                "message": message,
                "context": context,
            }
            for created, level, name, message, context in rows
        ]

    def _copy_rows(self, conn, rows):
        """Write a batch of COPY lines in one round trip."""
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.copy_expert(
                "COPY jobs_run_log (run_id, timestamp, level, logger, message, "
                "context) FROM STDIN",
                io.StringIO("".join(rows)),
            )
        finally:
            cursor.close()

    def _write(self, rows, commit):
        if self.engine.dialect.name == "sqlite" and has_app_context():
            # SQLite has one writer: go through the session's connection.
            with side_connection(commit=commit) as conn:
                conn.execute(sa.insert(RunLog), self._dicts(rows))
            return
        with self.engine.begin() as conn:
            if self._copy:
                self._copy_rows(conn, rows)
            else:
                conn.execute(sa.insert(RunLog), self._dicts(rows))

    def flush(self, final: bool = False):
        """Write what is pending, in order; on failure keep it for the next try.

        One flush at a time (the writer thread, or the job's thread when far
        behind), so that batches reach the table in the order of their lines.
        """
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                dropped = self.dropped if final else 0
                if final and self.dropped:
                    self._last_created = max(time.time(), self._last_created)
                    rows.append(
                        self._row(
                            self._last_created,
                            "WARNING",
                            "invenio_jobs",
                            f"{self.dropped} more log lines were dropped: a run "
                            f"keeps at most {self.limit} (JOBS_LOGS_MAX_PER_RUN).",
                            None,
                        )
                    )
                    self.dropped = 0
                self._last_flush = time.monotonic()
            if not rows:
                return
            try:
                self._write(rows, commit=final)
            except Exception:  # noqa: BLE001 -- retried at the next flush
                with self._lock:
                    self._rows[:0] = rows
                return
            with self._lock:
                self.stored += len(rows)
            add_counts(
                self.engine,
                final,
                log_lines_written=len(rows),
                log_lines_dropped=dropped,
            )


class RunLogHandler(logging.Handler):
    """Root handler that hands each record to the buffer of its run."""

    def __init__(self, level=logging.INFO):
        """Format the message with its exception text, nothing else."""
        super().__init__(level)
        self.setFormatter(logging.Formatter("%(message)s"))

    def handle(self, record):
        """Emit without the handler-wide lock: each run's buffer has its own."""
        if record.levelno >= self.level and self.filter(record):
            self.emit(record)
            return True
        return False

    def emit(self, record):
        """Attach the record to its run, if it has one."""
        try:
            buffer = _capture.get()
            if buffer is None:
                with _active_lock:
                    if len(_active) != 1:
                        return
                    (buffer,) = _active.values()
            if record.exc_info or record.exc_text or record.stack_info:
                message = self.format(record)
            else:
                message = record.getMessage()
            buffer.add(record, message)
        except Exception:  # noqa: BLE001 -- logging never raises into the job
            pass

    def handleError(self, record):
        """Stay silent: a log line is never worth failing a job."""


_handler: RunLogHandler | None = None


def install_handler(level) -> RunLogHandler:
    """Put the capture handler on the root logger, once per process.

    When the root logger is less verbose than ``level`` (a worker started
    with ``-l WARNING``), it is lowered so that the records reach the
    handler, and the handlers already there keep their previous threshold:
    the console shows what it showed before.
    """
    global _handler
    level = logging._checkLevel(level) if isinstance(level, str) else level
    root = logging.getLogger()
    if _handler is None:
        _handler = RunLogHandler(level)
        root.addHandler(_handler)
    _handler.setLevel(level)
    if root.level > level or root.level == logging.NOTSET:
        previous = root.level or logging.WARNING
        for handler in root.handlers:
            if handler is not _handler and handler.level < previous:
                handler.setLevel(previous)
        root.setLevel(level)
    return _handler


@contextmanager
def capture_run_logs(engine, run_id, config):
    """Capture the logs of the block into the run's log."""
    install_handler(config["JOBS_LOGGING_LEVEL"])
    buffer = RunLogBuffer(
        engine,
        run_id,
        flush_records=config["JOBS_LOGS_FLUSH_RECORDS"],
        flush_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        limit=config["JOBS_LOGS_MAX_PER_RUN"],
    )
    token = _capture.set(buffer)
    key = object()
    with _active_lock:
        _active[key] = buffer
    try:
        yield buffer
    finally:
        with _active_lock:
            _active.pop(key, None)
        _capture.reset(token)
        buffer.close()


def _context_key(record: logging.LogRecord) -> tuple:
    """What makes a line's own context: its call site, thread and task."""
    context = job_context.get()
    task = None
    if context is not EMPTY_JOB_CTX and isinstance(context, dict):
        task = (
            context.get("identity_id"),
            context.get("task_id"),
            context.get("parent_task_id"),
        )
    return (record.threadName, record.module, record.funcName, record.lineno, task)


def _context_of(key) -> dict | None:
    """The context a line stores, as InvenioRDM's log entries carry it."""
    if key is None:
        return None
    thread, module, function, line, task = key
    value = {"module": module, "function": function, "line": line}
    if thread not in ("MainThread", None):
        value["thread"] = thread
    if task is not None:
        for name, item in zip(("identity_id", "task_id", "parent_task_id"), task):
            if item is not None:
                value[name] = str(item)
    return value


# -- tasks that a run sent ---------------------------------------------------------
_shared: dict = {}
_shared_lock = threading.Lock()


def join_run_logs(engine, run_id, config):
    """Capture the logs of the calling task into a run's log, until :func:`leave_run_logs`.

    For Celery tasks that a run sent: the tasks of one run in one worker
    process share a buffer, kept open between them and closed after
    ``SHARED_IDLE_SECONDS`` without use. Returns a handle for
    :func:`leave_run_logs`.
    """
    install_handler(config["JOBS_LOGGING_LEVEL"])
    stale = []
    now = time.monotonic()
    with _shared_lock:
        buffer = _shared.get(run_id)
        if buffer is None:
            buffer = _shared[run_id] = RunLogBuffer(
                engine,
                run_id,
                flush_records=config["JOBS_LOGS_FLUSH_RECORDS"],
                flush_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
                limit=config["JOBS_LOGS_MAX_PER_RUN"],
            )
        buffer.last_used = now
        by_age = sorted(_shared.items(), key=lambda item: item[1].last_used)
        for key, other in by_age:
            idle = now - other.last_used > SHARED_IDLE_SECONDS
            if other is not buffer and (idle or len(_shared) > SHARED_MAX_BUFFERS):
                stale.append(_shared.pop(key))
    for other in stale:
        other.close()
    token = _capture.set(buffer)
    key = object()
    with _active_lock:
        _active[key] = buffer
    return token, key, buffer


def leave_run_logs(handle):
    """Stop capturing into the run's log; what the task logged is written soon."""
    token, key, buffer = handle
    with _active_lock:
        _active.pop(key, None)
    try:
        _capture.reset(token)
    except ValueError:  # reset from another context: leave nothing behind
        _capture.set(None)
    buffer.last_used = time.monotonic()
    buffer.flush_soon()


def close_shared_buffers():
    """Write and close every buffer kept for the tasks of runs (process exit)."""
    with _shared_lock:
        buffers = list(_shared.values())
        _shared.clear()
    for buffer in buffers:
        buffer.close()


atexit.register(close_shared_buffers)
