# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Capture of a run's log lines on PostgreSQL: one writer thread per process.

The tests of ``test_log_capture`` run here too, through the writer.
"""

import logging
import os
import threading
import time

import pytest
import sqlalchemy as sa
from invenio_db import db
from test_log_capture import *  # noqa: F401,F403 -- the same tests
from test_log_capture import capture_config, log, log_numbered, numbered, stored

from invenio_jobs.logging import capture_run_logs
from invenio_jobs.logging.buffer import BACKLOG_BATCHES, RunLogBuffer
from invenio_jobs.logging.handler import (
    close_shared_buffers,
    join_run_logs,
    leave_run_logs,
)
from invenio_jobs.logging.writer import WRITER_THREAD_NAME
from invenio_jobs.logging.writer import logger as writer_logger
from invenio_jobs.logging.writer import process_writer
from invenio_jobs.models import RunLog

pytestmark = pytest.mark.postgresql


def writer_threads():
    """The live log writer threads of this process."""
    return [t for t in threading.enumerate() if t.name == WRITER_THREAD_NAME]


def test_no_line_is_lost_when_the_job_logs_faster_than_the_database_writes(
    app, new_run
):
    """200,000 lines at full speed: the job waits for the writer, all are stored."""
    run_id = new_run()
    total, flush_records = 200_000, 100
    config = capture_config(
        app, JOBS_LOGS_FLUSH_RECORDS=flush_records, JOBS_LOGS_MAX_PER_RUN=total
    )
    pending = []

    def sample(index, buffer):
        if index % 1000 == 0:
            pending.append(buffer.queued)

    buffer = log_numbered(run_id, config, total, during=sample)
    assert buffer.stored == total
    rows = db.session.execute(
        sa.select(RunLog.message, RunLog.timestamp)
        .where(RunLog.run_id == run_id)
        .order_by(RunLog.id)
    ).all()
    assert [message for message, _ in rows] == numbered(total)
    times = [timestamp for _, timestamp in rows]
    assert times == sorted(times)
    # The backlog stayed bounded (a slow moment may double it once or twice).
    assert max(pending) <= 4 * BACKLOG_BATCHES * flush_records


def test_lines_of_two_runs_logged_at_once_go_to_their_own_runs(app, new_run):
    """Two threads, two runs, one writer: no line goes astray."""
    runs = [new_run(), new_run()]
    config = capture_config(app, JOBS_LOGS_FLUSH_RECORDS=50)
    start = threading.Barrier(2)
    engine = db.engine

    def work(run_id, tag):
        with capture_run_logs(engine, run_id, config):
            start.wait()
            for index in range(3000):
                log.info("%s %d", tag, index)

    threads = [
        threading.Thread(target=work, args=(run_id, f"run{n}"))
        for n, run_id in enumerate(runs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, run_id in enumerate(runs):
        messages = [line.message for line in stored(run_id)]
        assert messages == [f"run{n} {i}" for i in range(3000)]


def test_one_writer_thread_serves_every_run_of_the_process(app, new_run):
    """However many runs, open at once or one after the other: one writer."""
    runs = [new_run() for _ in range(30)]
    before = {t.ident for t in threading.enumerate()}
    for run_id in runs[:20]:
        with capture_run_logs(db.engine, run_id, app.config):
            log.info("short run")
    opened = [capture_run_logs(db.engine, run_id, app.config) for run_id in runs[20:]]
    for context in opened:
        context.__enter__()
        log.info("open at once")
    assert len(writer_threads()) == 1
    for context in reversed(opened):
        context.__exit__(None, None, None)
    started = {t.ident for t in threading.enumerate()} - before
    assert len(writer_threads()) == 1
    assert not started - {writer_threads()[0].ident}
    for run_id in runs:
        assert len(stored(run_id)) == 1


def test_the_tasks_a_run_sent_log_through_the_same_writer(app, new_run):
    """A run's shared buffer is served by the process's writer thread."""
    run_id = new_run()
    handle = join_run_logs(db.engine, run_id, app.config)
    log.info("from a task of the run")
    leave_run_logs(handle)
    close_shared_buffers()
    assert [line.message for line in stored(run_id)] == ["from a task of the run"]
    assert len(writer_threads()) == 1


def test_a_forked_child_starts_a_writer_of_its_own(app, new_run):
    """The parent's writer thread does not exist in a child: it starts its own."""
    with capture_run_logs(db.engine, new_run(), app.config):
        log.info("parent writer started")
    parent = process_writer()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        writer = process_writer()
        ok = writer is not parent and writer.thread.is_alive()
        os._exit(0 if ok and writer.pid == os.getpid() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert process_writer() is parent


def test_lines_logged_while_the_table_is_away_are_stored_when_it_is_back(app, new_run):
    """A refused write is tried again; closing waits for it, and nothing is lost."""
    run_id = new_run()
    config = capture_config(app, JOBS_LOGS_FLUSH_SECONDS=0.1)
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE jobs_run_log RENAME TO jobs_run_log_away"))
    try:
        with capture_run_logs(db.engine, run_id, config) as buffer:
            for index in range(10):
                log.info("line %d", index)
            buffer.flush()
            time.sleep(1.0)  # several failed tries
            assert buffer.stored == 0
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text("ALTER TABLE jobs_run_log_away RENAME TO jobs_run_log")
                )
    finally:
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "ALTER TABLE IF EXISTS jobs_run_log_away RENAME TO jobs_run_log"
                )
            )
    assert [line.message for line in stored(run_id)] == numbered(10)


def test_lines_survive_the_loss_of_the_writers_connections(app, new_run):
    """The server drops every other connection: the writer reconnects."""
    run_id = new_run()
    config = capture_config(app, JOBS_LOGS_FLUSH_RECORDS=10)

    def drop_connections(index, buffer):
        if index == 50:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                )

    log_numbered(run_id, config, 100, during=drop_connections)
    assert [line.message for line in stored(run_id)] == numbered(100)


def test_closing_waits_a_bounded_time_and_the_lines_follow_later(app, new_run, caplog):
    """The table stays away past the wait: the run goes on, its lines come later."""
    run_id = new_run()
    config = capture_config(
        app, JOBS_LOGS_FLUSH_SECONDS=0.1, JOBS_OUTCOME_WRITE_SECONDS=0.5
    )
    with db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE jobs_run_log RENAME TO jobs_run_log_away"))
    try:
        began = time.monotonic()
        with caplog.at_level(logging.WARNING, logger=writer_logger.name):
            buffer = log_numbered(run_id, config, 5)
        assert time.monotonic() - began < 5
        assert "5 log lines are not stored after 0.5 s" in caplog.text
        assert buffer.stored == 0
    finally:
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "ALTER TABLE IF EXISTS jobs_run_log_away RENAME TO jobs_run_log"
                )
            )
    assert buffer.released.wait(30)
    assert [line.message for line in stored(run_id)] == numbered(5)


def test_a_run_closed_just_after_its_last_line_was_taken_is_released(app, new_run):
    """The writer took the closing line before the run said it was closing.

    Its flush stored everything but could not release the run yet; the next
    look of the writer must, or the run's end would wait for nothing.
    """
    run_id = new_run()
    config = capture_config(app, JOBS_OUTCOME_WRITE_SECONDS=30)
    writer = process_writer()
    buffer = RunLogBuffer(
        db.engine,
        run_id,
        config["JOBS_LOGS_FLUSH_RECORDS"],
        config["JOBS_LOGS_FLUSH_SECONDS"],
        config["JOBS_LOGS_MAX_PER_RUN"],
        wait_seconds=30,
    ).serve_with(writer)
    buffer.add(log.makeRecord(log.name, logging.INFO, __file__, 1, "last", (), None))
    # close(), interrupted between queuing its last entry and saying so.
    buffer.queue_closing_note(0)
    writer.write_pending()
    # (The writer's thread may be the one that stored it: wait for its commit.)
    deadline = time.monotonic() + 10
    while buffer.stored < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert buffer.stored == 1 and not buffer.queued and not buffer.released.is_set()
    buffer.closing = True
    writer.write_pending()
    assert buffer.released.is_set()


def test_a_task_the_run_sent_has_its_lines_stored_while_it_runs(app, new_run):
    """Without a run context of its own, the pulse has its lines written on time."""
    run_id = new_run()
    handle = join_run_logs(
        db.engine, run_id, capture_config(app, JOBS_LOGS_FLUSH_SECONDS=0.1)
    )
    try:
        log.info("still running")
        deadline = time.monotonic() + 10
        while not stored(run_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [line.message for line in stored(run_id)] == ["still running"]
    finally:
        leave_run_logs(handle)
        close_shared_buffers()
