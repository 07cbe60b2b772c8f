# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's life cycle in one process (Celery in eager mode, SQLite).

The same paths run in real worker processes in ``integration/``; here each
rule of ``execute_run``, ``current_run`` and ``reap_runs`` is checked alone.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from celery import current_app as current_celery_app
from helpers import service_job
from invenio_access.permissions import system_identity

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_runs_service
from invenio_jobs.runtime import current_run
from invenio_jobs.tasks import execute_run, reap_runs, send_due_runs
from invenio_jobs.worker.outcomes import retry_delay


def make_job(**values):
    """A job of the controlled test type, through the service."""
    return service_job(title="Controlled", **values)


def run_now(job_id, **args):
    """Run a job now (executes at once in eager mode); return the run."""
    result = current_runs_service.create(system_identity, job_id, {"args": args})
    return reload(result.id)


def reload(run_id):
    """The run as stored now."""
    from invenio_db import db

    db.session.expire_all()
    return db.session.get(Run, uuid.UUID(str(run_id)))


def retry_until_done(run, backoff=30):
    """Let a retried run's back-off pass, as the beat does, until it ends.

    Each retry waits in the database (QUEUED, not sent, due after the
    back-off): nothing is handed to the broker before it is due.
    """
    from invenio_db import db

    while run.status is RunStatusEnum.QUEUED:
        assert run.dispatched_at is None
        wait = (run.due_at - datetime.now(timezone.utc)).total_seconds()
        assert backoff * 2 ** (run.attempt - 2) - 5 <= wait
        assert send_due_runs() == 0  # not due yet
        run.due_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session.commit()
        assert send_due_runs() == 1
        run = reload(run.id)
    return run


def marker_lines(path):
    """The lines the controlled task wrote, one per execution of its body."""
    return path.read_text().splitlines() if path.exists() else []


def test_success_records_start_end_and_worker(app, db):
    """A run that returns ends SUCCESS with its times and worker."""
    run = run_now(make_job())
    assert run.status is RunStatusEnum.SUCCESS
    assert run.started_at <= run.finished_at
    assert run.worker
    assert run.message is None


def test_since_defaults_to_the_start_of_the_last_successful_run(app, db, tmp_path):
    """``since`` is the last success's start, as an aware UTC datetime."""
    marker = tmp_path / "marker"
    job_id = make_job()
    first = run_now(job_id, marker=str(marker))
    run_now(job_id, marker=str(marker), fail=True)
    run_now(job_id, marker=str(marker))
    lines = marker_lines(marker)
    assert lines[0].split()[0] == "-"
    assert lines[1].split()[0] == first.started_at.isoformat()
    assert lines[2].split()[0] == first.started_at.isoformat()  # failure ignored


def test_explicit_since_wins(app, db, tmp_path):
    """An administrator's ``since`` replaces the default."""
    marker = tmp_path / "marker"
    job_id = make_job()
    run_now(job_id, marker=str(marker))
    run_now(job_id, marker=str(marker), since="2020-01-02T03:04:05+00:00")
    assert marker_lines(marker)[1].split()[0] == "2020-01-02T03:04:05+00:00"


def test_failure_keeps_class_message_and_traceback(app, db):
    """Any exception: FAILED, with what an administrator needs to fix it."""
    run = run_now(make_job(), fail=True)
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("RuntimeError: asked to fail")
    assert "Traceback (most recent call last)" in run.message
    assert run.finished_at is not None


def test_partial_success_counts_errored_entries(app, db):
    """TaskExecutionPartialError ends PARTIAL_SUCCESS with its count."""
    run = run_now(make_job(), partial=4)
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS
    assert run.errored_entries == 4
    assert run.message == "4 entries failed"


@pytest.mark.parametrize(
    "counted, raised, recorded",
    [(3, 3, 3), (0, 3, 3), (2, 5, 5), (4, 1, 4)],
)
def test_a_raised_count_sets_the_errored_entries(app, db, counted, raised, recorded):
    """The raised count is the task's errors in all, not added to its progress.

    Counting each bad entry live and raising the same total records it
    once; a count below what progress reported never lowers it.
    """
    run = run_now(make_job(), counted_errors=counted, partial=raised)
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS
    assert run.errored_entries == recorded


def test_progress_is_recorded(app, db):
    """``current_run.set_total`` and ``progress`` end up on the run."""
    run = run_now(make_job(), steps=7)
    assert run.status is RunStatusEnum.SUCCESS
    assert run.total_entries == 7
    assert run.inserted_entries == 7


def test_timeout_fails_the_run_with_a_clear_message(app, db):
    """A run past the job's timeout ends FAILED "Timed out after N s"."""
    run = run_now(make_job(timeout=1), sleep=3, steps=30)
    assert run.status is RunStatusEnum.FAILED
    assert run.message == "Timed out after 1 s."
    assert run.inserted_entries < 30


def test_retryable_failures_are_retried_up_to_max_retries(app, db, tmp_path):
    """A job type's retryable error queues the same run again, attempt + 1."""
    marker = tmp_path / "marker"
    run = run_now(make_job(max_retries=2), flaky=2, marker=str(marker))
    assert run.status is RunStatusEnum.QUEUED
    run = retry_until_done(run)
    assert run.status is RunStatusEnum.SUCCESS
    assert run.attempt == 3
    assert len(marker_lines(marker)) == 3


def test_retries_stop_at_max_retries(app, db, tmp_path):
    """Out of tries, the run ends FAILED with the last error."""
    marker = tmp_path / "marker"
    run = retry_until_done(
        run_now(make_job(max_retries=1), flaky=5, marker=str(marker))
    )
    assert run.status is RunStatusEnum.FAILED
    assert run.attempt == 2
    assert run.message.startswith("ConnectionError: flaky failure 2")
    assert len(marker_lines(marker)) == 2


def test_non_retryable_failures_are_not_retried(app, db, tmp_path):
    """Only the exceptions the job type lists are retried."""
    marker = tmp_path / "marker"
    run = run_now(make_job(max_retries=3), fail=True, marker=str(marker))
    assert run.status is RunStatusEnum.FAILED
    assert run.attempt == 1
    assert len(marker_lines(marker)) == 1


def test_retry_back_off_doubles_up_to_the_cap(app):
    """30 s, 60 s, 120 s... never more than the maximum."""
    app.config.update(JOBS_RETRY_BACKOFF_SECONDS=30, JOBS_RETRY_BACKOFF_MAX_SECONDS=100)
    assert [retry_delay(a) for a in (1, 2, 3, 4)] == [30, 60, 100, 100]
    app.config.update(
        JOBS_RETRY_BACKOFF_SECONDS=30, JOBS_RETRY_BACKOFF_MAX_SECONDS=3600
    )


def test_a_message_delivered_twice_runs_the_task_once(app, db, tmp_path):
    """The claim is conditional: a second delivery does nothing."""
    marker = tmp_path / "marker"
    run = run_now(make_job(), marker=str(marker))
    execute_run.apply(args=(str(run.id), None))
    assert len(marker_lines(marker)) == 1
    assert reload(run.id).status is RunStatusEnum.SUCCESS


def test_a_stopped_queued_run_is_skipped_by_the_worker(app, db, tmp_path):
    """A run cancelled before a worker took it never runs."""
    from invenio_db import db as db_

    marker = tmp_path / "marker"
    job_id = make_job()
    run = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(job_id),
        queue="celery",
        args={"marker": str(marker)},
        task_id=str(uuid.uuid4()),
    )
    db_.session.add(run)
    db_.session.commit()
    current_runs_service.stop(system_identity, job_id, run.id)
    execute_run.apply(args=(str(run.id), None))
    assert marker_lines(marker) == []
    assert reload(run.id).status is RunStatusEnum.CANCELLED


def test_subtasks_are_counted_and_end_the_parent(app, db):
    """The parent ends when its children end: SUCCESS, or PARTIAL on a failure."""
    job_id = make_job(task="mock_fan_out", run_args={})
    parent = run_now(job_id, children=3)
    assert parent.status is RunStatusEnum.SUCCESS
    assert (parent.total_subtasks, parent.completed_subtasks) == (3, 3)
    children = parent.job.runs.filter(Run.parent_run_id == parent.id).all()
    assert len(children) == 3
    assert {c.status for c in children} == {RunStatusEnum.SUCCESS}
    assert all(c.updated_entries == 1 for c in children)
    assert all(c.trigger == "subtask" for c in children)

    partial = run_now(job_id, children=3, fail_child=1)
    assert partial.status is RunStatusEnum.PARTIAL_SUCCESS
    assert (partial.completed_subtasks, partial.failed_subtasks) == (3, 1)


def test_current_run_outside_a_run_is_harmless():
    """Task code that uses current_run still works when called directly."""
    assert not current_run
    assert current_run.id is None
    current_run.set_total(10)
    current_run.progress(inserted=3)
    current_run.check_cancelled()


def test_notification_sent_for_subscribed_statuses_only(app, db, mailbox):
    """An email for FAILED when subscribed to it; none for SUCCESS."""
    job_id = make_job(
        notification_emails=["ops@example.org"], notification_statuses=["FAILED"]
    )
    run_now(job_id)
    assert len(mailbox) == 0
    failed = run_now(job_id, fail=True)
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message.recipients == ["ops@example.org"]
    assert "[FAILED] Controlled" in message.subject
    assert f"/administration/runs/{failed.id}" in message.body
    assert f"/administration/runs/{failed.id}" in message.html
    assert "asked to fail" in message.body


def _old(seconds):
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def test_reaper_fails_runs_whose_worker_was_lost(app, db):
    """RUNNING without a heartbeat for too long: FAILED, "Worker lost"."""
    from invenio_db import db as db_

    job_id = uuid.UUID(make_job())
    stale = Run(
        id=uuid.uuid4(),
        job_id=job_id,
        queue="celery",
        status=RunStatusEnum.RUNNING,
        started_at=_old(600),
        heartbeat_at=_old(600),
    )
    alive = Run(
        id=uuid.uuid4(),
        job_id=job_id,
        queue="celery",
        status=RunStatusEnum.RUNNING,
        started_at=_old(600),
        heartbeat_at=_old(1),
    )
    db_.session.add_all([stale, alive])
    db_.session.commit()
    result = reap_runs.apply().get()
    assert result["lost"] == 1
    assert reload(stale.id).status is RunStatusEnum.FAILED
    assert reload(stale.id).message.startswith("Worker lost")
    assert reload(alive.id).status is RunStatusEnum.RUNNING


def test_reaper_terminates_runs_that_ignore_a_stop(app, db, monkeypatch):
    """CANCELLING past the grace time: revoked with terminate, CANCELLED."""
    from invenio_db import db as db_

    run = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(make_job()),
        queue="celery",
        status=RunStatusEnum.CANCELLING,
        task_id=str(uuid.uuid4()),
        started_at=_old(100),
        heartbeat_at=_old(1),
        stop_requested_at=_old(app.config["JOBS_STOP_GRACE_SECONDS"] + 5),
    )
    db_.session.add(run)
    db_.session.commit()
    statuses_at_revoke = []

    def revoke(task_id, terminate=False):
        statuses_at_revoke.append((task_id, terminate, reload(run.id).status))

    monkeypatch.setattr(current_celery_app.control, "revoke", revoke)
    assert reap_runs.apply().get()["terminated"] == 1
    stopped = reload(run.id)
    assert stopped.status is RunStatusEnum.CANCELLED
    assert stopped.message.startswith("Terminated")
    # Written before the task is killed: the worker's own end of a task
    # killed under it ("stopped during the run", FAILED) cannot win.
    assert statuses_at_revoke == [(run.task_id, True, RunStatusEnum.CANCELLED)]


def test_reaper_resends_queued_runs_whose_message_was_lost(app, db, tmp_path):
    """A sent run whose message is not in the broker is sent again, runs once."""
    from invenio_db import db as db_

    marker = tmp_path / "marker"
    sent = _old(app.config["JOBS_REDISPATCH_AFTER_SECONDS"] + 5)
    run = Run(
        id=uuid.uuid4(),
        job_id=uuid.UUID(make_job()),
        queue="celery",
        args={"marker": str(marker)},
        task_id=str(uuid.uuid4()),
        created=sent,
        dispatched_at=sent,
    )
    db_.session.add(run)
    db_.session.commit()
    assert reap_runs.apply().get()["resent"] == 1
    assert reload(run.id).status is RunStatusEnum.SUCCESS
    assert len(marker_lines(marker)) == 1


def test_a_run_its_maker_never_sent_is_sent_when_its_lease_ends(
    app, db, tmp_path, monkeypatch
):
    """A maker killed between its commit and the publish: sent by the next look.

    The run is stored not sent, due at the end of ``JOBS_UNSENT_AFTER_SECONDS``;
    before then no one else sends it, after it the beat's or the maintenance
    task's look does, once, and marks it sent.
    """
    from invenio_db import db as db_

    from invenio_jobs.worker import dispatch

    marker = tmp_path / "marker"
    job_id = make_job()
    # The process "dies" before its publish: the send never happens.
    monkeypatch.setattr(dispatch, "_publish", lambda item, grace: 1 / 0)
    monkeypatch.setattr(dispatch, "_record", lambda sent, refused, due: None)
    created = current_runs_service.create(
        system_identity, job_id, {"args": {"marker": str(marker)}}
    )
    monkeypatch.undo()
    run = reload(created.id)
    assert (run.status, run.dispatched_at) == (RunStatusEnum.QUEUED, None)
    lease = (run.due_at - run.created).total_seconds()
    assert lease == app.config["JOBS_UNSENT_AFTER_SECONDS"]
    assert send_due_runs() == 0  # its maker may still be sending it

    run.due_at = _old(1)
    db_.session.commit()
    assert send_due_runs() == 1
    assert send_due_runs() == 0
    sent = reload(created.id)
    assert sent.status is RunStatusEnum.SUCCESS
    assert sent.dispatched_at is not None and sent.due_at is None
    assert len(marker_lines(marker)) == 1


def test_a_run_is_marked_sent_only_after_its_publish(app, db, monkeypatch):
    """Run now: the INSERT, the publish, then one UPDATE marking it sent."""
    import sqlalchemy as sa
    from invenio_db import db as db_

    from invenio_jobs.tasks import execute_run as task

    job_id = make_job()
    events = []

    def statement(conn, cursor, text, parameters, context, executemany):
        events.append(text.split()[0].upper())

    monkeypatch.setattr(task, "apply_async", lambda **kw: events.append("publish"))
    sa.event.listen(db_.engine, "before_cursor_execute", statement)
    try:
        created = current_runs_service.create(system_identity, job_id, {})
    finally:
        sa.event.remove(db_.engine, "before_cursor_execute", statement)
    assert "publish" in events
    after = events[events.index("publish") + 1 :]
    assert [e for e in after if e in ("INSERT", "UPDATE")] == ["UPDATE"]
    assert "INSERT" in events[: events.index("publish")]
    run = reload(created.id)
    assert run.dispatched_at is not None and run.due_at is None


@pytest.mark.parametrize("status", [RunStatusEnum.QUEUED, RunStatusEnum.RUNNING])
def test_stopping_a_parent_stops_its_children(app, db, status):
    """Stop propagates to the subtasks still queued or running."""
    from invenio_db import db as db_

    job_id = uuid.UUID(make_job())
    parent = Run(
        id=uuid.uuid4(), job_id=job_id, queue="celery", status=RunStatusEnum.RUNNING
    )
    db_.session.add(parent)
    db_.session.flush()
    child = Run(
        id=uuid.uuid4(),
        job_id=job_id,
        queue="celery",
        status=status,
        parent_run_id=parent.id,
    )
    db_.session.add(child)
    db_.session.commit()
    current_runs_service.stop(system_identity, job_id, parent.id)
    assert reload(parent.id).status is RunStatusEnum.CANCELLING
    expected = (
        RunStatusEnum.CANCELLED
        if status is RunStatusEnum.QUEUED
        else RunStatusEnum.CANCELLING
    )
    assert reload(child.id).status is expected
