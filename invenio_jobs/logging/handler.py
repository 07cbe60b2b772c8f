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
run that the worker process keeps for the tasks of that run.

The records go to the run's buffer (``buffer``), whose writer (``writer``)
stores them; what a process does at fork and exit is in ``process``.
"""

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from ..pulse import PROCESS_PULSE, Periodic
from .buffer import RunLogBuffer
from .jobs import job_context
from .writer import writer_for, writer_thread_ident

SHARED_IDLE_SECONDS = 60.0
"""A run's buffer shared by the tasks it sent is closed after this idle time."""

SHARED_MAX_BUFFERS = 16
"""Most shared buffers a worker process keeps open at once."""

_FROZEN_TYPES = frozenset(
    {str, int, float, bool, type(None), bytes, UUID, Decimal}
    | {datetime, date, timedelta}
)
"""Argument types whose value cannot change after the call."""

_capture: ContextVar["RunLogBuffer | None"] = ContextVar(
    "invenio_jobs_log_capture", default=None
)
_active: dict = {}
_active_lock = threading.Lock()
_only: "RunLogBuffer | None" = None
"""The buffer of the process's only run, for threads without the capture."""

_shared: dict = {}
_shared_lock = threading.Lock()
_tickers: dict = {}
"""The pulse member that has each shared buffer written on time."""


def _frozen(args) -> bool:
    """Whether a record's arguments are values that cannot change after the call."""
    if not args:
        return True
    if type(args) is not tuple:  # a mapping
        return False
    for arg in args:
        kind = type(arg)
        if kind not in _FROZEN_TYPES and not (kind is tuple and _frozen(arg)):
            return False
    return True


class RunLogHandler(logging.Handler):
    """Root handler that hands each record to the buffer of its run."""

    def __init__(self, level=logging.INFO):
        """Format the message with its exception text, nothing else."""
        super().__init__(level)
        self.setFormatter(logging.Formatter("%(message)s"))

    def handle(self, record):
        """Emit without the handler-wide lock: the queues need none."""
        if record.levelno >= self.level and (not self.filters or self.filter(record)):
            self.emit(record)
            return True
        return False

    def emit(self, record):
        """Queue the record for its run, if it has one."""
        try:
            buffer = _capture.get()
            if buffer is None:
                buffer = _only
                if buffer is None or threading.get_ident() == writer_thread_ident():
                    return
            if record.exc_info or record.exc_text or record.stack_info:
                message = self.format(record)
            elif type(record.msg) is str and _frozen(record.args):
                message = None  # formatted by the writer
            else:
                # Formatted now: an argument the job changes after the call
                # (a list, a dict, an object) must not change the line.
                message = record.getMessage()
            buffer.add(record, job_context.get(), message)
        except Exception:  # noqa: BLE001 -- logging never raises into the job
            pass

    def handleError(self, record):
        """Stay silent: a log line is never worth failing a job."""


class _AsTheHostSawIt(logging.Filter):
    """Shows a handler of the host only the records it saw before the capture.

    To reach the run's log, records of a run's level must exist even where
    the host's root logger is less verbose; the root logger is lowered for
    that, and this filter keeps the host's own handlers (whose thresholds
    stay as the host set them) from showing more than before: a record
    below the host's root level passes only if its logger was made more
    verbose by the host itself.
    """

    def __init__(self, host_level: int):
        """``host_level``: the root logger's level before it was lowered."""
        super().__init__()
        self.host_level = host_level

    def filter(self, record) -> bool:
        """Whether the handler would have seen ``record`` without the capture."""
        if record.levelno >= self.host_level:
            return True
        level = _own_level(logging.Logger.manager.loggerDict.get(record.name))
        return level is not None and record.levelno >= level


def _own_level(logger) -> int | None:
    """The level a logger has from itself or an ancestor below the root, if any."""
    while isinstance(logger, logging.Logger) and logger is not logging.root:
        if logger.level:
            return logger.level
        logger = logger.parent
    return None


def _handlers_the_root_decides():
    """The handlers that show records whose level the root logger decides.

    Those of the root, and those of every logger that has no level of its
    own, nor an ancestor with one.
    """
    loggers = [logging.root, *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        if isinstance(logger, logging.Logger) and _own_level(logger) is None:
            yield from logger.handlers


_handler: RunLogHandler | None = None


def install_handler(level) -> RunLogHandler:
    """Put the capture handler on the root logger, once per process.

    When the root logger is less verbose than ``level`` (a worker started
    with ``-l WARNING``), it is lowered so that the records reach the
    handler; the handlers already there (on the root, or on loggers that
    take their level from it) keep their thresholds and are given a filter
    that shows them what they showed before.
    """
    global _handler
    level = logging._checkLevel(level) if isinstance(level, str) else level
    root = logging.getLogger()
    if _handler is None:
        _handler = RunLogHandler(level)
        root.addHandler(_handler)
    _handler.setLevel(level)
    if root.level > level:
        host_level = root.level
        for handler in set(_handlers_the_root_decides()):
            if handler is _handler or handler.level >= host_level:
                continue
            if not any(isinstance(f, _AsTheHostSawIt) for f in handler.filters):
                handler.addFilter(_AsTheHostSawIt(host_level))
        root.setLevel(level)
    return _handler


def _new_buffer(engine, run_id, config) -> RunLogBuffer:
    buffer = RunLogBuffer(
        engine,
        run_id,
        flush_records=config["JOBS_LOGS_FLUSH_RECORDS"],
        flush_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        limit=config["JOBS_LOGS_MAX_PER_RUN"],
        wait_seconds=config.get("JOBS_OUTCOME_WRITE_SECONDS", 90.0),
    )
    return buffer.serve_with(writer_for(buffer))


def _track(key, buffer):
    """Add (or, with None, remove) an open capture; keep the only one at hand."""
    global _only
    with _active_lock:
        if buffer is None:
            _active.pop(key, None)
        else:
            _active[key] = buffer
        _only = next(iter(_active.values())) if len(_active) == 1 else None


@contextmanager
def capture_run_logs(engine, run_id, config):
    """Capture the logs of the block into the run's log; all are stored at its end."""
    install_handler(config["JOBS_LOGGING_LEVEL"])
    buffer = _new_buffer(engine, run_id, config)
    token = _capture.set(buffer)
    key = object()
    _track(key, buffer)
    try:
        yield buffer
    finally:
        _track(key, None)
        _capture.reset(token)
        buffer.close()


# -- tasks that a run sent ---------------------------------------------------------
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
            buffer = _shared[run_id] = _open_shared(engine, run_id, config)
        buffer.last_used = now
        by_age = sorted(_shared.items(), key=lambda item: item[1].last_used)
        for key, other in by_age:
            idle = now - other.last_used > SHARED_IDLE_SECONDS
            if other is not buffer and (idle or len(_shared) > SHARED_MAX_BUFFERS):
                stale.append(_shared.pop(key))
    for other in stale:
        _close_shared(other)
    token = _capture.set(buffer)
    key = object()
    _track(key, buffer)
    return token, key, buffer


def _open_shared(engine, run_id, config) -> RunLogBuffer:
    """A buffer for the tasks of a run, written every ``flush_seconds`` by the pulse.

    The buffer of a run itself is flushed by the run's context; the tasks
    the run sent have none.
    """
    buffer = _new_buffer(engine, run_id, config)
    ticker = _tickers[buffer] = Periodic(buffer.flush_seconds, buffer.flush)
    PROCESS_PULSE.join(ticker)
    return buffer


def _close_shared(buffer):
    """Take a shared buffer off the pulse, and close it."""
    ticker = _tickers.pop(buffer, None)
    if ticker is not None:
        PROCESS_PULSE.leave(ticker)
    buffer.close()


def leave_run_logs(handle):
    """Stop capturing into the run's log; what the task logged is written soon."""
    token, key, buffer = handle
    _track(key, None)
    try:
        _capture.reset(token)
    except ValueError:  # reset from another context: leave nothing behind
        _capture.set(None)
    buffer.last_used = time.monotonic()
    buffer.flush()


def close_shared_buffers():
    """Write and close every buffer kept for the tasks of runs (process exit)."""
    with _shared_lock:
        buffers = list(_shared.values())
        _shared.clear()
    for buffer in buffers:
        _close_shared(buffer)


def forget_parent_captures():
    """In a forked child: the parent's captures and shared buffers are not ours."""
    global _active_lock, _shared_lock, _only
    _active_lock = threading.Lock()
    _shared_lock = threading.Lock()
    _active.clear()
    _shared.clear()
    _tickers.clear()
    _only = None
