# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Capture of a run's log lines: what is stored, in which order, counted how.

On SQLite here (the job's thread writes); ``test_log_capture_postgresql``
runs the same tests on PostgreSQL, through the process's writer thread.
"""

import logging
import uuid

import pytest
import sqlalchemy as sa
from helpers import make_job, make_run
from invenio_db import db

from invenio_jobs.event_totals import LOG_LINES_DROPPED, LOG_LINES_WRITTEN, read_counts
from invenio_jobs.logging import capture_run_logs
from invenio_jobs.logging.handler import RunLogHandler
from invenio_jobs.models import RunLog

log = logging.getLogger("tests.capture")


def capture_config(app, **values):
    """The app's settings for a capture, with ``values`` changed."""
    return {**app.config, **values}


@pytest.fixture()
def new_run(app, database):
    """A new run; returns its id."""

    def make():
        run_id = make_run(db.session, make_job(db.session, title="Capture")).id
        db.session.commit()
        return run_id

    return make


def log_numbered(run_id, config, count, during=None):
    """Log ``count`` numbered lines into a run; ``during(index, buffer)`` after each."""
    with capture_run_logs(db.engine, run_id, config) as buffer:
        for index in range(count):
            log.info("line %d", index)
            if during is not None:
                during(index, buffer)
    return buffer


def numbered(count):
    """The messages of :func:`log_numbered`."""
    return [f"line {index}" for index in range(count)]


def stored(run_id):
    """The stored lines of a run, by id."""
    db.session.remove()
    return db.session.scalars(
        sa.select(RunLog).where(RunLog.run_id == run_id).order_by(RunLog.id)
    ).all()


def test_a_mutated_argument_does_not_change_the_stored_line(app, new_run):
    """Lists, dicts and objects are formatted when logged, not when written."""

    class Counter:
        def __init__(self):
            self.value = 1

        def __str__(self):
            return f"counter={self.value}"

    run_id = new_run()
    items, options, counter = ["a"], {"size": 1}, Counter()
    with capture_run_logs(db.engine, run_id, app.config):
        log.info("items %s", items)
        log.info("options %(size)s", options)
        log.info("object %s", counter)
        log.info("nested %s", (1, items))
        items.append("b")
        options["size"] = 2
        counter.value = 2
    messages = [line.message for line in stored(run_id)]
    assert messages == [
        "items ['a']",
        "options 1",
        "object counter=1",
        "nested (1, ['a'])",
    ]


def test_exception_text_and_plain_values_are_stored(app, new_run):
    """A traceback is kept with its line; immutable arguments are formatted later."""
    run_id = new_run()
    key = uuid.uuid4()
    with capture_run_logs(db.engine, run_id, app.config):
        log.info("plain %s %d %.1f %r %s", "text", 3, 1.25, None, key)
        try:
            raise ValueError("broken on purpose")
        except ValueError:
            log.exception("it broke")
        log.info("bad format %d", "not a number")
    lines = stored(run_id)
    assert lines[0].message == f"plain text 3 1.2 None {key}"
    assert lines[1].level == "ERROR"
    assert lines[1].message.startswith("it broke\nTraceback")
    assert "ValueError: broken on purpose" in lines[1].message
    assert lines[2].message.startswith("bad format %d")  # kept, with its values
    assert "not a number" in lines[2].message


def test_a_record_created_earlier_but_queued_later_takes_the_time_before_it(
    app, new_run
):
    """Order by id and order by time agree, whatever the threads' timing."""
    run_id = new_run()
    handler = RunLogHandler()
    later = log.makeRecord(log.name, logging.INFO, __file__, 1, "second", (), None)
    earlier = log.makeRecord(log.name, logging.INFO, __file__, 1, "first", (), None)
    earlier.created = later.created - 5
    with capture_run_logs(db.engine, run_id, app.config):
        handler.handle(later)
        handler.handle(earlier)
    lines = stored(run_id)
    assert [line.message for line in lines] == ["second", "first"]
    assert lines[1].timestamp == lines[0].timestamp


def test_the_counters_count_written_and_dropped_lines(app, new_run):
    """Past the run's limit lines are dropped, counted, and one line says so."""
    before = read_counts(db.session)
    run_id = new_run()
    config = capture_config(app, JOBS_LOGS_MAX_PER_RUN=10, JOBS_LOGS_FLUSH_RECORDS=4)
    buffer = log_numbered(run_id, config, 25)
    lines = stored(run_id)
    assert [line.message for line in lines[:10]] == numbered(10)
    assert len(lines) == 11
    assert lines[-1].message.startswith("15 more log lines were dropped")
    assert buffer.stored == 11
    after = read_counts(db.session)
    assert after.get(LOG_LINES_WRITTEN, 0) - before.get(LOG_LINES_WRITTEN, 0) == 11
    assert after.get(LOG_LINES_DROPPED, 0) - before.get(LOG_LINES_DROPPED, 0) == 15


def test_lines_are_stored_in_the_order_they_were_logged(app, new_run):
    """Many batches of one run keep their order by id and by time."""
    run_id = new_run()
    log_numbered(run_id, capture_config(app, JOBS_LOGS_FLUSH_RECORDS=50), 2000)
    lines = stored(run_id)
    assert [line.message for line in lines] == numbered(2000)
    times = [line.timestamp for line in lines]
    assert times == sorted(times)
