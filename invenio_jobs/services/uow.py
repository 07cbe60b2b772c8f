# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Unit-of-work operations: what a service does once its change is committed."""

from functools import wraps

from celery import current_app as current_celery_app
from flask import current_app
from invenio_db import db
from invenio_db.uow import Operation, UnitOfWork
from invenio_records_resources.services.uow import TaskRevokeOp

from ..worker.dispatch import send_runs
from ..worker.notifications import notify_run_end


class SessionUnitOfWork(UnitOfWork):
    """invenio-db's unit of work, without the SAVEPOINT it opens on entry.

    ``Session.commit()`` and ``Session.rollback()`` act on the outermost
    transaction whatever nested one is open, so that SAVEPOINT protects
    nothing here; it only costs two statements per call (SAVEPOINT and
    RELEASE), a third of what starting a run costs.
    """

    alone = False
    """The service's own unit of work, begun outside any transaction: a
    method whose only write is one statement may let it commit by itself
    (see :func:`unit_of_work`)."""

    def __enter__(self):
        """Enter without a nested transaction."""
        return self


def unit_of_work():
    """Give a service method a unit of work when its caller passes none.

    The same contract as ``invenio_db.uow.unit_of_work`` (a caller's ``uow``
    is used as it is, and committed by the caller), with
    :class:`SessionUnitOfWork` for the services' own.
    """

    def decorator(method):
        @wraps(method)
        def inner(self, *args, **kwargs):
            if kwargs.get("uow") is not None:
                return method(self, *args, **kwargs)
            with SessionUnitOfWork(db.session) as uow:
                uow.alone = not db.session().in_transaction()
                kwargs["uow"] = uow
                result = method(self, *args, **kwargs)
                uow.commit()
                return result

        return inner

    return decorator


class DispatchRunsOp(Operation):
    """Send queued runs to the workers once they are committed."""

    def __init__(self, dispatches):
        """Keep what to send."""
        self.dispatches = list(dispatches)

    def on_post_commit(self, uow):
        """Send; a run that cannot be sent now is sent again by the reaper."""
        send_runs(self.dispatches)


class NotifyRunEndOp(Operation):
    """Notify the job's subscribers of a run's end, once it is committed."""

    def __init__(self, run_id):
        """Keep the run id."""
        self.run_id = run_id

    def on_post_commit(self, uow):
        """Send the notification if the job asks for one."""
        notify_run_end(self.run_id)


class RevokeTaskOp(TaskRevokeOp):
    """Revoke a run's Celery task once the change is committed.

    invenio-records-resources' operation always terminates and lets a broker
    error fail the request; a stopped run's status already says everything,
    so here terminating is a choice and a broker that is down is only logged.
    """

    def __init__(self, task_id: str, terminate: bool = False):
        """Keep the task id; ``terminate`` kills a task already running."""
        super().__init__(task_id)
        self.terminate = terminate

    def on_post_commit(self, uow):
        """Broadcast the revoke; a broker that is down must not fail the request."""
        try:
            current_celery_app.control.revoke(self.task_id, terminate=self.terminate)
        except Exception:  # noqa: BLE001 -- the run's status already says it all
            current_app.logger.warning(
                "Could not revoke Celery task %s", self.task_id, exc_info=True
            )
