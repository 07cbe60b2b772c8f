# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What a running job sees: :data:`current_run`.

Inside a run, ``current_run`` reports progress, tells the task whether it was
asked to stop, and fans work out to subtasks. Outside a run (a task called
from a shell, a test) every method is a harmless no-op, so job tasks need no
special cases.

Writes go through their own database connection, not the job's session: a
job that rolls back its work keeps its progress, and the job's transaction is
never committed behind its back.

A stop is seen at the job's next ``progress`` or ``check_cancelled`` call:
at most once a second that call reads the run's status on a connection
without a transaction, which no writer blocks (PostgreSQL, SQLite in WAL
mode), so that a stop works with every pool, the solo pool included, where
Celery cannot terminate the task.
"""

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import has_app_context
from invenio_db import db

from .lifecycle import side_connection
from .models import Run, RunStatusEnum, utcnow

_current: ContextVar["RunContext | None"] = ContextVar("invenio_jobs_run", default=None)

logger = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 1.0
"""A running job reads whether it was asked to stop at most this often (s)."""


class RunCancelled(Exception):
    """Raised into a job's task when its run was asked to stop.

    Derived from ``Exception`` so that ``finally`` blocks and context managers
    of the task clean up as usual; ``execute_run`` turns it into CANCELLED.
    """


class RunTimedOut(Exception):
    """Raised into a job's task when its run went over the job's timeout."""


class RunContext:
    """The live state of one run in a worker: counters, heartbeat, stop flag."""

    def __init__(
        self,
        run_id,
        job_id,
        engine,
        heartbeat_seconds=10.0,
        progress_interval=1.0,
        timeout=None,
        spawn=None,
        tick=None,
        tick_seconds=1.0,
    ):
        """Bind to a run.

        ``spawn`` sends subtasks and ``tick`` is called by the heartbeat
        thread every ``tick_seconds`` (to write buffered log lines); both are
        set by ``execute_run``.
        """
        self.id = run_id
        self.job_id = job_id
        self._engine = engine
        self._heartbeat_seconds = heartbeat_seconds
        self._progress_interval = progress_interval
        self._deadline = time.monotonic() + timeout if timeout else None
        self.timeout = timeout
        self._spawn = spawn
        self._tick = tick
        self._tick_seconds = tick_seconds
        self._pending = {"inserted": 0, "updated": 0, "errored": 0}
        self._total = None
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._cancel_requested = threading.Event()
        self._last_stop_check = time.monotonic()
        self._stop_note = None
        self._stop_logged = False
        self._thread = None

    # -- life cycle -------------------------------------------------------
    def start(self):
        """Start the heartbeat thread and make this the current run."""
        self._token = _current.set(self)
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{self.id}", daemon=True
        )
        self._thread.start()
        return self

    def close(self):
        """Write what is pending, stop the heartbeat, leave the run."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
        _current.reset(self._token)

    def _beat(self):
        # The heartbeat thread has no app context and no session: it always
        # writes through a connection of its own.
        interval = min(self._heartbeat_seconds, self._tick_seconds)
        next_beat = time.monotonic() + self._heartbeat_seconds
        while not self._stop.wait(interval):
            if self._tick is not None:
                try:
                    self._tick()
                except Exception:  # noqa: BLE001 -- retried at the next tick
                    pass
            if time.monotonic() < next_beat:
                continue
            next_beat = time.monotonic() + self._heartbeat_seconds
            try:
                with self._engine.begin() as conn:
                    status = conn.execute(
                        sa.update(Run)
                        .where(Run.id == self.id)
                        .values(heartbeat_at=utcnow())
                        .returning(Run.status)
                    ).scalar_one_or_none()
            except Exception:  # noqa: BLE001 -- a missed beat is retried
                continue
            if status is None or status is RunStatusEnum.CANCELLING:
                self._cancel_requested.set()

    def _read_stop(self):
        """Whether the run was asked to stop, read now; remember who asked.

        Read in autocommit: no transaction, so no lock to wait for, and never
        the job's own session, whose transaction would hide the request.
        """
        self._last_stop_check = time.monotonic()
        try:
            with self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                row = conn.execute(
                    sa.select(Run.status, Run.message, Run.stop_requested_at).where(
                        Run.id == self.id
                    )
                ).one_or_none()
        except Exception:  # noqa: BLE001 -- read again at the next check
            return
        if row is None:
            self._cancel_requested.set()
        elif row.status is RunStatusEnum.CANCELLING:
            self._stop_note = (row.message, row.stop_requested_at)
            self._cancel_requested.set()

    def _log_stop(self):
        """Say in the run's log that the task stops now, and since when it was asked."""
        message, requested_at = self._stop_note or (None, None)
        waited = ""
        if requested_at is not None:
            seconds = (utcnow() - requested_at).total_seconds()
            waited = f" {max(seconds, 0):.1f} s after the request"
        logger.warning(
            "Stopping now, at the task's next check%s. %s",
            waited,
            message or "The run was asked to stop.",
        )

    # -- what tasks call ---------------------------------------------------
    def check_cancelled(self):
        """Raise RunCancelled (or RunTimedOut) when the run must end now."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise RunTimedOut(f"timed out after {self.timeout} s")
        due = time.monotonic() - self._last_stop_check >= STOP_CHECK_SECONDS
        if not self._cancel_requested.is_set() and due:
            self._read_stop()
        if self._cancel_requested.is_set():
            if not self._stop_logged:
                self._stop_logged = True
                if self._stop_note is None:  # seen by the heartbeat
                    self._read_stop()
                self._log_stop()
            raise RunCancelled("stopped by an administrator")

    def set_total(self, total: int):
        """How many entries the run will process (for the progress bar)."""
        self._total = int(total)
        self.flush()

    def progress(self, inserted=0, updated=0, errored=0):
        """Count processed entries; written at most every few seconds."""
        with self._lock:
            self._pending["inserted"] += inserted
            self._pending["updated"] += updated
            self._pending["errored"] += errored
            due = time.monotonic() - self._last_flush >= self._progress_interval
        if due:
            self.flush()
        self.check_cancelled()

    def flush(self):
        """Write the pending counters with one UPDATE; never raise into the job."""
        with self._lock:
            pending, self._pending = self._pending, dict.fromkeys(self._pending, 0)
            total, self._total = self._total, None
            self._last_flush = time.monotonic()
        values = {
            f"{key}_entries": getattr(Run, f"{key}_entries") + count
            for key, count in pending.items()
            if count
        }
        if total is not None:
            values["total_entries"] = total
        if not values:
            return
        try:
            with self._state_connection() as conn:
                conn.execute(sa.update(Run).where(Run.id == self.id).values(**values))
        except Exception:  # noqa: BLE001 -- keep the counts for the next flush
            with self._lock:
                for key, count in pending.items():
                    self._pending[key] += count
                if total is not None and self._total is None:
                    self._total = total

    @contextmanager
    def _state_connection(self):
        """Where the run's own state is written: committed at once when it can be.

        A connection of its own, committed at the end of the block, unless
        the job's session holds SQLite's one write lock (it has written and
        not committed yet): a second connection would then wait for the job,
        so the write joins the job's transaction instead.
        """
        if self._engine.dialect.name == "sqlite" and _session_writes_sqlite():
            with side_connection() as conn:
                yield conn
            return
        with self._engine.begin() as conn:
            yield conn

    def spawn_subtask(self, task, args=None, kwargs=None, title=None):
        """Send a Celery task as a subtask of this run; return the child run id.

        The child is a run of its own (status, log, counters); the parent
        counts its subtasks and ends when the last one has ended.
        """
        return self._spawn(self, task, args or (), kwargs or {}, title)


def _session_writes_sqlite() -> bool:
    """Whether the session's SQLite connection has a transaction open (a lock)."""
    if not has_app_context():
        return False
    session = db.session()
    if not session.in_transaction():
        return False
    dbapi = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", True))


class _NoRun:
    """``current_run`` outside a run: every call does nothing."""

    id = None
    job_id = None
    timeout = None

    def check_cancelled(self):
        """Nothing to check."""

    def set_total(self, total):
        """Nothing to record."""

    def progress(self, inserted=0, updated=0, errored=0):
        """Nothing to record."""

    def flush(self):
        """Nothing to write."""

    def spawn_subtask(self, task, args=None, kwargs=None, title=None):
        """Outside a run, a subtask is simply sent."""
        task.apply_async(args=args or (), kwargs=kwargs or {})
        return None


_NO_RUN = _NoRun()


class _CurrentRun:
    """Proxy to the run of the calling thread or coroutine."""

    def __getattr__(self, name):
        return getattr(_current.get() or _NO_RUN, name)

    def __bool__(self):
        return _current.get() is not None

    def __repr__(self):
        context = _current.get()
        return f"<current_run {context.id if context else None}>"


current_run = _CurrentRun()
"""The run being executed by this worker thread, or a no-op stand-in."""
