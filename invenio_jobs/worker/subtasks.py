# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The subtasks of one message, run one after the other by one worker.

``run_subtasks`` is the body of the ``execute_subtasks`` task: one claim for
all, each subtask a run of its own (its log, its counters, its stop), and at
the end one UPDATE per distinct outcome and one count on each parent.
"""

import uuid

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from flask import current_app
from invenio_db import db

from .. import lifecycle
from ..database import is_unreachable, retry_through_outage
from ..lifecycle import EntryCounts
from ..logging import capture_run_logs, set_job_context
from ..models import Run, RunStatusEnum
from ..runtime import KeepAlive
from .context import acting_user_id, job_context, run_context, worker_name
from .endings import WORKER_OUTAGE, finish_parent, write_run
from .outcomes import close_context, execute_body, last_counts
from .session import release_session, rollback

logger = get_task_logger(__name__)


def run_subtasks(request, run_ids, timeout=None, identity_id=None):
    """Claim the subtasks of one message and run them one after the other.

    One claim for all, and at the end one UPDATE per distinct outcome, one
    count on the parent and one look at whether the parent has ended: a few
    statements per message, however many subtasks it carries. Each subtask
    is a run of its own: its log, its counters, its stop.
    """
    worker = worker_name(request)
    ids = [uuid.UUID(str(run_id)) for run_id in run_ids]

    def claim():
        claimed = lifecycle.claim_subtasks(ids, worker, db.session)
        release_session()
        return claimed

    try:
        runs = retry_through_outage(
            claim,
            current_app.config["JOBS_OUTCOME_WRITE_SECONDS"],
            WORKER_OUTAGE,
            db.session.rollback,
        )
    except sa.exc.SQLAlchemyError as exc:
        if not is_unreachable(exc):
            raise
        logger.error("Subtasks %s: not claimed, the database is unreachable.", ids)
        return
    outcomes = []
    heartbeat = current_app.config["JOBS_HEARTBEAT_SECONDS"]
    try:
        with KeepAlive(db.engine, [run.id for run in runs], heartbeat) as waiting:
            for run in runs:
                if not waiting.started(run.id):
                    stopped = (RunStatusEnum.CANCELLED, "Stopped before it started.")
                    outcomes.append((run, (*stopped, {})))
                    continue
                outcomes.append(_execute_subtask(request, run, timeout, identity_id))
    finally:
        _end_subtasks(outcomes)


def _execute_subtask(request, run: Run, timeout, identity_id):
    """Run one claimed subtask's task with its log captured.

    Returns ``(run, (status, message, values))``, its last counts in the
    values (written by the statement that ends it).
    """
    config = current_app.config
    identity_id = acting_user_id(run, identity_id)
    with (
        set_job_context(job_context(run, identity_id, request)),
        capture_run_logs(db.engine, run.id, config) as log_buffer,
    ):
        context = run_context(run, timeout, log_buffer, identity_id).start()
        try:
            outcome = execute_body(run, None, timeout=timeout)
        finally:
            close_context(context, run.id)
    status, message, _ = outcome or (RunStatusEnum.SUCCESS, None, {})
    return run, (status, message, {"counts": last_counts(context, outcome)})


def _end_subtasks(outcomes):
    """Record how the subtasks of a message ended, count them on their parents.

    Subtasks that ended alike are ended by one UPDATE; each parent gets one
    count, and ends if that was its last subtask.
    """
    if not outcomes:
        return
    alike: dict = {}
    for run, (status, message, values) in outcomes:
        counts = values.get("counts") or EntryCounts()
        key = (run.parent_run_id, status, message, counts.key())
        alike.setdefault(key, (counts, []))[1].append(run.id)

    def write(conn):
        ended_by_parent: dict = {}
        for (parent_id, status, message, _), (counts, run_ids) in alike.items():
            values = counts.assignments()
            ended = lifecycle.finish_many(
                run_ids, status, message, connection=conn, **values
            )
            total, failed = ended_by_parent.get(parent_id, (0, 0))
            failed += ended if status is not RunStatusEnum.SUCCESS else 0
            ended_by_parent[parent_id] = (total + ended, failed)
        return [
            parent_id
            for parent_id, (ended, failed) in ended_by_parent.items()
            if parent_id is not None
            and ended
            and lifecycle.count_subtasks(parent_id, ended, failed, conn)
        ]

    try:
        ready = write_run(write)
    except Exception:  # noqa: BLE001 -- the maintenance task fails them later
        rollback()
        logger.exception("Subtasks %s: could not record their end.", alike)
        return
    for parent_id in ready:
        finish_parent(parent_id)
