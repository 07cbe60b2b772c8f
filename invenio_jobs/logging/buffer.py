# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pending log lines of one run, and the chunks a writer takes from them.

Logging costs the job as little as possible: its thread only puts a few
plain values on the run's queue (:meth:`RunLogBuffer.add`). A writer
(``writer``) takes them off in order and formats them a chunk at a time,
as COPY text or as rows for an INSERT (:meth:`RunLogBuffer.take_chunk`);
a chunk it could not store is handed back and goes first at the next try.
Those methods are the writers' whole interface: nothing outside this
module reads the buffer's private fields.
"""

import itertools
import json
import threading
import time
from collections import deque
from datetime import datetime, timezone

from .jobs import EMPTY_JOB_CTX

BACKLOG_BATCHES = 50
"""A job waits for the writer when its run has this many batches pending."""

_CONTEXT_CACHE_SIZE = 10_000
"""Distinct line keys remembered (levels, loggers, call sites, tasks)."""

COPY_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""}
)
"""What COPY's text format needs escaped in a value (NUL cannot be stored)."""

_NOTE_KEY = ("WARNING", "invenio_jobs", None, None, None, None, None)


class RunLogBuffer:
    """The pending log lines of one run.

    ``add`` puts the record on a queue and nothing else. Lines store what is
    their own (module, function, line, thread, and the identity, task and
    parent task of the job context where known); the run's context (run,
    job) is added when they are read. The writer takes records off the
    queue in order, so a line keeps its place by id; a record created a
    little earlier by another thread of the job but queued later takes the
    time of the line before it, so that the log's order by id and its order
    by time are the same.
    """

    def __init__(
        self, engine, run_id, flush_records, flush_seconds, limit, wait_seconds=90.0
    ):
        """Bind to a run; the writer is given by :meth:`serve_with`."""
        self.engine = engine
        self.run_id = run_id
        self.flush_records = max(1, int(flush_records))
        self.flush_seconds = flush_seconds
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.stored = 0
        self.last_used = time.monotonic()
        self.released = threading.Event()
        """Set once the writer has stored the closed buffer's last line."""
        self.room = threading.Event()
        """Set by the writer when the backlog is small enough for the job to go on."""
        self.closing = False
        self.backlog = BACKLOG_BATCHES * self.flush_records
        """Queued lines beyond which the job waits for the writer."""
        self._queue = deque()
        self._offered = itertools.count()  # its next() is atomic: exact with threads
        self._kept = []
        self._last_created = 0.0
        self._seen = (EMPTY_JOB_CTX, None)
        self._copy_run_id = str(run_id)
        self._failures = 0
        self._writer = None
        self._every_line = False

    def serve_with(self, writer):
        """Have ``writer`` store this buffer's lines (it registers the buffer)."""
        self._writer = writer
        self._every_line = writer.hears_every_line
        writer.register(self)
        return self

    @property
    def dropped(self) -> int:
        """Lines refused so far because the run reached its limit."""
        return max(0, _peek(self._offered) - self.limit)

    @property
    def pending(self) -> int:
        """Lines queued or taken but not stored yet."""
        queued = sum(1 for entry in list(self._queue) if entry[0] is not None)
        return queued + sum(chunk[1] for chunk in list(self._kept))

    @property
    def queued(self) -> int:
        """Entries on the queue (lines, and the closing note once queued)."""
        return len(self._queue)

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
        if self._every_line or len(queue) >= self.flush_records:
            self._writer.queued(self, len(queue))

    def flush(self):
        """Have what is pending written soon; cheap, called by the run's pulse."""
        self._writer.flush(self)

    def close(self):
        """Return once every line is stored, with a last one for the dropped lines.

        While the database is unreachable the wait is bounded by
        ``wait_seconds``; the writer keeps the lines and stores them when
        it is back.
        """
        if self.closing:
            return
        self._writer.close(self, self.dropped)

    # -- what writers call --------------------------------------------------------
    def offered_any(self) -> bool:
        """Whether a line was ever logged here, or is kept for a retry."""
        return bool(_peek(self._offered) or self._kept)

    def queue_closing_note(self, dropped: int):
        """End the queue with a line for the ``dropped`` ones, if any."""
        self._queue.append((None, dropped, None, _NOTE_KEY))

    def has_work(self) -> bool:
        """Whether lines are queued, or kept from a failed write."""
        return bool(self._queue or self._kept)

    def batch_due(self) -> bool:
        """Whether a full batch, or the rest of a closed run, is queued."""
        return self.queued >= self.flush_records or (self.closing and self.queued)

    def finished(self) -> bool:
        """Whether the buffer is closed and nothing is left to write."""
        return self.closing and not self._queue and not self._kept

    def take_kept(self) -> list:
        """The chunks a failed write handed back, taken: they go first."""
        kept, self._kept = self._kept, []
        return kept

    def take_chunk(self, count: int, copy: bool):
        """Format the next ``count`` queued entries into a chunk, taken off the queue.

        A chunk is ``(payload, lines, dropped)``: COPY text (``copy``) or
        rows for an INSERT, its number of lines, and the dropped lines its
        closing note told of. Taking lets a job that waits for room go on.
        """
        queue = self._queue
        chunk = _format(self, [queue.popleft() for _ in range(count)], copy)
        if len(queue) <= self.backlog:
            self.room.set()
        if not queue:
            self.backlog = BACKLOG_BATCHES * self.flush_records
        return chunk

    def keep(self, chunks: list):
        """After a failed write: ``chunks`` go back, first in line for the next try."""
        self._kept = chunks

    def count_stored(self, chunks):
        """After the commit: count the lines of ``chunks`` as stored."""
        self.stored += sum(chunk[1] for chunk in chunks)
        self._failures = 0

    def failed_again(self) -> int:
        """Note a failed write of this buffer's lines alone; how many in a row so far."""
        self._failures += 1
        return self._failures

    def give_up_kept(self) -> int:
        """Drop the chunks kept for a retry; the number of lines given up."""
        lines = sum(chunk[1] for chunk in self._kept)
        self._kept = []
        return lines


def _peek(counter) -> int:
    """The next value of an ``itertools.count``, without taking it."""
    return int(repr(counter)[6:-1])


# -- lines ------------------------------------------------------------------------
_known: dict = {}
"""Per line key (level, logger, call site, task): its context and COPY pieces."""


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
            message = message.translate(COPY_ESCAPES)
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
    text = json.dumps(value).translate(COPY_ESCAPES) if value else "\\N"
    head = f"{level[:10]}\t{name[:255].translate(COPY_ESCAPES)}\t"
    known = _known[key] = (value, head, f"\t{text}\n")
    return known


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
