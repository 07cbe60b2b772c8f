# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Small helpers shared by the tests."""

import contextlib
import os
import re
import uuid
from datetime import datetime, timezone

from sqlalchemy import delete, event

from invenio_jobs.models import (
    AlertDelivery,
    AlertState,
    Job,
    JobEvent,
    MaintenanceWindow,
    Pause,
    Pool,
    Run,
    RunLog,
    RunStatusEnum,
    RunTotal,
    RunTotalChange,
)


def postgresql_uri():
    """The PostgreSQL URI given to the suite, or None."""
    uri = os.environ.get("SQLALCHEMY_DATABASE_URI", "")
    return uri if uri.startswith("postgresql") else None


def make_job(session, **kwargs):
    """Add a job with sensible defaults and flush it."""
    values = dict(title="A job", task="no_args", default_queue="celery")
    values.update(kwargs)
    job = Job(**values)
    session.add(job)
    session.flush()
    return job


def service_job(task="mock_controlled", run_args=None, title=None, **values) -> str:
    """A job made through the jobs service as the system, as the admin UI does; its id."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_jobs_service

    data = {"title": title or task, "task": task, "run_args": run_args or {}}
    return current_jobs_service.create(system_identity, {**data, **values}).id


def job_row(title, when, **values):
    """The values of one active job for a bulk INSERT, created at ``when``.

    Bulk inserts skip the model's Python defaults, so every column without
    a server default is given here.
    """
    row = dict(
        id=uuid.uuid4(),
        title=title,
        task="no_args",
        active=True,
        run_args={},
        misfire_policy="coalesce",
        allow_overlap=False,
        notifications=None,
        created=when,
        updated=when,
    )
    row.update(values)
    return row


def make_run(session, job, **kwargs):
    """Add a run of ``job`` with sensible defaults and flush it."""
    values = dict(job_id=job.id, queue="celery", status=RunStatusEnum.QUEUED)
    values.update(kwargs)
    run = Run(id=kwargs.pop("id", uuid.uuid4()), **values)
    session.add(run)
    session.flush()
    return run


def utc(*args):
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=timezone.utc)


@contextlib.contextmanager
def count_queries(engine):
    """Collect the SQL statements sent to the database inside the block."""
    statements = []

    def before_cursor_execute(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


_PREPARED = re.compile(r"(?:EXECUTE|PREPARE|DEALLOCATE) invenio_jobs_([a-z]+)_")


def command_of(statement: str) -> str:
    """The SQL command a statement runs, also through a prepared one.

    The job system's prepared statements carry their command in their name
    (``EXECUTE invenio_jobs_update_...``).
    """
    prepared = _PREPARED.match(statement)
    return prepared.group(1).upper() if prepared else statement.split()[0]


def delete_jobs_and_runs(database):
    """Empty the jobs, runs, logs and run totals, after a test that committed for real."""
    database.session.rollback()
    database.session.remove()
    with database.engine.begin() as conn:
        conn.execute(delete(AlertDelivery.__table__))
        conn.execute(delete(AlertState.__table__))
        conn.execute(delete(RunLog.__table__))
        conn.execute(delete(Run.__table__))
        conn.execute(delete(Job.__table__))
        conn.execute(delete(RunTotal.__table__))
        conn.execute(delete(RunTotalChange.__table__))
        conn.execute(delete(Pool.__table__))
        conn.execute(delete(Pause.__table__))
        conn.execute(delete(MaintenanceWindow.__table__))
        conn.execute(delete(JobEvent.__table__))
    database.session.expire_all()
