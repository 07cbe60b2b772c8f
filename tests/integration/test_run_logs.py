# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run logs captured in real worker processes, stored in PostgreSQL, read back."""

import time
import uuid

import pytest
import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Job, Run, RunLog, RunStatusEnum
from invenio_jobs.proxies import (
    current_jobs_logs_service,
    current_jobs_service,
    current_runs_service,
)

WORKER_SETTINGS = dict(JOBS_HEARTBEAT_SECONDS=1, JOBS_LOGS_FLUSH_SECONDS=0.2)


def new_job(task="mock_chatty"):
    """A job of a test type; returns its id."""
    data = {"title": "Logs", "task": task, "run_args": {}}
    return current_jobs_service.create(system_identity, data).id


def run_now(job_id, **args):
    """Start a run; returns its id."""
    return current_runs_service.create(system_identity, job_id, {"args": args}).id


def finished(run_id, timeout=60):
    """Wait for the run to end; return its status."""

    def ended():
        db.session.remove()
        status = db.session.get(Run, uuid.UUID(run_id)).status
        return status.is_finished and status

    return wait_until(ended, timeout=timeout, message="run ended")


def messages(run_id):
    """The stored log of a run, in order."""
    db.session.remove()
    return db.session.scalars(
        sa.select(RunLog).where(RunLog.run_id == uuid.UUID(run_id)).order_by(RunLog.id)
    ).all()


def test_every_record_of_a_run_is_stored_in_order_and_nothing_else(app, start_worker):
    """Levels, exception text, the job's own threads; not another run's lines."""
    start_worker(concurrency=2, **WORKER_SETTINGS)
    job_id = new_job()
    first = run_now(job_id, tag="first", lines=20, fail=True, sleep=0.02)
    second = run_now(job_id, tag="second", lines=20, sleep=0.02)
    assert finished(first) is RunStatusEnum.FAILED
    assert finished(second) is RunStatusEnum.SUCCESS

    lines = messages(first)
    texts = [line.message for line in lines]
    own = [t for t in texts if t.startswith("first:")]
    assert own[:20] == [f"first: main {i}" for i in range(20)]
    assert own[20] == "first: warning"
    for thread in (0, 1):
        from_thread = [t for t in own if t.startswith(f"first: thread {thread} ")]
        assert from_thread == [f"first: thread {thread} line {i}" for i in range(20)]
    assert own[-1] == "first: error <b>markup</b>"
    assert "first: debug line" not in texts
    assert not any("second" in t for t in texts)
    failure = next(line for line in lines if line.message.startswith("Run "))
    assert failure.level == "ERROR"
    assert "ValueError: first broke" in failure.message
    assert "Traceback" in failure.message
    assert {line.level for line in lines} >= {"INFO", "WARNING", "ERROR"}
    assert any(
        (line.context or {}).get("thread", "").startswith("Thread") for line in lines
    )
    result = current_jobs_logs_service.search(system_identity, {"q": first})
    hits = result.to_dict()["hits"]
    assert all(hit["context"]["run_id"] == first for hit in hits["hits"])
    assert all(hit["context"]["job_id"] == job_id for hit in hits["hits"])
    assert all(hit["context"]["task_id"] for hit in hits["hits"])
    assert [line.timestamp for line in lines] == sorted(
        line.timestamp for line in lines
    )

    other = [line.message for line in messages(second)]
    assert other and not any(t.startswith("first") for t in other)


def test_log_survives_a_rollback_of_the_jobs_work(app, start_worker):
    """The job's transaction is rolled back; its log lines stay."""
    start_worker(**WORKER_SETTINGS)
    run_id = run_now(new_job(), tag="undo", lines=2, fail=True, rollback=True)
    assert finished(run_id) is RunStatusEnum.FAILED
    db.session.remove()
    assert (
        db.session.scalar(sa.select(Job.id).where(Job.title == "undo: rolled back"))
        is None
    )
    texts = [line.message for line in messages(run_id)]
    assert "undo: main 0" in texts and "undo: error <b>markup</b>" in texts


def test_tail_reads_a_running_log_in_pieces_exactly_once(app, start_worker):
    """Following with the cursor gets every line once, while the run runs."""
    start_worker(**WORKER_SETTINGS)
    job_id = new_job()
    run_id = run_now(job_id, tag="tail", lines=60, threads=0, sleep=0.05)
    seen, after, pieces, saw_running = [], None, 0, False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.remove()
        page = current_jobs_logs_service.tail(
            system_identity, job_id, run_id, {"after": after, "size": 7}
        )
        saw_running |= page["run_status"] == "RUNNING" and bool(page["hits"])
        seen.extend(page["hits"])
        after = page["next_after"]
        pieces += bool(page["hits"])
        if page["finished"]:
            break
        time.sleep(0.1)
    ids = [hit["id"] for hit in seen]
    assert len(ids) == len(set(ids))
    tail = [h["message"] for h in seen if h["message"].startswith("tail:")]
    assert tail[:60] == [f"tail: main {i}" for i in range(60)]
    assert len(tail) == 62  # main lines, the warning and the error
    assert pieces > 3 and saw_running


def test_a_run_keeps_at_most_the_configured_number_of_lines(app, start_worker):
    """Past JOBS_LOGS_MAX_PER_RUN, lines are dropped and one line says how many."""
    start_worker(JOBS_LOGS_MAX_PER_RUN=50, **WORKER_SETTINGS)
    run_id = run_now(new_job(), tag="many", lines=200, threads=0)
    assert finished(run_id) is RunStatusEnum.SUCCESS
    lines = messages(run_id)
    assert len(lines) == 51
    assert "152 more log lines were dropped" in lines[-1].message


@pytest.mark.parametrize("level", ["WARNING", "ERROR"])
def test_logs_api_filters_by_level(app, start_worker, level):
    """``/api/logs/jobs`` and the tail both filter by the lowest level."""
    start_worker(**WORKER_SETTINGS)
    job_id = new_job()
    run_id = run_now(job_id, tag="lvl", lines=3, threads=0)
    finished(run_id)
    db.session.remove()
    result = current_jobs_logs_service.search(
        system_identity, {"q": run_id, "level": level}
    )
    levels = {hit["level"] for hit in result.to_dict()["hits"]["hits"]}
    assert levels <= {"WARNING", "ERROR", "CRITICAL"}
    assert "ERROR" in levels
    assert (level == "ERROR") == ("WARNING" not in levels)


def test_cli_follows_a_running_log_to_its_end(app, start_worker):
    """``invenio jobs logs --follow`` prints lines as they come, then the end."""
    from invenio_jobs.cli import jobs

    start_worker(**WORKER_SETTINGS)
    run_id = run_now(new_job(), tag="follow", lines=40, threads=0, sleep=0.05)
    wait_until(lambda: messages(run_id), message="first lines")
    result = app.test_cli_runner().invoke(
        jobs, ["logs", run_id, "--follow", "--interval", "0.2"]
    )
    assert result.exit_code == 0, result.output
    printed = [line for line in result.output.splitlines() if "follow: main" in line]
    assert len(printed) == 40
    assert result.output.rstrip().endswith("Run ended: SUCCESS")


def test_any_text_survives_the_batch_writer(app):
    """Tabs, newlines, backslashes, quotes and unicode are stored as logged."""
    import logging

    from invenio_jobs.logging import capture_run_logs

    run_id = run_now(new_job())
    texts = [
        "tab\there",
        "new\nline\r\nand back",
        "back\\slash \\N \\t",
        "quotes ' \" and , ; |",
        "unicode: Zürich 東京 😀",
        "",
    ]
    log = logging.getLogger("mock_module.weird")
    with capture_run_logs(db.engine, uuid.UUID(run_id), app.config):
        for text in texts:
            log.warning("%s", text)
        log.warning("nul\x00byte")
    stored = [line.message for line in messages(run_id)]
    assert stored == texts + ["nulbyte"]
