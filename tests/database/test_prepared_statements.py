# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's statements, planned once per connection by PostgreSQL.

Each test has an engine of one pooled connection, so that every statement
meets the same server session and what it prepared.
"""

import uuid

import pytest
import sqlalchemy as sa
from helpers import command_of, count_queries, delete_jobs_and_runs, make_job

from invenio_jobs import lifecycle
from invenio_jobs.database import (
    PREPARED_KEY,
    Prepared,
    one_statement,
    use_prepared_statements,
)
from invenio_jobs.models import Job, Run, RunStatusEnum, RunTrigger

pytestmark = pytest.mark.postgresql


@pytest.fixture()
def db(database):
    """The module's database, committed for real."""
    yield database
    delete_jobs_and_runs(database)


@pytest.fixture()
def engine(db):
    """An engine of one connection, its statements prepared, as the app's."""
    engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0)
    use_prepared_statements(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def job(db):
    """A committed job."""
    job = make_job(db.session, task="no_args")
    db.session.commit()
    return job


def life(db, engine, job):
    """Insert, claim and end one run, each statement alone; return the claim."""
    queued = lifecycle.queued_run(job.id, None, {}, "celery", RunTrigger.MANUAL)
    run = one_statement(engine, lambda c: lifecycle.insert_run(queued, db.session, c))
    claimed = one_statement(
        engine, lambda c: lifecycle.claim_and_read(run.id, "w1", db.session, c)
    )
    ended = one_statement(
        engine,
        lambda c: lifecycle.finish(
            run.id, RunStatusEnum.SUCCESS, "done", connection=c, without_subtasks=True
        ),
    )
    assert ended
    return run, claimed


def prepared_on_server(engine) -> set:
    """Names of the statements the pooled connection's server session prepared."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name FROM pg_prepared_statements")
        names = {row.name for row in rows}
        conn.rollback()
    return names


def test_a_run_prepares_its_statements_once_then_only_executes_them(db, engine, job):
    """First run: PREPARE and EXECUTE in one round trip each; then EXECUTE only."""
    with count_queries(engine) as first:
        run, (claimed, claimed_job, since) = life(db, engine, job)
    assert [s.split()[0] for s in first] == ["PREPARE"] * 3
    assert all("; EXECUTE invenio_jobs_" in s for s in first)
    assert [command_of(s) for s in first] == ["INSERT", "UPDATE", "UPDATE"]
    assert (run.number, claimed.status, claimed.worker) == (
        1,
        RunStatusEnum.RUNNING,
        "w1",
    )
    assert (claimed_job.id, claimed_job.title, since) == (job.id, job.title, None)

    with count_queries(engine) as second:
        run, (claimed, _, since) = life(db, engine, job)
    assert [s.split()[0] for s in second] == ["EXECUTE"] * 3
    assert [command_of(s) for s in second] == ["INSERT", "UPDATE", "UPDATE"]
    assert run.number == 2
    db.session.expire_all()
    first_run = db.session.scalars(sa.select(Run).where(Run.number == 1)).one()
    assert since == first_run.started_at  # the job's last success
    assert first_run.status is RunStatusEnum.SUCCESS and first_run.message == "done"
    assert len(prepared_on_server(engine)) == 3


def test_the_constants_of_a_statement_are_written_into_its_preparation(db, engine, job):
    """The planner sees ``status = 'S'``: the last success's partial index matches."""
    with count_queries(engine) as statements:
        life(db, engine, job)
    claim = statements[1]
    assert "jobs_run.status = 'Q'" in claim
    assert "last_success.status = 'S'" in claim
    assert "LIMIT 1" in claim


def test_a_preparation_the_server_lost_is_made_again(db, engine, job):
    """``DEALLOCATE ALL`` (a pooler's reset): the next use prepares it again."""
    life(db, engine, job)
    with engine.connect() as conn:
        conn.exec_driver_sql("DEALLOCATE ALL")
        conn.commit()
    with count_queries(engine) as statements:
        run, (claimed, _, _) = life(db, engine, job)
    heads = [s.split()[0] for s in statements]
    assert heads == ["EXECUTE", "PREPARE"] * 3
    assert claimed.status is RunStatusEnum.RUNNING and run.number == 2


def test_a_preparation_the_connection_forgot_is_used_as_it_is(db, engine, job):
    """The server has it, the pool's record does not: PREPARE fails, EXECUTE runs."""
    life(db, engine, job)
    with engine.connect() as conn:
        conn.connection.info.pop(PREPARED_KEY)
    with count_queries(engine) as statements:
        run, (claimed, _, _) = life(db, engine, job)
    assert [s.split()[0] for s in statements] == ["PREPARE", "EXECUTE"] * 3
    assert claimed.status is RunStatusEnum.RUNNING and run.number == 2
    with count_queries(engine) as statements:
        life(db, engine, job)
    assert [s.split()[0] for s in statements] == ["EXECUTE"] * 3


@pytest.fixture()
def title_as_text(db):
    """Changes the type of a column the claim returns; puts it back after."""

    def change():
        db.session.rollback()  # its read of the job holds a lock ALTER waits for
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE jobs_job ALTER COLUMN title TYPE text")

    yield change
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE jobs_job ALTER COLUMN title TYPE varchar(255)"
        )


def test_a_table_changed_under_a_preparation_is_prepared_anew(
    db, engine, job, title_as_text
):
    """A migration that changes what the claim returns: prepared again, not failed."""
    life(db, engine, job)
    title_as_text()
    with count_queries(engine) as statements:
        run, (claimed, claimed_job, _) = life(db, engine, job)
    claim = [s.split()[0] for s in statements if command_of(s) == "UPDATE"][:2]
    assert claim == ["EXECUTE", "DEALLOCATE"]
    assert claimed_job.title == job.title and claimed.status is RunStatusEnum.RUNNING


def test_in_a_transaction_statements_run_as_written(db, engine, job):
    """A failed EXECUTE would abort the caller's transaction: nothing is prepared."""
    queued = lifecycle.queued_run(job.id, None, {}, "celery", RunTrigger.MANUAL)
    with count_queries(engine) as statements, engine.begin() as conn:
        run = lifecycle.insert_run(queued, db.session, conn)
        claimed = lifecycle.claim_and_read(run.id, "w1", db.session, conn)
    assert [s.split()[0] for s in statements] == ["INSERT", "UPDATE"]
    assert claimed[0].status is RunStatusEnum.RUNNING
    assert prepared_on_server(engine) == set()


def test_switched_off_statements_run_as_written(db, engine, job):
    """``JOBS_DATABASE_PREPARED_STATEMENTS = False`` (a pooler that forbids them)."""
    use_prepared_statements(engine, False)
    with count_queries(engine) as statements:
        life(db, engine, job)
    assert [s.split()[0] for s in statements] == ["INSERT", "UPDATE", "UPDATE"]
    assert prepared_on_server(engine) == set()


def test_the_apps_engine_prepares_as_configured(app, db):
    """The extension switches it on for the app's PostgreSQL engine."""
    assert app.config["JOBS_DATABASE_PREPARED_STATEMENTS"] is True
    assert db.engine._jobs_prepared is True


def test_a_statement_whose_values_are_computed_per_use_is_not_prepared(db, engine):
    """A column default SQLAlchemy computes at each INSERT cannot be prepared."""
    statement = sa.insert(Job.__table__).values(
        id=sa.bindparam("job_id", type_=Job.id.type),
        title="Made here",
        task="no_args",
        run_args={},
    )
    prepared = Prepared(statement)
    job_id = uuid.uuid4()
    with count_queries(engine) as statements:
        one_statement(engine, lambda c: prepared.execute(c, {"job_id": job_id}))
    assert statements[0].split()[0] == "INSERT"
    assert db.session.get(Job, job_id).title == "Made here"
