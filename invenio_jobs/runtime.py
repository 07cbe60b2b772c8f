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

Writes go through ``database.write_run_rows``, not the job's session: a
job that rolls back its work keeps its progress, and the job's transaction is
never committed behind its back.

A stop is seen at the job's next ``progress`` or ``check_cancelled`` call:
at most once a second that call reads the run's status (``pulse.read_stop``),
or the pulse's heartbeat has seen it. The pulse, which keeps the runs of the
process alive, lives in ``pulse``; :class:`KeepAlive` is imported from here
as well, with the exceptions and :class:`RunContext` the worker uses.
"""

import logging
import threading
import time
import uuid
from contextvars import ContextVar

import sqlalchemy as sa

from .database import single_writer, write_run_rows
from .identities import identity_for
from .lifecycle import EntryCounts
from .models import Run, RunStatusEnum, utcnow
from .pulse import PROCESS_PULSE, STOP_CHECK_SECONDS, Beating, KeepAlive, read_stop

_current: ContextVar["RunContext | None"] = ContextVar("invenio_jobs_run", default=None)

logger = logging.getLogger(__name__)

__all__ = ("KeepAlive", "RunCancelled", "RunContext", "RunTimedOut", "current_run")


class RunCancelled(Exception):
    """Raised into a job's task when its run was asked to stop.

    Derived from ``Exception`` so that ``finally`` blocks and context managers
    of the task clean up as usual; ``execute_run`` turns it into CANCELLED.
    """


class RunTimedOut(Exception):
    """Raised into a job's task when its run went over the job's timeout."""


class RunContext(Beating):
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
        subtask_batch=500,
        identity_id=None,
    ):
        """Bind to a run.

        ``spawn(context, subtasks)`` stores and sends a batch of subtasks
        (see :meth:`spawn_subtask`), ``tick`` is called by the process's
        pulse every ``tick_seconds`` (to write buffered log lines); both are
        set by ``execute_run``.
        """
        self.id = run_id
        self.job_id = job_id
        self.engine = engine
        self.identity_id = identity_id
        self._identity = None
        self._heartbeat_seconds = heartbeat_seconds
        self._progress_interval = progress_interval
        self._deadline = time.monotonic() + timeout if timeout else None
        self.timeout = timeout
        self._spawn = spawn
        self._tick = tick
        self._tick_seconds = tick_seconds
        self._subtask_batch = max(1, subtask_batch)
        self._subtasks = []
        self._subtasks_since = None
        self._spawn_lock = threading.Lock()
        self._pending = EntryCounts()
        self._errored_counted = 0
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._cancel_requested = threading.Event()
        self._last_stop_check = time.monotonic()
        self._stop_note = None
        self._stop_logged = False
        self._next_beat = time.monotonic() + heartbeat_seconds
        self._next_tick = time.monotonic() + tick_seconds

    @property
    def identity(self):
        """Whom the run executes as, with the needs of that user's roles.

        Its job's ``run_as`` user, else the user who started it, else the
        system (:func:`invenio_jobs.identities.identity_for`). Built at the
        first use: a run that never asks reads no user.
        """
        if self._identity is None:
            self._identity = identity_for(self.identity_id)
        return self._identity

    # -- life cycle -------------------------------------------------------
    def start(self):
        """Join the process's pulse and make this the current run."""
        self._token = _current.set(self)
        PROCESS_PULSE.join(self)
        return self

    def close(self, flush=True):
        """Send the subtasks asked for, leave the pulse and the run.

        Counters not written yet are written here, unless ``flush`` is
        False: the worker then takes them (:meth:`take_counts`) into the
        statement that ends the run.
        """
        try:
            PROCESS_PULSE.leave(self)
            try:
                self.flush_subtasks()
            finally:
                if flush:
                    self.flush()
        finally:
            # Whatever failed above, the next task of this process must not
            # find this run as its current one.
            _current.reset(self._token)

    def take_counts(self) -> EntryCounts:
        """The counts not written yet, taken: whoever takes them writes them."""
        with self._lock:
            taken, self._pending = self._pending, EntryCounts()
        return taken

    def errored_still_to_count(self, declared: int) -> int:
        """Errored entries to add so that this task's errors total ``declared``.

        The count a task raises (``TaskExecutionPartialError``) is the
        number of its entries that failed, in all: the ones it already
        counted with ``progress(errored=...)`` are part of it, not added
        again. A count below what was counted leaves the counted number
        (a run never shows fewer errors than its log reported) and warns.
        """
        declared = max(int(declared or 0), 0)
        with self._lock:
            counted = self._errored_counted
        if declared < counted and declared:
            logger.warning(
                "Run %s raised %d errored entries but counted %d with "
                "progress(errored=...); keeping %d.",
                self.id,
                declared,
                counted,
                counted,
            )
        return max(declared - counted, 0)

    # -- what the pulse calls ---------------------------------------------
    def next_due(self) -> float:
        """When (monotonic) the pulse has something to do for this run."""
        due = min(self._next_beat, self._next_tick)
        if self._subtasks_since is not None and self._spawn_from_pulse():
            due = min(due, self._subtasks_since + self._tick_seconds)
        return due

    def tick(self):
        """Write buffered log lines, and subtasks waiting for a while."""
        now = time.monotonic()
        if now >= self._next_tick:
            self._next_tick = now + self._tick_seconds
            if self._tick is not None:
                self._tick()
        since = self._subtasks_since
        if since is not None and now - since >= self._tick_seconds:
            if self._spawn_from_pulse():
                self.flush_subtasks()

    def beating_ids(self):
        """The runs whose heartbeat this member writes."""
        return (self.id,)

    def beaten(self, statuses: dict):
        """Heartbeat written: a run gone or asked to stop is told at its next check."""
        if self._asked_to_stop(statuses.get(self.id)):
            self._cancel_requested.set()

    def _spawn_from_pulse(self) -> bool:
        """Subtasks are sent from the pulse, except on SQLite (one writer: the job's)."""
        return not single_writer(self.engine)

    def _read_stop(self):
        """Whether the run was asked to stop, read now; remember who asked."""
        self._last_stop_check = time.monotonic()
        try:
            row = read_stop(self.engine, self.id)
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
        """How many entries the run will process (for the progress bar).

        Written like progress: with the next batch of counts, at most every
        ``JOBS_PROGRESS_INTERVAL_SECONDS``, or with the run's end.
        """
        with self._lock:
            self._pending.set_total(total)
            due = time.monotonic() - self._last_flush >= self._progress_interval
        if due:
            self.flush()

    def add_total(self, count: int):
        """Add to the number of entries the run will process (batch by batch)."""
        self.progress(added=count)

    def progress(self, inserted=0, updated=0, errored=0, added=0):
        """Count processed entries; written at most every few seconds.

        ``added`` adds to the run's total, for a task that learns it batch
        by batch.
        """
        with self._lock:
            self._pending.add(inserted, updated, errored, added)
            self._errored_counted += errored
            due = time.monotonic() - self._last_flush >= self._progress_interval
        if due:
            self.flush()
        self.check_cancelled()

    def flush(self):
        """Write the pending counters with one UPDATE; never raise into the job."""
        with self._lock:
            self._last_flush = time.monotonic()
        counts = self.take_counts()
        values = counts.assignments()
        if not values:
            return
        statement = sa.update(Run).where(Run.id == self.id).values(**values)
        try:
            # The job's session is not ours: joined only where it holds
            # SQLite's one write lock (a second connection would wait for it).
            write_run_rows(self.engine, lambda conn: conn.execute(statement))
        except Exception:  # noqa: BLE001 -- keep the counts for the next flush
            with self._lock:
                self._pending.restore(counts)

    def spawn_subtask(self, task, args=None, kwargs=None, title=None):
        """Send a Celery task as a subtask of this run; return the child run id.

        The child is a run of its own (status, log, counters); the parent
        counts its subtasks and ends when the last one has ended. Subtasks
        are stored and sent in batches: when a batch is full, a second
        after the first of it was asked for, or when the task returns; a
        batch costs a few statements, however many subtasks it holds.
        """
        return self.spawn_subtasks(task, [(args, kwargs)], title)[0]

    def spawn_subtasks(self, task, calls, title=None):
        """Send many subtasks of one Celery task; return their run ids.

        ``calls`` are ``(args, kwargs)`` pairs, one per subtask.
        """
        ids, full = [], False
        with self._lock:
            for args, kwargs in calls:
                child_id = uuid.uuid4()
                ids.append(child_id)
                self._subtasks.append(
                    (child_id, task, list(args or ()), dict(kwargs or {}), title)
                )
            if self._subtasks and self._subtasks_since is None:
                self._subtasks_since = time.monotonic()
            pending = len(self._subtasks)
            full = pending >= self._subtask_batch
            late = self._subtasks_since is not None and (
                time.monotonic() - self._subtasks_since >= self._tick_seconds
            )
        if full or (late and not self._spawn_from_pulse()):
            self.flush_subtasks()
        return ids

    def flush_subtasks(self):
        """Store and send the subtasks asked for so far, in batches, in order.

        A batch that cannot be stored now is kept for the next try.
        """
        with self._spawn_lock:
            while True:
                with self._lock:
                    batch = self._subtasks[: self._subtask_batch]
                    del self._subtasks[: len(batch)]
                    self._subtasks_since = time.monotonic() if self._subtasks else None
                if not batch:
                    return
                try:
                    self._spawn(self, batch)
                except Exception:
                    with self._lock:
                        self._subtasks[:0] = batch
                        self._subtasks_since = time.monotonic()  # next try later
                    raise


class _NoRun:
    """``current_run`` outside a run: every call does nothing."""

    id = None
    job_id = None
    timeout = None
    identity_id = None
    identity = None

    def check_cancelled(self):
        """Nothing to check."""

    def set_total(self, total):
        """Nothing to record."""

    def progress(self, inserted=0, updated=0, errored=0, added=0):
        """Nothing to record."""

    def add_total(self, count):
        """Nothing to record."""

    def flush(self):
        """Nothing to write."""

    def spawn_subtask(self, task, args=None, kwargs=None, title=None):
        """Outside a run, a subtask is simply sent."""
        task.apply_async(args=args or (), kwargs=kwargs or {})
        return None

    def spawn_subtasks(self, task, calls, title=None):
        """Outside a run, each subtask is simply sent."""
        return [self.spawn_subtask(task, args, kwargs) for args, kwargs in calls]

    def flush_subtasks(self):
        """Nothing waits to be sent."""


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
