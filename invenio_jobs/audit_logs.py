# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs' history, also sent to invenio-audit-logs where an instance has it.

InvenioRDM instances that install invenio-audit-logs (and switch it on with
its ``AUDIT_LOGS_ENABLED``) keep one audit trail of records, communities and
files; the changes to jobs and the actions on their runs belong in it too.
Each entry of ``jobs_job_event`` is then also handed to the audit-logs
service as one of the actions this package declares through that module's
``invenio_audit_logs.actions`` entry points
(:mod:`invenio_jobs.audit_log_actions`).

How it is written, and what needs a search server:

- The audit-log row (``audit_logs_metadata``) is written in the transaction
  of the change, in a SAVEPOINT of its own: a change rolled back leaves no
  audit-log entry, and an audit-log entry that cannot be written (a schema
  the module changed, a table missing) is one warning line and never stops
  the change. The jobs' own history is the record that always holds.
- Its search document is created after the commit, as invenio-audit-logs
  does for its own entries. Only that step needs the search server; when
  it fails, one warning line says so, the entries of the next minute are
  not sent to it either (a server that hangs would cost every change its
  timeout), and the rows stay in the database, where the audit-logs
  service's ``rebuild_index`` finds them.

Nothing here imports invenio-audit-logs: only an app that loaded its
extension forwards anything, so an instance without it pays one dict lookup
per history entry.
"""

import logging
import time

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import scoped_session

logger = logging.getLogger(__name__)

AUDIT_LOGS_EXTENSION = "invenio-audit-logs"
"""The key under which invenio-audit-logs registers its extension."""

AUDIT_ACTION_IDS = {
    "created": "job.create",
    "updated": "job.update",
    "activated": "job.activate",
    "deactivated": "job.deactivate",
    "run_as_changed": "job.run_as",
    "deleted": "job.delete",
    "granted": "job.grant",
    "revoked": "job.revoke",
    "run_started": "job.run_now",
    "run_stopped": "job.run_stop",
    "run_again": "job.run_again",
}
"""The audit-log action of each kind of history entry (by its ``action``).

Named as InvenioRDM names its own (``draft.create``, ``record.publish``):
the resource type, then what was done to it.
"""

_PENDING = "invenio_jobs.audit_log_writes"
"""Where a session keeps the audit-log entries written in its transaction."""

_LISTENING = "invenio_jobs.audit_log_listening"
"""Set on a session once it indexes its audit-log entries after commit."""


def audit_logs_extension():
    """invenio-audit-logs' extension when entries are to be sent to it; else None.

    Sent when the module is installed and loaded by the app, switched on by
    its own ``AUDIT_LOGS_ENABLED``, and ``JOBS_AUDIT_LOGS_ENABLED`` is on.
    """
    if not has_app_context():
        return None
    app = current_app
    extension = app.extensions.get(AUDIT_LOGS_EXTENSION)
    if extension is None:
        return None
    if not app.config.get("JOBS_AUDIT_LOGS_ENABLED", True):
        return None
    if not app.config.get("AUDIT_LOGS_ENABLED", False):
        return None
    return extension


class Actor:
    """Who made a change, as invenio-audit-logs' actions read an identity.

    Its ``build`` takes an identity only for its ``id``; a history entry
    knows the user id (none: the system), not the identity it came with.
    """

    SYSTEM = "system"
    """The user id invenio-audit-logs and InvenioRDM give the system."""

    def __init__(self, user_id):
        """Keep the user id (None: the system)."""
        self.id = user_id if user_id is not None else self.SYSTEM


def forward_job_event(event, session) -> bool:
    """Send a history entry to invenio-audit-logs, in ``session``'s transaction.

    True when an audit-log entry was written. Called for every entry as it
    is added (:func:`invenio_jobs.job_events.add_job_event`).
    """
    extension = audit_logs_extension()
    if extension is None:
        return False
    action_id = AUDIT_ACTION_IDS.get(event.action)
    action = extension.actions_registry.get(action_id)
    if action is None:
        logger.warning(
            "invenio-audit-logs has no action %s (is invenio-jobs installed with "
            "its entry points?); the history entry is kept, not sent",
            action_id,
        )
        return False
    from invenio_access.permissions import system_identity

    if isinstance(session, scoped_session):  # listen on this session, not all
        session = session()
    writes = AuditLogWrites(session)
    # The change's own pending writes first, outside the guard below: a
    # failure of theirs is the change's, and must reach its caller as before.
    session.flush()
    try:
        with session.begin_nested():
            data = action.build(Actor(event.user_id), str(event.job_id), event=event)
            if data is None:  # switched off in the meantime
                return False
            written = extension.audit_log_service.create(
                system_identity, data, uow=writes
            )
    except Exception as exc:  # noqa: BLE001 -- the change must not fail for it
        logger.warning(
            "Could not write the audit-log entry %s of job %s: %s",
            action_id,
            event.job_id,
            exc,
        )
        return False
    if written is None:  # an action the instance disabled
        return False
    writes.index_after_commit()
    return True


class AuditLogWrites:
    """The unit of work the audit-logs service writes its entries in.

    invenio-audit-logs' service expects invenio-records-resources' unit of
    work, which commits by itself; the entry must instead join the
    transaction of the change it records. Operations registered here write
    their rows at once (``on_register``) and do their after-commit part
    (creating the search document) when that transaction commits.
    """

    def __init__(self, session):
        """Write in ``session``'s transaction."""
        self.session = session
        self.operations = []

    def register(self, operation):
        """Do the operation's write now; its after-commit part at commit."""
        operation.on_register(self)
        self.operations.append(operation)

    def index_after_commit(self):
        """Hand the operations to the session, to run when it commits."""
        session = self.session
        session.info.setdefault(_PENDING, []).extend(self.operations)
        if not session.info.get(_LISTENING):
            sa.event.listen(session, "after_commit", _after_commit)
            sa.event.listen(session, "after_rollback", _after_rollback)
            session.info[_LISTENING] = True


SEARCH_RETRY_SECONDS = 60
"""After the search server failed, how long entries are left unindexed.

A server that is down or hangs would otherwise cost each change to a job
the search client's timeout and a traceback of its own; the entries of
that time stay in the database for ``rebuild_index``.
"""

_search_down_until = 0.0
"""Monotonic time until which indexing is not tried (0: it is tried)."""


def _after_commit(session):
    """Create the search documents of the audit-log entries just committed.

    The search server is the one part that may be missing: when it fails,
    one warning line says so, the request goes on, and no entry is indexed
    for :data:`SEARCH_RETRY_SECONDS`.
    """
    global _search_down_until
    operations = session.info.pop(_PENDING, [])
    if not operations or time.monotonic() < _search_down_until:
        return
    for operation in operations:
        try:
            operation.on_commit(None)
        except Exception as exc:  # noqa: BLE001 -- the rows are committed
            _search_down_until = time.monotonic() + SEARCH_RETRY_SECONDS
            logger.warning(
                "Audit-log entries written but not indexed for %s s (search "
                "server: %s); the audit-logs service's rebuild_index indexes "
                "them later",
                SEARCH_RETRY_SECONDS,
                exc,
            )
            return


def _after_rollback(session):
    """Forget the audit-log entries of a transaction rolled back."""
    session.info.pop(_PENDING, None)
