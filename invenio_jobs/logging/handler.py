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

Records are buffered and written in batches through a connection of their
own, so that logging does not slow the job and a rollback of the job's work
does not drop its log. Logging never raises into the job.
"""

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

from ..lifecycle import side_connection
from ..models import RunLog

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


class RunLogBuffer:
    """The pending log lines of one run, written in batches.

    ``add`` keeps a tuple per record, the least work the job's thread can
    do. A writer thread of the buffer writes the batches, so that the job
    does not wait for the database: with PostgreSQL's COPY when the driver is
    psycopg2, with a multi-row INSERT elsewhere. On SQLite, which has one
    writer, batches are written by the job's thread through its session.
    Lines store only what is their own (the thread); the run's context (run,
    job, task, parent run) is added when they are read.
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
        self._copy_contexts = {}
        self._copy_second = (None, "")
        self._copy_heads = {}
        self._last_created = 0.0
        self._wake = threading.Condition(self._lock)
        self._closed = False
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
                    created, record.levelname, record.name, message, record.threadName
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

    def _row(self, created, level, name, message, thread):
        """A pending line: COPY text made now, or the values for an INSERT.

        Making the COPY line in the emitting thread costs it about a
        microsecond, and leaves the writer thread nothing to do but wait for
        the database, without holding the interpreter lock.
        """
        if not self._copy:
            return (created, level, name, message, thread)
        context = self._copy_contexts.get(thread)
        if context is None:
            value = self._context(thread)
            context = json.dumps(value).translate(_COPY_ESCAPES) if value else "\\N"
            self._copy_contexts[thread] = context
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

    @staticmethod
    def _context(thread_name):
        """What a line stores of its own: the thread, when not the main one."""
        if thread_name in ("MainThread", None):
            return None
        return {"thread": thread_name}

    def _dicts(self, rows):
        return [
            {
                "run_id": self.run_id,
                "timestamp": datetime.fromtimestamp(created, timezone.utc),
                "level": level[:10],
                "logger": name[:255],
                "message": message,
                "context": self._context(thread),
            }
            for created, level, name, message, thread in rows
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
                if final and self.dropped:
                    self._last_created = max(time.time(), self._last_created)
                    rows.append(
                        self._row(
                            self._last_created,
                            "WARNING",
                            "invenio_jobs",
                            f"{self.dropped} more log lines were dropped: a run "
                            f"keeps at most {self.limit} (JOBS_LOGS_MAX_PER_RUN).",
                            "MainThread",
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
    with _active_lock:
        _active[run_id] = buffer
    try:
        yield buffer
    finally:
        with _active_lock:
            _active.pop(run_id, None)
        _capture.reset(token)
        buffer.close()
