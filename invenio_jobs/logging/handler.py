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

Logging costs the job as little as possible: its thread only puts the record
on the run's queue. One writer thread per process formats the lines of every
open run and stores them with one COPY per flush, on a connection of its
own, so that a rollback of the job's work does not drop its log. On SQLite,
which has one writer, the job's thread writes its lines in batches through
its session. Logging never raises into the job.
"""

import atexit
import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from flask import has_app_context

from ..counters import LOG_LINES_DROPPED, LOG_LINES_WRITTEN, add_counts
from ..counters import add_statement as counters_statement
from ..database import Outage, is_unreachable
from ..lifecycle import side_connection
from ..models import RunLog
from .jobs import EMPTY_JOB_CTX, job_context

logger = logging.getLogger(__name__)

WRITER_THREAD_NAME = "run-log-writer"
"""Name of the thread that writes the log lines of a process's runs."""

CHUNK_LINES = 2000
"""Lines the writer formats at a time, so that it holds the interpreter lock briefly."""

COPY_READ_SIZE = 1 << 22
"""What COPY asks of a read: more than a chunk, so that a chunk goes in one read."""

BACKLOG_BATCHES = 50
"""A job waits for the writer when its run has this many batches pending."""

SHARED_IDLE_SECONDS = 60.0
"""A run's buffer shared by the tasks it sent is closed after this idle time."""

SHARED_MAX_BUFFERS = 16
"""Most shared buffers a worker process keeps open at once."""

_CONTEXT_CACHE_SIZE = 10_000
"""Distinct line keys remembered (levels, loggers, call sites, tasks)."""

_COPY_SQL = (
    "COPY jobs_run_log (run_id, timestamp, level, logger, message, context) "
    "FROM STDIN"
)
_COPY_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""}
)
"""What COPY's text format needs escaped in a value (NUL cannot be stored)."""

_FROZEN_TYPES = frozenset(
    {str, int, float, bool, type(None), bytes, uuid.UUID, Decimal}
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


class RunLogBuffer:
    """The pending log lines of one run.

    ``add`` puts the record on a queue and nothing else. Lines store what is
    their own (module, function, line, thread, and the identity, task and
    parent task of the job context where known); the run's context (run,
    job) is added when they are read. The writer (or, on SQLite, the job's
    thread) takes records off the queue in order, so a line keeps its place
    by id; a record created a little earlier by another thread of the job
    but queued later takes the time of the line before it, so that the
    log's order by id and its order by time are the same.
    """

    def __init__(
        self, engine, run_id, flush_records, flush_seconds, limit, wait_seconds=90.0
    ):
        """Bind to a run; register with the process's writer (except on SQLite)."""
        self.engine = engine
        self.run_id = run_id
        self.flush_records = max(1, int(flush_records))
        self.flush_seconds = flush_seconds
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.stored = 0
        self.last_used = time.monotonic()
        self._queue = deque()
        self._offered = itertools.count()  # its next() is atomic: exact with threads
        self._retry = []
        self._last_created = 0.0
        self._seen = (EMPTY_JOB_CTX, None)
        self._copy_run_id = str(run_id)
        self._backlog = BACKLOG_BATCHES * self.flush_records
        self._room = threading.Event()
        self._done = threading.Event()
        self._closing = False
        self._failures = 0
        self._inline = engine.dialect.name == "sqlite"
        self._writer = None
        if self._inline:
            self._flush_lock = threading.Lock()
            self._last_flush = time.monotonic()
        else:
            self._writer = _process_writer()
            self._writer.register(self)

    @property
    def dropped(self) -> int:
        """Lines refused so far because the run reached its limit."""
        return max(0, _peek(self._offered) - self.limit)

    @property
    def pending(self) -> int:
        """Lines queued or taken but not stored yet."""
        queued = sum(1 for entry in list(self._queue) if entry[0] is not None)
        return queued + sum(chunk[1] for chunk in list(self._retry))

    def add(self, record, context=EMPTY_JOB_CTX, message=None):
        """Queue a record with the job context of its thread.

        ``message`` is the text when it had to be made at once; otherwise
        the writer formats the message from the record's own. The queue
        keeps plain values, not the record: a backlog of records (an object
        and a dict each) would have the garbage collector walk it again and
        again, which costs the job more than the copy of a few fields.
        """
        if next(self._offered) >= self.limit:
            return
        seen = self._seen
        if seen[0] is not context:
            seen = self._seen = (context, _task_of(context))
        if message is None:
            message, args = record.msg, record.args
        else:
            args = None
        queue = self._queue
        queue.append(
            (
                record.created,
                message,
                args,
                (
                    record.levelname,
                    record.name,
                    record.threadName,
                    record.module,
                    record.funcName,
                    record.lineno,
                    seen[1],
                ),
            )
        )
        if self._inline:
            if len(queue) >= self.flush_records or (
                time.monotonic() - self._last_flush >= self.flush_seconds
            ):
                self._write_inline()
        elif len(queue) >= self.flush_records:
            self._batch_ready(len(queue))

    def _batch_ready(self, pending):
        """Wake the writer; far behind (a slow database), wait for it a while."""
        writer = self._writer
        if pending <= self._backlog:
            if not writer.wake.is_set():
                writer.wake.set()
            return
        self._room.clear()
        writer.wake.set()
        if len(self._queue) > self._backlog and not self._room.wait(
            max(1.0, 5 * self.flush_seconds)
        ):
            # The writer cannot keep up (the database is away): the job goes
            # on, and waits again only when the backlog has doubled. The
            # run's limit bounds it.
            self._backlog *= 2

    def flush(self, final: bool = False):
        """Have what is pending written soon; cheap, called by the run's heartbeat.

        The writer is woken; on SQLite the lines are written here. ``final``
        is for :meth:`close`.
        """
        if self._inline:
            self._write_inline(note=self.dropped if final else None)
        elif self._queue:
            self._writer.wake.set()

    flush_soon = flush

    def close(self):
        """Return once every line is stored, with a last one for the dropped lines.

        While the database is unreachable the wait is bounded by
        ``wait_seconds``; the writer keeps the lines and stores them when
        it is back.
        """
        if self._closing:
            return
        dropped = self.dropped
        if self._inline:
            self._closing = True
            self.flush(final=True)
            return
        if not (_peek(self._offered) or self._retry):
            self._closing = True
            self._writer.unregister(self)
            return
        self._queue.append(_closing_note(dropped))
        self._closing = True
        self._writer.wake.set()
        if not self._done.wait(self.wait_seconds):
            logger.warning(
                "Run %s: %d log lines are not stored after %g s; they will be "
                "when the database answers.",
                self.run_id,
                self.pending,
                self.wait_seconds,
            )

    # -- SQLite: the job's thread writes ------------------------------------------
    def _write_inline(self, note=None):
        """Write the queue in the calling thread; what fails is kept for the next try."""
        with self._flush_lock:
            queue = self._queue
            entries = [queue.popleft() for _ in range(len(queue))]
            if note is not None:
                entries.append(_closing_note(note))
            self._last_flush = time.monotonic()
            if entries:
                self._retry.append(_format(self, entries, copy=False))
            rows = [row for chunk in self._retry for row in chunk[0]]
            dropped = sum(chunk[2] for chunk in self._retry)
            final = note is not None
            # Batches written through the session are committed at the end.
            session = has_app_context()
            if not rows and not dropped and not (final and session and self.stored):
                return
            try:
                if session:
                    with side_connection(commit=final) as conn:
                        if rows:
                            conn.execute(sa.insert(RunLog), rows)
                else:
                    with self.engine.begin() as conn:
                        if rows:
                            conn.execute(sa.insert(RunLog), rows)
            except Exception:  # noqa: BLE001 -- retried at the next flush
                return
            self._retry = []
            self.stored += len(rows)
        add_counts(
            self.engine,
            final,
            **{LOG_LINES_WRITTEN: len(rows), LOG_LINES_DROPPED: dropped},
        )


def _peek(counter) -> int:
    """The next value of an ``itertools.count``, without taking it."""
    return int(repr(counter)[6:-1])


# -- lines ------------------------------------------------------------------------
_known: dict = {}
"""Per line key (level, logger, call site, task): its context and COPY pieces."""

_NOTE_KEY = ("WARNING", "invenio_jobs", None, None, None, None, None)


def _format(buffer, entries, copy):
    """A chunk ``(payload, lines, dropped)`` of a run's queued entries.

    The payload is COPY text, or rows for an INSERT. An entry without a
    time is the closing note: it carries the number of dropped lines.
    """
    out = []
    dropped = 0
    last = buffer._last_created
    second, stamp = None, ""
    for created, message, args, key in entries:
        if created is None:
            if not message:
                continue
            dropped += message
            created = max(time.time(), last)
            message = (
                f"{message} more log lines were dropped: a run keeps at most "
                f"{buffer.limit} (JOBS_LOGS_MAX_PER_RUN)."
            )
        else:
            if args:
                try:
                    message = message % args
                except Exception:  # noqa: BLE001 -- a bad format keeps its line
                    message = f"{message} {args!r}"
            if created < last:
                created = last
        last = created
        known = _known.get(key)
        if known is None:
            known = _line_parts(key)
        if not copy:
            out.append(
                {
                    "run_id": buffer.run_id,
                    "timestamp": datetime.fromtimestamp(created, timezone.utc),
                    "level": key[0][:10],
                    "logger": key[1][:255],
                    "message": message,
                    "context": known[0],
                }
            )
            continue
        whole = int(created)
        if whole != second:
            second = whole
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole))
            stamp = f"{buffer._copy_run_id}\t{stamp}."
        if (
            "\\" in message
            or "\t" in message
            or "\n" in message
            or "\r" in message
            or "\x00" in message
        ):
            message = message.translate(_COPY_ESCAPES)
        out.append(
            f"{stamp}{int((created - whole) * 1e6):06d}+00\t"
            f"{known[1]}{message}{known[2]}"
        )
    buffer._last_created = last
    lines = len(out)
    return ("".join(out) if copy else out), lines, dropped


def _line_parts(key):
    """A line key's context (dict), and the COPY text before and after the message."""
    if len(_known) >= _CONTEXT_CACHE_SIZE:
        _known.clear()
    level, name = key[0], key[1]
    value = _context_of(key[2:])
    text = json.dumps(value).translate(_COPY_ESCAPES) if value else "\\N"
    head = f"{level[:10]}\t{name[:255].translate(_COPY_ESCAPES)}\t"
    known = _known[key] = (value, head, f"\t{text}\n")
    return known


def _closing_note(dropped):
    """The entry that ends a run's queue: a line for the dropped ones, if any."""
    return (None, dropped, None, _NOTE_KEY)


def _task_of(context):
    """What a line keeps of the job context: identity, task, parent task."""
    if context is EMPTY_JOB_CTX or not isinstance(context, dict):
        return None
    return (
        context.get("identity_id"),
        context.get("task_id"),
        context.get("parent_task_id"),
    )


def _context_of(key) -> dict | None:
    """The context a line stores, as InvenioRDM's log entries carry it."""
    thread, module, function, line, task = key
    if module is None:  # the closing note
        return None
    value = {"module": module, "function": function, "line": line}
    if thread not in ("MainThread", None):
        value["thread"] = thread
    if task is not None:
        for name, item in zip(("identity_id", "task_id", "parent_task_id"), task):
            if item is not None:
                value[name] = str(item)
    return value


# -- the writer ---------------------------------------------------------------------
class _Flush:
    """The lines of one flush: each buffer's kept chunks, then its queue, a chunk at a time.

    It is the file that COPY reads: each read formats the next chunk, so
    the writer holds the interpreter lock for one chunk at a time, and the
    database parses one chunk while the next is made.
    """

    def __init__(self, buffers, copy):
        """Take what is pending in ``buffers`` now; later lines wait for the next flush."""
        self.copy = copy
        self.parts = []
        for buffer in buffers:
            kept, buffer._retry = buffer._retry, []
            count = min(len(buffer._queue), BACKLOG_BATCHES * buffer.flush_records)
            self.parts.append((buffer, kept, count))
        self._payloads = self.payloads()

    def payloads(self):
        """Each chunk's payload, in order; the queue is read as they are asked for."""
        for buffer, chunks, count in self.parts:
            for chunk in list(chunks):
                if chunk[1]:
                    yield chunk[0]
            queue = buffer._queue
            while count:
                size = min(count, CHUNK_LINES)
                count -= size
                chunk = _format(
                    buffer, [queue.popleft() for _ in range(size)], self.copy
                )
                chunks.append(chunk)
                if len(queue) <= buffer._backlog:
                    buffer._room.set()
                if chunk[1]:
                    yield chunk[0]
            if not queue:
                buffer._backlog = BACKLOG_BATCHES * buffer.flush_records

    def read(self, size=-1):
        """The next chunk of COPY text; empty at the end."""
        return next(self._payloads, "")

    def totals(self) -> dict:
        """The counters to add when the flush is stored."""
        lines = dropped = 0
        for _, chunks, _ in self.parts:
            lines += sum(chunk[1] for chunk in chunks)
            dropped += sum(chunk[2] for chunk in chunks)
        return {LOG_LINES_WRITTEN: lines, LOG_LINES_DROPPED: dropped}

    def keep(self):
        """After a failure: what was taken goes back, first in line for the next try."""
        for buffer, chunks, _ in self.parts:
            buffer._retry = chunks

    def stored(self):
        """After the commit: count the lines of each buffer."""
        for buffer, chunks, _ in self.parts:
            buffer.stored += sum(chunk[1] for chunk in chunks)
            buffer._failures = 0


class _Writer:
    """The one thread of a process that writes the lines of every open buffer.

    A thread per run would cost a thread start per run, and a round trip
    per run per flush; here each flush is one COPY and one counter update,
    in one transaction, for every run of the process.
    """

    def __init__(self):
        """Start the thread."""
        self.pid = os.getpid()
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._buffers = {}
        self._outage = Outage("Run log writer", logger)
        self._retry_wait = 0.25
        self.thread = threading.Thread(
            target=self._loop, name=WRITER_THREAD_NAME, daemon=True
        )
        self.thread.start()

    def register(self, buffer):
        """Serve ``buffer`` until it is closed and stored."""
        with self._lock:
            self._buffers[buffer] = None

    def unregister(self, buffer):
        """Stop serving ``buffer``."""
        with self._lock:
            self._buffers.pop(buffer, None)
        buffer._done.set()

    def _loop(self):
        """Write when woken (a full batch, a close) or every ``flush_seconds``."""
        while True:
            with self._lock:
                buffers = list(self._buffers)
            self.wake.wait(min((b.flush_seconds for b in buffers), default=1.0))
            self.wake.clear()
            try:
                written = self.write_pending()
            except Exception:  # noqa: BLE001 -- the writer must live on
                logger.warning("Run log writer: a flush failed.", exc_info=True)
                written = False
            if written:
                self._retry_wait = 0.25
                if self._behind():
                    self.wake.set()
                continue
            time.sleep(self._retry_wait)
            self._retry_wait = min(self._retry_wait * 2, 5.0)

    def _behind(self) -> bool:
        """Whether a full batch, or the rest of a closed run, is still pending."""
        with self._lock:
            buffers = list(self._buffers)
        return any(
            len(b._queue) >= b.flush_records or (b._closing and b._queue)
            for b in buffers
        )

    def write_pending(self) -> bool:
        """Write the pending lines of every buffer; False when a write failed."""
        with self._lock:
            buffers = list(self._buffers)
        groups = {}
        for buffer in buffers:
            if buffer._queue or buffer._retry:
                groups.setdefault(buffer.engine, []).append(buffer)
            else:
                # Closed after the flush that took its last line had looked.
                self._release_if_done(buffer)
        written = True
        for engine, group in groups.items():
            written = self._write(engine, group) and written
        return written

    def _write(self, engine, buffers) -> bool:
        """One transaction: the lines of ``buffers`` and the counters."""
        copy = engine.dialect.name == "postgresql" and engine.dialect.driver == (
            "psycopg2"
        )
        flush = _Flush(buffers, copy)
        try:
            with engine.begin() as conn:
                if copy:
                    _copy(conn, flush)
                else:
                    for rows in flush.payloads():
                        conn.execute(sa.insert(RunLog), rows)
                amounts = {name: n for name, n in flush.totals().items() if n}
                if amounts:
                    conn.execute(counters_statement(engine.dialect.name, amounts))
        except Exception as error:  # noqa: BLE001 -- kept and tried again
            flush.keep()
            return self._failed(engine, buffers, error)
        self._outage.recovered()
        flush.stored()
        for buffer in buffers:
            self._release_if_done(buffer)
        return True

    def _release_if_done(self, buffer):
        """Release a closed buffer with nothing left to write: its closer waits."""
        if buffer._closing and not buffer._queue and not buffer._retry:
            self.unregister(buffer)

    def _failed(self, engine, buffers, error) -> bool:
        """After a failed write: wait for the database, or find the run at fault."""
        if _unreachable(error, engine):
            self._outage.failed(error, self._retry_wait)
            return False
        if len(buffers) > 1:
            # Not an outage: the lines of one run may be at fault (a run
            # deleted meanwhile). Each run alone: the others go on.
            results = [self._write(engine, [buffer]) for buffer in buffers]
            return all(results)
        (buffer,) = buffers
        buffer._failures += 1
        if _refused(error) and buffer._failures >= 3:
            lines = sum(chunk[1] for chunk in buffer._retry)
            buffer._retry = []
            logger.warning(
                "Run %s: %d log lines refused by the database (%s); given up.",
                buffer.run_id,
                lines,
                _first_line(error),
            )
            self._release_if_done(buffer)
            return True
        return False


def _copy(conn, flush):
    """Stream the flush's chunks through one COPY."""
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.copy_expert(_COPY_SQL, flush, size=COPY_READ_SIZE)
    except Exception:
        if raw.closed:  # the server went away: never give it back to the pool
            conn.invalidate()
        raise
    finally:
        cursor.close()


def _unreachable(error, engine) -> bool:
    """Whether a write failed because the database is away (also raw driver errors)."""
    if isinstance(error, sa.exc.SQLAlchemyError):
        return is_unreachable(error)
    dbapi = engine.dialect.dbapi
    if isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError)):
        return is_unreachable(sa.exc.OperationalError(_COPY_SQL, None, error))
    return False


def _refused(error) -> bool:
    """Whether the database refused the lines themselves (data or integrity)."""
    original = getattr(error, "orig", error)
    code = getattr(original, "pgcode", None) or ""
    return isinstance(error, sa.exc.IntegrityError) or code.startswith(("22", "23"))


def _first_line(error) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def _process_writer() -> _Writer:
    """The writer of this process, started on first use (again in a forked child)."""
    global _writer
    writer = _writer
    if writer is None or writer.pid != os.getpid():
        with _writer_lock:
            if _writer is None or _writer.pid != os.getpid():
                _writer = _Writer()
            writer = _writer
    return writer


def _writer_thread_ident():
    writer = _writer
    return writer.thread.ident if writer is not None else None


# -- the handler --------------------------------------------------------------------
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
                if buffer is None or threading.get_ident() == _writer_thread_ident():
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


def _new_buffer(engine, run_id, config) -> RunLogBuffer:
    return RunLogBuffer(
        engine,
        run_id,
        flush_records=config["JOBS_LOGS_FLUSH_RECORDS"],
        flush_seconds=config["JOBS_LOGS_FLUSH_SECONDS"],
        limit=config["JOBS_LOGS_MAX_PER_RUN"],
        wait_seconds=config.get("JOBS_OUTCOME_WRITE_SECONDS", 90.0),
    )


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
            buffer = _shared[run_id] = _new_buffer(engine, run_id, config)
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
    _track(key, buffer)
    return token, key, buffer


def leave_run_logs(handle):
    """Stop capturing into the run's log; what the task logged is written soon."""
    token, key, buffer = handle
    _track(key, None)
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


def _forget_parent():
    """In a forked child: the parent's buffers and writer are not ours."""
    global _writer, _writer_lock, _active_lock, _shared_lock, _only
    _writer = None
    _writer_lock = threading.Lock()
    _active_lock = threading.Lock()
    _shared_lock = threading.Lock()
    _active.clear()
    _shared.clear()
    _only = None


os.register_at_fork(after_in_child=_forget_parent)
atexit.register(close_shared_buffers)
