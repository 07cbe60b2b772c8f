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

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import has_app_context

from ..models import RunLog
from ..runtime import side_connection

_capture: ContextVar["RunLogBuffer | None"] = ContextVar(
    "invenio_jobs_log_capture", default=None
)
_active: dict = {}
_active_lock = threading.Lock()


class RunLogBuffer:
    """The pending log lines of one run, written in batches."""

    def __init__(self, engine, run_id, context, flush_records, flush_seconds, limit):
        """Bind to a run; ``context`` is stored with every line."""
        self.engine = engine
        self.run_id = run_id
        self.context = context
        self.flush_records = flush_records
        self.flush_seconds = flush_seconds
        self.limit = limit
        self.stored = 0
        self.dropped = 0
        self._rows = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def add(self, record: logging.LogRecord, message: str):
        """Queue one record; flush when the batch is full or old enough."""
        with self._lock:
            if self.stored + len(self._rows) >= self.limit:
                self.dropped += 1
                return
            context = dict(self.context)
            if record.threadName != "MainThread":
                context["thread"] = record.threadName
            self._rows.append(
                {
                    "run_id": self.run_id,
                    "timestamp": datetime.fromtimestamp(record.created, timezone.utc),
                    "level": record.levelname[:10],
                    "logger": record.name[:255],
                    "message": message,
                    "context": context,
                }
            )
            due = len(self._rows) >= self.flush_records or (
                time.monotonic() - self._last_flush >= self.flush_seconds
            )
        if due:
            self.flush()

    def _write(self, rows, commit):
        if self.engine.dialect.name == "sqlite" and has_app_context():
            # SQLite has one writer: go through the session's connection.
            with side_connection(commit=commit) as conn:
                conn.execute(sa.insert(RunLog), rows)
            return
        with self.engine.begin() as conn:
            conn.execute(sa.insert(RunLog), rows)

    def flush(self, final: bool = False):
        """Write what is pending; on failure keep it for the next try."""
        with self._lock:
            rows, self._rows = self._rows, []
            if final and self.dropped:
                rows.append(
                    {
                        "run_id": self.run_id,
                        "timestamp": datetime.now(timezone.utc),
                        "level": "WARNING",
                        "logger": "invenio_jobs",
                        "message": (
                            f"{self.dropped} more log lines were dropped: a run "
                            f"keeps at most {self.limit} (JOBS_LOGS_MAX_PER_RUN)."
                        ),
                        "context": dict(self.context),
                    }
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

    def emit(self, record):
        """Attach the record to its run, if it has one."""
        try:
            buffer = _capture.get()
            if buffer is None:
                with _active_lock:
                    if len(_active) != 1:
                        return
                    (buffer,) = _active.values()
            buffer.add(record, self.format(record))
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
def capture_run_logs(engine, run_id, context, config):
    """Capture the logs of the block into the run's log."""
    install_handler(config["JOBS_LOGGING_LEVEL"])
    buffer = RunLogBuffer(
        engine,
        run_id,
        context,
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
        buffer.flush(final=True)
