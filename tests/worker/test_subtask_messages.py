# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Subtasks sent several per message: each is still a run of its own.

A worker claims the subtasks of a message at once and runs them one after
the other (``execute_subtasks``); these tests check what that must not
change: each ends with its own outcome and counts, a stop reaches one
waiting for its turn, and the parent ends with the last of them.
"""

import threading
import time
import uuid

import pytest
from invenio_access.permissions import system_identity

from invenio_jobs import lifecycle
from invenio_jobs.models import Run, RunStatusEnum, RunTrigger
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.tasks import execute_subtasks
from invenio_jobs.worker.dispatch import messages_of


@pytest.fixture(scope="module")
def app_config(app_config):
    """Heartbeats every tenth of a second, so that a stop is seen quickly."""
    app_config["JOBS_HEARTBEAT_SECONDS"] = 0.1
    return app_config


def parent_with_children(db, *specs):
    """A running parent with QUEUED children of one message (one task id)."""
    job_id = uuid.UUID(
        current_jobs_service.create(
            system_identity, {"title": "Parent", "task": "mock_fan_out"}
        ).id
    )
    parent = lifecycle.queued_run(job_id, None, {}, "celery", RunTrigger.MANUAL)
    parent.update(status=RunStatusEnum.RUNNING)
    lifecycle.insert_run(parent, db.session)
    task_id = str(uuid.uuid4())
    children = []
    for task, kwargs in specs:
        spec = {"task": task, "args": [], "kwargs": kwargs}
        child = lifecycle.queued_run(
            job_id,
            None,
            spec,
            "celery",
            RunTrigger.SUBTASK,
            parent_run_id=parent["id"],
        )
        child["task_id"] = task_id
        children.append(child)
    lifecycle.add_subtasks(parent["id"], children, db.session.connection())
    lifecycle.mark_task_finished(parent["id"])
    db.session.commit()
    return parent["id"], [child["id"] for child in children]


def stored(db, run_id) -> Run:
    """The run as stored now."""
    db.session.expire_all()
    return db.session.get(Run, run_id)


def test_a_message_runs_each_subtask_as_a_run_of_its_own(app, db):
    """Outcomes, counts and messages are each subtask's; the parent ends last."""
    parent_id, ids = parent_with_children(
        db,
        ("mock_module.child_task", {"index": 0}),
        ("mock_module.child_task", {"index": 1, "fail": True}),
        ("mock_module.controlled", {"steps": 4, "partial": 2}),
    )
    execute_subtasks.apply(args=([str(i) for i in ids], None))
    first, failed, partial = (stored(db, run_id) for run_id in ids)
    assert first.status is RunStatusEnum.SUCCESS
    assert first.updated_entries == 1 and first.message is None
    assert failed.status is RunStatusEnum.FAILED
    assert "child 1 failed" in failed.message
    assert partial.status is RunStatusEnum.PARTIAL_SUCCESS
    assert (partial.total_entries, partial.inserted_entries) == (4, 4)
    assert partial.errored_entries == 2
    parent = stored(db, parent_id)
    assert (parent.completed_subtasks, parent.failed_subtasks) == (3, 2)
    assert parent.status is RunStatusEnum.PARTIAL_SUCCESS


def test_a_subtask_stopped_while_waiting_its_turn_does_not_run(app, db, tmp_path):
    """Asked to stop while an earlier one of its message runs: CANCELLED, not run."""
    marker = tmp_path / "ran"
    parent_id, ids = parent_with_children(
        db,
        ("mock_module.controlled", {"sleep": 1.0, "steps": 10}),
        ("mock_module.controlled", {"marker": str(marker)}),
    )
    waiting = ids[1]
    engine = db.engine

    def stop_the_second():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.begin() as conn:
                status = conn.execute(
                    Run.__table__.select().where(Run.id == waiting)
                ).first()
            if status is not None and status.status is RunStatusEnum.RUNNING:
                break
            time.sleep(0.02)
        with engine.begin() as conn:
            lifecycle.transition(
                waiting, RunStatusEnum.CANCELLING, connection=conn, message="stop"
            )

    stopper = threading.Thread(target=stop_the_second)
    stopper.start()
    execute_subtasks.apply(args=([str(i) for i in ids], None))
    stopper.join()
    assert stored(db, ids[0]).status is RunStatusEnum.SUCCESS
    second = stored(db, waiting)
    assert second.status is RunStatusEnum.CANCELLED
    assert second.message == "Stopped before it started."
    assert not marker.exists()
    assert stored(db, parent_id).completed_subtasks == 2


def test_subtasks_of_one_message_are_sent_again_together():
    """Runs that share a task id make one message again; others one each."""

    class Row:
        def __init__(self, task_id, queue="celery"):
            self.id, self.task_id, self.queue = uuid.uuid4(), task_id, queue
            self.started_by_id = None

    shared = [Row("message-1"), Row("message-1"), Row("message-1")]
    alone = Row("message-2")
    messages = messages_of([*shared, alone], lambda row: 30)
    assert [m.task_id for m in messages] == ["message-1", "message-2"]
    assert messages[0].run_ids == tuple(row.id for row in shared)
    assert messages[1].run_ids == (alone.id,) and not messages[1].batch
    assert messages[1].timeout == 30
