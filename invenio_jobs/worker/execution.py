# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""One run, top to bottom: claim, prepare, perform, judge, record, notify, free.

``run`` is the body of InvenioRDM's ``execute_run`` task. The claim is one
conditional UPDATE (QUEUED -> RUNNING) that also reads the run, its job and
the ``since`` of its arguments, so that a message delivered twice, or a run
stopped before a worker took it, runs nothing. Once claimed, the run always
ends here with a status, a message and ``finished_at``; a run of a pooled
job then gives its slot to the next run waiting for one.
"""

import uuid

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..database import (
    is_unreachable,
    one_statement,
    retry_through_outage,
    speaks_postgresql,
)
from ..logging import capture_run_logs, set_job_context
from ..models import Run, RunStatusEnum
from .context import acting_user_id, job_context, run_context, worker_name
from .dispatch import free_slot_of
from .endings import (
    WORKER_OUTAGE,
    end_subtask,
    finish,
    finish_or_leave,
    finish_parent,
    write_run,
)
from .outcomes import RETRIED, close_context, execute_body, failure_message, last_counts
from .session import release_session, rollback

logger = get_task_logger(__name__)


def run(request, run_id, identity_id=None):
    """Claim a queued run, run its task with its log captured, record the end.

    Once claimed, the run always ends here: a fault anywhere after the claim
    ends it FAILED with that fault, rather than leaving it RUNNING until the
    maintenance task calls it lost.
    """
    run_uuid = uuid.UUID(str(run_id))
    worker = worker_name(request)
    try:
        claimed = _claim(run_uuid, worker)
    except sa.exc.SQLAlchemyError as exc:
        if not is_unreachable(exc):
            raise
        # Its message is used up: the maintenance task finds it missing
        # from the queue and sends it again once the database is back.
        logger.error("Run %s: not claimed, the database is unreachable.", run_uuid)
        return
    if not claimed:
        logger.info("Run %s is not queued any more; nothing to do.", run_uuid)
        return
    try:
        _execute_claimed(request, claimed, identity_id)
    except Exception as exc:  # noqa: BLE001 -- the run must still end
        rollback()
        logger.exception("Run %s: failed outside its task.", run_uuid)
        finish_or_leave(run_uuid, RunStatusEnum.FAILED, failure_message(exc))
    # Its pool's next run starts now, not at the beat's next look.
    free_slot_of(claimed[1])


def _claim(run_id, worker):
    """Claim a queued run and read what running it takes: one statement.

    Returns ``(run, job, since)`` (see :func:`lifecycle.claim_and_read`),
    committed, the objects kept loaded; None when the run is not queued any
    more. Retried through a database outage.
    """

    def attempt():
        if speaks_postgresql(db.engine):
            claimed = one_statement(
                db.engine,
                lambda conn: lifecycle.claim_and_read(run_id, worker, db.session, conn),
            )
        else:
            claimed = lifecycle.claim_and_read(run_id, worker, db.session)
        release_session()
        return claimed

    return retry_through_outage(
        attempt,
        current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
        WORKER_OUTAGE,
        db.session.rollback,
    )


def _execute_claimed(request, claimed, identity_id):
    """Run a claimed run's task with its log captured, and record how it ended.

    Read now what the end needs: after the task the session's objects may
    be expired, and the database away.
    """
    config = current_app.config
    run, job, since = claimed
    run_uuid, parent_run_id = run.id, run.parent_run_id
    # Only a top-level run notifies (a subtask's end is its parent's news).
    notifications = job.notifications if parent_run_id is None else None
    identity_id = acting_user_id(run, identity_id)
    context_of_job = job_context(run, identity_id, request)
    with (
        set_job_context(context_of_job),
        capture_run_logs(db.engine, run.id, config) as log_buffer,
    ):
        context = run_context(run, job.timeout, log_buffer, identity_id).start()
        try:
            outcome = execute_body(run, job, since, job.timeout)
        finally:
            close_context(context, run_uuid)
    # The last counts are written by the statement that ends the run.
    last = last_counts(context, outcome)
    if outcome is RETRIED:
        counts = last.assignments()
        if counts:
            write_run(
                lambda conn: conn.execute(
                    sa.update(Run).where(Run.id == run_uuid).values(**counts)
                )
            )
        return
    status, message, _ = outcome or (RunStatusEnum.SUCCESS, None, {})
    if parent_run_id is None and status in (
        RunStatusEnum.SUCCESS,
        RunStatusEnum.PARTIAL_SUCCESS,
    ):
        if finish(
            run_uuid, status, message, notifications, counts=last, without_subtasks=True
        ):
            return
        # Not ended: it has subtasks, and ends with them, no better than
        # its task did (or it is not running any more, and this is a no-op).
        counts = last.assignments()
        write_run(
            lambda conn: lifecycle.mark_task_finished(
                run_uuid, message, connection=conn, **counts
            )
        )
        finish_parent(run_uuid, notifications)
        return
    finish(run_uuid, status, message, notifications, counts=last)
    if parent_run_id is not None:
        end_subtask(parent_run_id, succeeded=status is RunStatusEnum.SUCCESS)
