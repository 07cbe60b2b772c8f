# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Runs whose message was handed to the broker and then lost: found by task id.

A queued run whose message was sent ``JOBS_REDISPATCH_AFTER_SECONDS`` ago
and that no worker has taken is looked for where a message can be, and
only one found nowhere is sent again:

1. the runs are read (QUEUED, sent long enough ago);
2. the broker is read for their task ids (Redis: every queue and the
   unacknowledged messages; other brokers: how many messages each queue
   holds, and only a run whose queue holds none counts as missing);
3. the live workers are asked which task ids they hold;
4. the runs are read again: one a worker claimed meanwhile is left out.

Read in this order, a message moving between places (from the queue to a
worker, from a worker to a claim) is always seen in one of them: a backlog
is never sent twice, however many other messages share its queue. A
message a dead worker held unacknowledged (Redis keeps it for
``visibility_timeout``, an hour by default) is put back in its queue; a
message nowhere is sent again under the same task id, and marked sent
anew. RabbitMQ puts back the unacknowledged messages of a worker whose
connection closes by itself.
"""

from datetime import timedelta

import sqlalchemy as sa
from celery import current_app as current_celery_app
from flask import current_app
from invenio_db import db
from sqlalchemy.orm import joinedload

from ..broker import (
    BROKER_OUTAGE,
    find_messages,
    held_by_workers,
    is_broker_unreachable,
    restore_unacked,
)
from ..models import Run, RunStatusEnum
from .dispatch import messages_of, send_runs

BATCH = 500
"""Most runs looked for per pass; the oldest first."""


def redeliver_lost(now) -> dict:
    """Put back or send again the messages of runs that no one holds.

    Returns ``{"resent": n, "restored": m}``. One statement when no run
    waits longer than ``JOBS_REDISPATCH_AFTER_SECONDS``; then one script
    on Redis, one question to the workers, one statement, and the sending.
    While the broker is away, logs one line per outage and does nothing.
    """
    counts = {"resent": 0, "restored": 0}
    after = timedelta(seconds=current_app.config["JOBS_REDISPATCH_AFTER_SECONDS"])
    candidates = db.session.scalars(
        sa.select(Run)
        .options(joinedload(Run.job))  # the job gives each run's time limit
        .where(
            Run.status == RunStatusEnum.QUEUED,
            # Subtasks without a task id are sent by the module that made them.
            Run.task_id.is_not(None),
            Run.dispatched_at < now - after,
        )
        .order_by(Run.dispatched_at)
        .limit(BATCH)
    ).all()
    db.session.commit()
    if not candidates:
        return counts
    by_task: dict = {}
    for run in candidates:
        by_task.setdefault(run.task_id, []).append(run)
    try:
        missing, dead_tags = _missing(by_task)
    except Exception as error:
        if not is_broker_unreachable(error):
            raise
        BROKER_OUTAGE.failed(error, current_app.config["JOBS_MAINTENANCE_INTERVAL"])
        return counts
    BROKER_OUTAGE.recovered()
    if not missing:
        return counts
    waiting = _still_waiting([run for task in missing for run in by_task[task]])
    missing = [task for task in missing if all(r.id in waiting for r in by_task[task])]
    tags = [dead_tags[task] for task in missing if task in dead_tags]
    lost = [run for task in missing if task not in dead_tags for run in by_task[task]]
    if tags:
        counts["restored"] = restore_unacked(current_celery_app, tags)
        current_app.logger.warning(
            "Put %d message(s) back in their queues: a worker that is gone "
            "held them unacknowledged.",
            counts["restored"],
        )
    if lost:
        dispatches = messages_of(lost, lambda run: run.job.timeout)
        counts["resent"] = len(send_runs(dispatches))
        if counts["resent"]:
            current_app.logger.warning(
                "Sent %d run(s) again: their messages were nowhere in the "
                "broker or the workers.",
                counts["resent"],
            )
    return counts


def _missing(by_task: dict) -> tuple[list, dict]:
    """The task ids no live worker holds and no queue holds; the dead ones' tags.

    A task id in the unacknowledged messages that no live worker holds was
    held by a worker that is gone: it is missing, with its delivery tag.
    """
    queues = {runs[0].queue for runs in by_task.values()}
    found = find_messages(current_celery_app, queues, by_task)
    if found.searched:
        missing = [task for task in by_task if task not in found.queued]
    else:
        empty = {queue for queue in queues if not found.depths.get(queue)}
        missing = [task for task, runs in by_task.items() if runs[0].queue in empty]
    if not missing:
        return [], {}
    held = held_by_workers(current_celery_app)
    missing = [task for task in missing if task not in held]
    return missing, {
        task: found.unacked[task] for task in missing if task in found.unacked
    }


def _still_waiting(runs) -> set:
    """The ids of these runs that are still QUEUED with the same task id."""
    waiting = set(
        db.session.execute(
            sa.select(Run.id, Run.task_id).where(
                Run.id.in_([run.id for run in runs]),
                Run.status == RunStatusEnum.QUEUED,
            )
        )
        .tuples()
        .all()
    )
    db.session.commit()
    return {run.id for run in runs if (run.id, run.task_id) in waiting}
