# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The worker's database session around a task.

A task's own work is done in the session; a run's life is written beside it
(see :mod:`.endings`). Here: committing the session without forgetting what
it loaded, rolling back whatever state the connection is in, and knowing
whether the session holds uncommitted writes when the database went away.
"""

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from invenio_db import db

logger = get_task_logger(__name__)


SESSION_WROTE = "invenio_jobs.wrote"
"""Key of ``session.info``: the session holds writes not yet committed."""


def _note_flush(session, flush_context):
    session.info[SESSION_WROTE] = True


def _note_statement(state):
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[SESSION_WROTE] = True


def _forget_writes(session):
    session.info.pop(SESSION_WROTE, None)


_SESSION_LISTENERS = (
    ("after_flush", _note_flush),
    ("do_orm_execute", _note_statement),
    ("after_commit", _forget_writes),
    ("after_rollback", _forget_writes),
)


_watching_session = False


def watch_session_writes():
    """Note in ``session.info`` whether the session holds uncommitted writes.

    Only a process that runs tasks reads it (:func:`commit_task_work`), so
    the listeners are added there, at its first run, and never at import:
    the host's other sessions pay nothing for them elsewhere.
    """
    global _watching_session
    if _watching_session:
        return
    for name, listener in _SESSION_LISTENERS:
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)
    _watching_session = True


def release_session():
    """Commit the session's transaction, keeping what it loaded.

    Before a task runs: a connection held idle for the length of a task is
    the one a database restart kills under it; the task and the end of the
    run take fresh ones. After a task: the runs a worker holds (the other
    subtasks of a message) stay loaded, without a read each.
    """
    session = db.session()
    if not session.in_transaction():
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def rollback():
    """Roll the session back; a broken connection is left to the next query."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 -- nothing to roll back on a dead connection
        logger.warning("Could not roll back the session.", exc_info=True)


def commit_or_rollback():
    """Keep the work of a task that partly succeeded, if it can be kept."""
    try:
        db.session.commit()
    except Exception:  # noqa: BLE001 -- a broken transaction is dropped
        rollback()
