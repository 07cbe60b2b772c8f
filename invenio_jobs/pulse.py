# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pulse of a worker process: heartbeats of the runs it holds, and stop reads.

A run whose heartbeat stops is taken for lost by the reaper, so every run
a process holds (executing, or waiting in a batch of subtasks) must beat.
One thread per process, the :class:`Pulse`, writes the heartbeats of all
its members that are due with one UPDATE, which also reads whether any was
asked to stop. Members (:class:`Beating`: a run's context in
``runtime``, or :class:`KeepAlive` for runs not started yet) also have
their other periodic work done there (:meth:`Beating.tick`): it is the one
clock of the process, also for the log lines of the tasks a run sent
(:class:`Periodic`).

A running job reads whether it was asked to stop itself, at its next check
(:func:`read_stop`): in autocommit, which no writer blocks, so that a stop
works with every pool, the solo pool included, where Celery cannot
terminate the task.
"""

import logging
import os
import threading
import time

import sqlalchemy as sa

from .database import write_run_rows
from .models import Run, RunStatusEnum, utcnow

logger = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 1.0
"""A running job reads whether it was asked to stop at most this often (s)."""


class Pulse:
    """One thread per process that keeps the runs it holds alive.

    Every run a process executes (and every subtask waiting in a batch it
    took) joins the pulse: each ``heartbeat_seconds`` the heartbeats of all
    that are due are written with one UPDATE, which also reads whether any
    was asked to stop; members' ticks (log flushes, subtasks to send) run
    here too. No thread is started per run: a worker runs hundreds of short
    runs a second, and a thread start costs more than a short run. After a
    fork the child starts its own thread at its first run.
    """

    def __init__(self):
        """Start empty; the thread starts with the first member."""
        self._lock = threading.Lock()
        self._members = {}
        self._wake = threading.Event()
        self._wakes_at = 0.0
        self._thread = None
        self._pid = None

    def join(self, member):
        """Keep ``member`` alive until it leaves.

        The thread is woken only when the member is due before the thread
        wakes anyway: waking it for every short run cost the run more than
        the rest of its bookkeeping.
        """
        with self._lock:
            self._members[id(member)] = member
            running = self._thread is not None and self._thread.is_alive()
            if not running or self._pid != os.getpid():
                self._pid = os.getpid()
                self._wakes_at = 0.0
                self._thread = threading.Thread(
                    target=self._run, name="invenio-jobs-pulse", daemon=True
                )
                self._thread.start()
            wake = member.next_due() < self._wakes_at
        if wake:
            self._wake.set()

    def leave(self, member):
        """Stop keeping ``member`` alive."""
        with self._lock:
            self._members.pop(id(member), None)

    def _run(self):
        while True:
            with self._lock:
                members = list(self._members.values())
                now = time.monotonic()
                due = [member.next_due() for member in members]
                wait = min([*due, now + 1.0]) - now
                if wait > 0:
                    wait = min(max(wait, 0.01), 1.0)
                # A member that joins from now on and is due sooner wakes it.
                self._wakes_at = now + max(wait, 0.0)
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            beating = {}
            for member in members:
                try:
                    member.tick()
                except Exception:  # noqa: BLE001 -- retried at the next tick
                    logger.debug("A run's tick failed.", exc_info=True)
                if member.beat_due():
                    beating.setdefault(member.engine, []).append(member)
            for engine, group in beating.items():
                beat(engine, group)


def beat(engine, members):
    """Write the heartbeats of ``members`` in one UPDATE; tell them of stops."""
    ids = {run_id for member in members for run_id in member.beating_ids()}
    if not ids:
        return
    statement = (
        sa.update(Run)
        .where(Run.id.in_(sorted(ids)))
        .values(heartbeat_at=utcnow())
        .returning(Run.id, Run.status)
    )
    try:
        rows = write_run_rows(engine, lambda conn: conn.execute(statement).all())
    except Exception:  # noqa: BLE001 -- a missed beat is retried
        logger.debug("Could not write heartbeats.", exc_info=True)
        return
    statuses = dict(rows)
    for member in members:
        member.beaten(statuses)


PROCESS_PULSE = Pulse()
"""The pulse of this process; its thread starts with its first member."""


class Beating:
    """A member of the pulse: its heartbeat is due every ``_heartbeat_seconds``."""

    _heartbeat_seconds = 10.0
    _next_beat = 0.0

    def next_due(self) -> float:
        """When (monotonic) the pulse has something to do for this member."""
        return self._next_beat

    def tick(self):
        """Nothing to do between heartbeats."""

    @staticmethod
    def _asked_to_stop(status) -> bool:
        """Whether a run's status, as its heartbeat read it, says to stop (or gone)."""
        return status is None or status is RunStatusEnum.CANCELLING

    def beat_due(self) -> bool:
        """Whether the heartbeat is due (and is then counted as written)."""
        now = time.monotonic()
        if now < self._next_beat:
            return False
        self._next_beat = now + self._heartbeat_seconds
        return True


class Periodic(Beating):
    """A member of the pulse without a heartbeat: ``action`` runs every ``seconds``.

    For work that must happen on time whoever else is in the process (the
    log lines of a task a run sent, which has no run context of its own).
    """

    def __init__(self, seconds: float, action):
        """Call ``action()`` from the pulse every ``seconds``, from now on."""
        self._seconds = seconds
        self._action = action
        self._next_tick = time.monotonic() + seconds

    def next_due(self) -> float:
        """When (monotonic) the action is due."""
        return self._next_tick

    def tick(self):
        """Run the action when it is due."""
        now = time.monotonic()
        if now >= self._next_tick:
            self._next_tick = now + self._seconds
            self._action()

    def beat_due(self) -> bool:
        """Never: no run's heartbeat is written for it."""
        return False


class KeepAlive(Beating):
    """Heartbeats for runs a worker holds but has not started yet.

    A worker takes the subtasks of one message at once and runs them one
    after the other: until each starts, this keeps it from looking lost,
    and notes which of them were asked to stop meanwhile.
    """

    def __init__(self, engine, run_ids, heartbeat_seconds=10.0):
        """Keep ``run_ids`` alive while inside the ``with`` block."""
        self.engine = engine
        self._waiting = set(run_ids)
        self._stopped = set()
        self._heartbeat_seconds = heartbeat_seconds
        self._next_beat = time.monotonic() + heartbeat_seconds

    def __enter__(self):
        """Join the process's pulse."""
        PROCESS_PULSE.join(self)
        return self

    def __exit__(self, *exc):
        """Leave the pulse."""
        PROCESS_PULSE.leave(self)

    def started(self, run_id) -> bool:
        """Take ``run_id`` out of the waiting ones; False if it was asked to stop."""
        self._waiting.discard(run_id)
        return run_id not in self._stopped

    def beating_ids(self):
        """The runs still waiting for their turn."""
        return tuple(self._waiting)

    def beaten(self, statuses: dict):
        """Note the waiting runs that are gone or were asked to stop."""
        for run_id in tuple(self._waiting):
            if self._asked_to_stop(statuses.get(run_id)):
                self._stopped.add(run_id)


def read_stop(engine, run_id):
    """The run's ``(status, message, stop_requested_at)`` read now; None if gone.

    Read in autocommit: no transaction, so no lock to wait for, and never
    the job's own session, whose transaction would hide the request.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(
            sa.select(Run.status, Run.message, Run.stop_requested_at).where(
                Run.id == run_id
            )
        ).one_or_none()
