# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Who stores a run's log lines: one interface, two writers.

A buffer (``buffer``) tells its writer when a batch is full, or of every
line where the writer ``hears_every_line`` (``queued``), when its run's
pulse asks for a write (``flush``) and when the run ends (``close``). The
writer decides when and how the lines go to the database, apart from the
job's transaction (``database.write_run_rows``), so that a rollback of the
job's work does not drop its log.

- :class:`ThreadWriter`: one thread per process formats the lines of
  every open run and stores them with one COPY per flush (psycopg2), or
  an INSERT per chunk on other servers; the job's thread only queues.
- :class:`InlineWriter`: on SQLite, which has one writer, the job's own
  thread writes its lines in batches.

Logging never raises into the job.
"""

import logging
import os
import threading
import time

import sqlalchemy as sa
from flask import has_app_context

from ..database import (
    Outage,
    is_unreachable,
    single_writer,
    speaks_psycopg2,
    write_run_rows,
)
from ..database.outages import first_line
from ..event_totals import LOG_LINES_DROPPED, LOG_LINES_WRITTEN, add_counts
from ..event_totals import add_statement as counters_statement
from ..models import RunLog
from .buffer import BACKLOG_BATCHES

logger = logging.getLogger(__name__)

WRITER_THREAD_NAME = "run-log-writer"
"""Name of the thread that writes the log lines of a process's runs."""

CHUNK_LINES = 2000
"""Lines the writer formats at a time, so that it holds the interpreter lock briefly."""

COPY_READ_SIZE = 1 << 22
"""What COPY asks of a read: more than a chunk, so that a chunk goes in one read."""

_COPY_SQL = (
    "COPY jobs_run_log (run_id, timestamp, level, logger, message, context) "
    "FROM STDIN"
)


def writer_for(buffer):
    """The writer that stores ``buffer``'s lines: its own on SQLite, else the process's."""
    if single_writer(buffer.engine):
        return InlineWriter()
    return process_writer()


def _totals(chunks) -> dict:
    """The counters to add once ``chunks`` are stored."""
    return {
        LOG_LINES_WRITTEN: sum(chunk[1] for chunk in chunks),
        LOG_LINES_DROPPED: sum(chunk[2] for chunk in chunks),
    }


# -- SQLite: the job's thread writes ------------------------------------------------
class InlineWriter:
    """The writer of one buffer on SQLite: the job's thread writes its lines.

    A batch is written when it is full or ``flush_seconds`` after the last
    write, at the next line; what fails is kept for the next try.
    """

    hears_every_line = True
    """A buffer tells it of each line: a batch may be old enough before it is full."""

    def __init__(self):
        """Nothing written yet."""
        self._lock = threading.Lock()
        self._last_write = time.monotonic()

    def register(self, buffer):
        """Nothing to set up: the buffer's own thread writes."""

    def queued(self, buffer, pending: int):
        """Write when the batch is full or old enough."""
        if (
            pending >= buffer.flush_records
            or time.monotonic() - self._last_write >= buffer.flush_seconds
        ):
            self.write(buffer)

    def flush(self, buffer):
        """Write what is pending now."""
        self.write(buffer)

    def close(self, buffer, dropped: int):
        """Write the rest, with the closing note, and commit."""
        buffer.closing = True
        buffer.queue_closing_note(dropped)
        self.write(buffer, final=True)

    def write(self, buffer, final: bool = False):
        """Write the queue in the calling thread; what fails is kept for the next try.

        Batches joined the session's transaction only where it held the
        write lock; the final write commits it.
        """
        with self._lock:
            self._last_write = time.monotonic()
            chunks = buffer.take_kept()
            if buffer.queued:
                chunks.append(buffer.take_chunk(buffer.queued, copy=False))
            rows = [row for chunk in chunks for row in chunk[0]]
            dropped = sum(chunk[2] for chunk in chunks)
            commits = final and has_app_context() and buffer.stored
            if not rows and not dropped and not commits:
                return

            def insert(conn):
                if rows:
                    conn.execute(sa.insert(RunLog), rows)

            try:
                write_run_rows(buffer.engine, insert, commit_session=final)
            except Exception:  # noqa: BLE001 -- retried at the next flush
                buffer.keep(chunks)
                return
            buffer.count_stored(chunks)
        add_counts(buffer.engine, final, **_totals(chunks))


# -- a server: one thread per process writes -------------------------------------
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
            count = min(buffer.queued, BACKLOG_BATCHES * buffer.flush_records)
            self.parts.append((buffer, buffer.take_kept(), count))
        self._payloads = self.payloads()

    def payloads(self):
        """Each chunk's payload, in order; the queue is read as they are asked for."""
        for buffer, chunks, count in self.parts:
            for chunk in list(chunks):
                if chunk[1]:
                    yield chunk[0]
            while count:
                size = min(count, CHUNK_LINES)
                count -= size
                chunk = buffer.take_chunk(size, self.copy)
                chunks.append(chunk)
                if chunk[1]:
                    yield chunk[0]

    def read(self, size=-1):
        """The next chunk of COPY text; empty at the end."""
        return next(self._payloads, "")

    def totals(self) -> dict:
        """The counters to add when the flush is stored."""
        return _totals([chunk for _, chunks, _ in self.parts for chunk in chunks])

    def keep(self):
        """After a failure: what was taken goes back, first in line for the next try."""
        for buffer, chunks, _ in self.parts:
            buffer.keep(chunks)

    def stored(self):
        """After the commit: count the lines of each buffer."""
        for buffer, chunks, _ in self.parts:
            buffer.count_stored(chunks)


class ThreadWriter:
    """The one thread of a process that writes the lines of every open buffer.

    A thread per run would cost a thread start per run, and a round trip
    per run per flush; here each flush is one COPY and one counter update,
    in one transaction, for every run of the process.
    """

    hears_every_line = False
    """A buffer tells it of full batches only: the job's thread does no more."""

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

    # -- what buffers call -------------------------------------------------------
    def register(self, buffer):
        """Serve ``buffer`` until it is closed and stored."""
        with self._lock:
            self._buffers[buffer] = None

    def queued(self, buffer, pending: int):
        """Wake the writer for a full batch; far behind (a slow database), wait a while."""
        if pending <= buffer.backlog:
            if not self.wake.is_set():
                self.wake.set()
            return
        buffer.room.clear()
        self.wake.set()
        if buffer.queued > buffer.backlog and not buffer.room.wait(
            max(1.0, 5 * buffer.flush_seconds)
        ):
            # The writer cannot keep up (the database is away): the job goes
            # on, and waits again only when the backlog has doubled. The
            # run's limit bounds it.
            buffer.backlog *= 2

    def flush(self, buffer):
        """Have what is queued written at the next turn of the thread."""
        if buffer.queued:
            self.wake.set()

    def close(self, buffer, dropped: int):
        """Queue the closing note, and wait (bounded) until everything is stored."""
        if not buffer.offered_any():
            buffer.closing = True
            self.unregister(buffer)
            return
        buffer.queue_closing_note(dropped)
        buffer.closing = True
        self.wake.set()
        if not buffer.released.wait(buffer.wait_seconds):
            logger.warning(
                "Run %s: %d log lines are not stored after %g s; they will be "
                "when the database answers.",
                buffer.run_id,
                buffer.pending,
                buffer.wait_seconds,
            )

    def unregister(self, buffer):
        """Stop serving ``buffer``; its closer waits no more."""
        with self._lock:
            self._buffers.pop(buffer, None)
        buffer.released.set()

    # -- the thread ------------------------------------------------------------------
    def _loop(self):
        """Write when woken: a full batch, a run's pulse, a close; again after a failure.

        The thread keeps no clock of its own: a run's pulse wakes it every
        ``flush_seconds`` (``RunLogBuffer.flush``).
        """
        while True:
            self.wake.wait()
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
            self.wake.set()

    def _behind(self) -> bool:
        """Whether a full batch, or the rest of a closed run, is still pending."""
        with self._lock:
            buffers = list(self._buffers)
        return any(buffer.batch_due() for buffer in buffers)

    def write_pending(self) -> bool:
        """Write the pending lines of every buffer; False when a write failed."""
        with self._lock:
            buffers = list(self._buffers)
        groups = {}
        for buffer in buffers:
            if buffer.has_work():
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
        copy = speaks_psycopg2(engine)
        flush = _Flush(buffers, copy)

        def write(conn):
            if copy:
                _copy(conn, flush)
            else:
                for rows in flush.payloads():
                    conn.execute(sa.insert(RunLog), rows)
            amounts = {name: n for name, n in flush.totals().items() if n}
            if amounts:
                conn.execute(counters_statement(conn, amounts))

        try:
            write_run_rows(engine, write)
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
        if buffer.finished():
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
        failures = buffer.failed_again()
        if _refused(error) and failures >= 3:
            logger.warning(
                "Run %s: %d log lines refused by the database (%s); given up.",
                buffer.run_id,
                buffer.give_up_kept(),
                first_line(error),
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


# -- the process's writer ------------------------------------------------------------
_writer: ThreadWriter | None = None
_writer_lock = threading.Lock()


def process_writer() -> ThreadWriter:
    """The writer of this process, started on first use (again in a forked child)."""
    global _writer
    writer = _writer
    if writer is None or writer.pid != os.getpid():
        with _writer_lock:
            if _writer is None or _writer.pid != os.getpid():
                _writer = ThreadWriter()
            writer = _writer
    return writer


def writer_thread_ident():
    """The thread id of this process's writer, None before it started."""
    writer = _writer
    return writer.thread.ident if writer is not None else None


def forget_parent_writer():
    """In a forked child: the parent's writer thread does not run here."""
    global _writer, _writer_lock
    _writer = None
    _writer_lock = threading.Lock()
