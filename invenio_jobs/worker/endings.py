# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Recording how a run ended: the write that ends it, its parent's count, a retry.

Every write of a run's end goes through :func:`write_run`, retried through a
database outage for ``JOBS_OUTCOME_WRITE_SECONDS`` so that what a run
reached is what is recorded; then the job's subscribers are notified.
"""

import time

from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..database import Outage, one_statement, speaks_postgresql, write_run_rows
from .notifications import NOT_READ, notify_run_end
from .session import rollback

logger = get_task_logger(__name__)


WORKER_OUTAGE = Outage("Worker")


def write_run(write, single=False):
    """Run ``write(connection)``, one short write of a run's life, and commit.

    Through a database restart or outage it is retried on fresh
    connections for up to ``JOBS_OUTCOME_WRITE_SECONDS``, so that what a
    run reached is recorded rather than lost with a dead connection. On
    SQLite (one writer, no server to lose) it is the session's connection.
    ``single``: the write is one statement (see :func:`one_statement`).
    """
    return write_run_rows(
        db.engine,
        write,
        commit_session=True,
        single=single,
        outage=WORKER_OUTAGE,
        deadline_seconds=current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
    )


_NO_CHAINING_UNTIL = [0.0]
"""Until when (``time.monotonic``) this process trusts its last look, which found
that no job runs after another (``JOBS_RUN_AFTER_LOOK_SECONDS``)."""


def chaining_in_use() -> bool:
    """Whether any job runs after another; "no" is trusted for an interval.

    So that the end of a run costs no statement where no job runs after
    another. A link saved since the last look is seen at the next; an end
    in between is started by the maintenance task's catch-up. Where jobs
    do run after others, each end looks (one cheap probe).
    """
    now = time.monotonic()
    if now < _NO_CHAINING_UNTIL[0]:
        return False
    probe = lifecycle.chaining.any_job_runs_after
    if speaks_postgresql(db.engine):
        in_use = one_statement(db.engine, probe)
    else:
        in_use = probe(db.session.connection())
    if not in_use:
        _NO_CHAINING_UNTIL[0] = now + current_app.config["JOBS_RUN_AFTER_LOOK_SECONDS"]
    return in_use


def start_runs_after(run_id) -> list:
    """Start the runs of the jobs that run after the one whose run ended.

    Its own short write, after the end's: a worker that dies in between
    leaves it to the maintenance task's catch-up (:func:`catch_up_ends`),
    and the database keeps the two from starting a run twice.
    """
    try:
        if not chaining_in_use():
            return []
        return write_run(lambda conn: lifecycle.start_after(run_id, conn)) or []
    except Exception:  # noqa: BLE001 -- the run has ended: the catch-up will start them
        rollback()
        logger.warning(
            "Could not start the runs after %s; the maintenance task will.", run_id
        )
        return []


def catch_up_ends(since, until) -> int:
    """Start the runs that recent ends should have started; how many were missing.

    For the ends whose recorder died before it started them; an end whose
    runs exist starts nothing more. Ends older than the job run after them
    (as last saved) start nothing: a new link does not start runs for the past.
    """
    started = 0
    for run_id in lifecycle.chaining.recent_ends(since, until, db.session.connection()):
        started += len(
            write_run(
                lambda conn, run_id=run_id: lifecycle.chaining.start_after(
                    run_id, conn, catching_up=True
                )
            )
            or []
        )
    db.session.commit()
    return started


def notified(moved, run_id, status=None, notifications=NOT_READ):
    """Notify whom the job asks to when a step ended the run; return ``moved``.

    A caller that knows the status the run ended with and its job's
    notification settings passes them, and saves the notification its read.
    The jobs that run after the run's job are started first.
    """
    if moved:
        start_runs_after(run_id)
        try:
            notify_run_end(run_id, status, notifications)
        except Exception:  # noqa: BLE001 -- the run has ended: keep it so
            rollback()
            logger.warning("Could not notify the end of %s", run_id, exc_info=True)
    return moved


def ended(moved: bool, run_id) -> bool:
    """Commit a step that may have ended a run; notify whom the job asks to."""
    db.session.commit()
    return notified(moved, run_id)


def finish(run_id, status, message=None, notifications=NOT_READ, **values) -> bool:
    """End a run that this worker holds (retried through an outage), notify.

    ``without_subtasks=True`` (in ``values``) ends it only if it has none.
    """

    def write(conn):
        return lifecycle.finish(run_id, status, message, connection=conn, **values)

    return notified(write_run(write, single=True), run_id, status, notifications)


def finish_or_leave(run_id, status, message=None, **values) -> bool:
    """End a run; when even that fails, log it and leave the run to the reaper."""
    try:
        return finish(run_id, status, message, **values)
    except Exception:  # noqa: BLE001 -- nothing more can be done here
        rollback()
        logger.exception(
            "Run %s: could not be ended as %s; the maintenance task will fail it.",
            run_id,
            status.name,
        )
        return False


def finish_parent(parent_id, notifications=NOT_READ) -> bool:
    """End a parent run if its task and all its subtasks have ended; notify.

    ``notifications``: its job's settings, when the caller has them.
    """
    status = write_run_rows(
        db.engine,
        lambda conn: lifecycle.finish_parent(parent_id, conn),
        commit_session=True,
        single=True,
    )
    if status is not None:
        start_runs_after(parent_id)
        notify_run_end(parent_id, status, notifications)
    return status is not None


def end_subtask(parent_run_id, succeeded: bool):
    """Count an ended subtask on its parent, which may end with it."""
    if write_run(lambda conn: lifecycle.count_subtask(parent_run_id, succeeded, conn)):
        finish_parent(parent_run_id)
