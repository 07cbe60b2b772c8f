# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Where a run's rows are written apart from the job's transaction, on SQLite.

SQLite has one writer: a second connection would wait for a session that
holds the write lock. ``write_run_rows`` joins such a session (never
committing the job's work behind its back), and otherwise writes on a
connection of its own, committed at once.
"""

import pytest
import sqlalchemy as sa
from invenio_db import db

from invenio_jobs.database import write_run_rows
from invenio_jobs.models import Counter


def add(name):
    """A write of one counter row."""
    return lambda conn: conn.execute(sa.insert(Counter).values(name=name, value=1))


def counters() -> set:
    """The counters stored, as another session sees them."""
    db.session.remove()
    return set(db.session.scalars(sa.select(Counter.name)))


@pytest.fixture()
def session(app):
    """The app's session, left without counters and without a transaction."""
    yield db.session
    db.session.rollback()
    db.session.execute(sa.delete(Counter))
    db.session.commit()


def test_a_write_outlives_the_rollback_of_a_session_that_had_not_written(session):
    """No lock held: a connection of its own, committed at once."""
    session.execute(sa.select(Counter.name)).all()
    write_run_rows(db.engine, add("alone"))
    session.rollback()
    assert counters() == {"alone"}


def test_a_write_joins_a_session_that_holds_the_write_lock(session):
    """The job's uncommitted work holds the lock: the write waits for its commit."""
    session.execute(sa.insert(Counter).values(name="job's", value=1))
    write_run_rows(db.engine, add("joined"))
    session.rollback()
    assert counters() == set()


def test_the_sessions_owner_commits_it_with_the_write(session):
    """``commit_session``: the worker's bookkeeping commits the session it owns."""
    session.execute(sa.insert(Counter).values(name="owner's", value=1))
    write_run_rows(db.engine, add("with it"), commit_session=True)
    session.rollback()
    assert counters() == {"owner's", "with it"}
