# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What a run costs in SQL statements, on PostgreSQL.

Permissions are cached as InvenioRDM configures them (``ACCESS_CACHE`` on
invenio-cache), so that a check reads no grant once the cache is warm.
Statements are counted with SQLAlchemy's ``before_cursor_execute``. The
tests commit for real (the module's database, without the per-test
SAVEPOINTs of pytest-invenio's ``db``, which would be counted too).
"""

import math
import uuid

import pytest
from helpers import command_of, count_queries
from invenio_access.utils import get_identity

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.services.uow import SessionUnitOfWork
from invenio_jobs.tasks import execute_run

pytestmark = pytest.mark.postgresql

GRANT_TABLES = (
    "access_actionsusers",
    "access_actionsroles",
    "access_actionssystemroles",
)


@pytest.fixture(scope="module")
def app_config(app_config, broker_uri):
    """Permissions cached as InvenioRDM ships them: invenio-cache, on Redis."""
    app_config["ACCESS_CACHE"] = "invenio_cache:current_cache"
    if broker_uri.startswith("redis"):
        app_config["CACHE_TYPE"] = "flask_caching.backends.RedisCache"
        app_config["CACHE_REDIS_URL"] = broker_uri
    else:
        app_config["CACHE_TYPE"] = "flask_caching.backends.SimpleCache"
    app_config["CACHE_KEY_PREFIX"] = f"cost-{uuid.uuid4()}::"
    app_config["CELERY_TASK_ALWAYS_EAGER"] = True
    return app_config


@pytest.fixture()
def db(database):
    """The module's database, committed for real: no per-test SAVEPOINT to count."""
    return database


@pytest.fixture(scope="module")
def admin(app, users):
    """The administrator's identity, as a request of theirs has it."""
    from invenio_accounts.models import User
    from invenio_db import db

    return get_identity(db.session.get(User, users["admin"].id))


def heads(statements):
    """The start of each statement, to read in a failure."""
    return "\n".join(" ".join(s.split())[:100] for s in statements)


def grant_reads(statements):
    """The statements that read permission grants."""
    return [s for s in statements if any(table in s for table in GRANT_TABLES)]


def new_job(task="no_args"):
    """A job to run."""
    from invenio_access.permissions import system_identity

    data = {"title": f"Cost {uuid.uuid4()}", "task": task, "run_args": {}}
    return current_jobs_service.create(system_identity, data).id


def queue_run(db, identity, job_id, **args):
    """A run started through the service, stored but not sent (no worker here).

    The unit of work is left uncommitted: its commit would send the run.
    """
    with SessionUnitOfWork(db.session) as uow:
        result = current_runs_service.create(identity, job_id, {"args": args}, uow=uow)
        run_id = uuid.UUID(result.id)
    db.session.commit()
    return run_id


def stored(db, run_id) -> Run:
    """The run as stored now."""
    db.session.expire_all()
    return db.session.get(Run, run_id)


def test_starting_a_run_reads_the_job_and_inserts_the_run(app, db, admin):
    """Two statements, none of them a grant: the job, and the run's INSERT."""
    job_id = new_job()
    queue_run(db, admin, job_id)  # fills the permission cache
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        run_id = queue_run(db, admin, job_id)
    assert grant_reads(statements) == []
    assert len(statements) <= 3, heads(statements)
    assert [command_of(s) for s in statements] == ["SELECT", "INSERT"]
    assert stored(db, run_id).status is RunStatusEnum.QUEUED


@pytest.fixture()
def seen_by_others(db):
    """Whether a run's row was visible to another connection when it was INSERTed.

    Another connection sees it only if the INSERT committed by itself.
    """
    import sqlalchemy as sa

    engine = db.session.get_bind()
    seen = []

    def after(conn, cursor, statement, parameters, context, executemany):
        if command_of(statement) == "INSERT" and "run_id" in parameters:
            run_id = parameters["run_id"]
            with engine.connect() as other:
                query = sa.select(sa.func.count()).where(Run.id == run_id)
                seen.append(other.scalar(query))

    sa.event.listen(engine, "after_cursor_execute", after)
    yield seen
    sa.event.remove(engine, "after_cursor_execute", after)


def test_a_run_started_outside_a_transaction_commits_by_itself(
    app, db, admin, seen_by_others
):
    """No transaction open: the job's read and the INSERT are each their own.

    The INSERT is the run's one write; committing by itself saves BEGIN,
    COMMIT and the ping of a pooled connection.
    """
    job_id = new_job()
    db.session.commit()
    with count_queries(db.session.get_bind()) as statements:
        run = current_runs_service.create(admin, job_id, {})
    assert [command_of(s) for s in statements][:2] == ["SELECT", "INSERT"]
    assert seen_by_others == [1]
    assert stored(db, uuid.UUID(run.id)).number is not None


def commands_before_the_worker(statements):
    """The commands of starting a run, before its eager execution's UPDATEs."""
    commands = [command_of(s) for s in statements]
    return commands[: commands.index("UPDATE")] if "UPDATE" in commands else commands


def test_a_run_of_a_job_this_process_read_before_is_one_insert(app, db, admin):
    """The job as last read is checked by the INSERT itself: no read of it."""
    job_id = new_job()
    db.session.commit()
    with count_queries(db.session.get_bind()) as first:
        current_runs_service.create(admin, job_id, {})
    with count_queries(db.session.get_bind()) as second:
        run = current_runs_service.create(admin, job_id, {})
    assert commands_before_the_worker(first) == ["SELECT", "INSERT"]
    assert commands_before_the_worker(second) == ["INSERT"]
    assert stored(db, uuid.UUID(run.id)).number == 2


def set_job(db, job_id, **values):
    """Change a job's row behind the service's back (``updated`` untouched)."""
    import sqlalchemy as sa

    from invenio_jobs.models import Job

    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(sa.update(Job.__table__).where(Job.id == job_id).values(values))


def test_a_job_changed_since_it_was_read_is_read_again(app, db, admin):
    """Other arguments, queue or timeout: the INSERT inserts nothing, then reads."""
    job_id = new_job(task="mock_controlled")
    db.session.commit()
    current_runs_service.create(admin, job_id, {})
    set_job(db, job_id, run_args={"steps": 2}, default_queue="low", timeout=60)
    with count_queries(db.session.get_bind()) as statements:
        run = current_runs_service.create(admin, job_id, {})
    assert commands_before_the_worker(statements) == ["INSERT", "SELECT", "INSERT"]
    stored_run = stored(db, uuid.UUID(run.id))
    assert stored_run.args["steps"] == 2 and stored_run.queue == "low"
    assert stored_run.number == 2
    db.session.rollback()  # no transaction open, as in a script
    with count_queries(db.session.get_bind()) as statements:
        current_runs_service.create(admin, job_id, {})
    assert commands_before_the_worker(statements) == ["INSERT"]


def test_a_job_deleted_since_it_was_read_is_not_found(app, db, admin):
    """The INSERT finds no job as seen; the read finds none: 404, nothing stored."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.services.errors import JobNotFoundError

    job_id = new_job()
    db.session.commit()
    current_runs_service.create(admin, job_id, {})
    current_jobs_service.delete(system_identity, job_id)
    db.session.commit()
    with pytest.raises(JobNotFoundError):
        current_runs_service.create(admin, job_id, {})
    assert db.session.query(Run).filter(Run.job_id == uuid.UUID(job_id)).count() == 0


def test_a_job_whose_task_vanished_since_it_was_read_is_refused(app, db, admin):
    """Judged on the job as it is now: its task is not registered any more."""
    from marshmallow import ValidationError

    job_id = new_job()
    db.session.commit()
    current_runs_service.create(admin, job_id, {})
    set_job(db, job_id, task="removed_since")
    with pytest.raises(ValidationError) as refused:
        current_runs_service.create(admin, job_id, {})
    assert "task" in refused.value.messages
    runs = db.session.query(Run).filter(Run.job_id == uuid.UUID(job_id)).count()
    assert runs == 1


def test_a_run_started_in_the_callers_unit_of_work_waits_for_its_commit(
    app, db, admin, seen_by_others
):
    """A caller's unit of work keeps the INSERT in its transaction, to roll back."""
    job_id = new_job()
    db.session.commit()
    with SessionUnitOfWork(db.session) as uow:
        result = current_runs_service.create(admin, job_id, {}, uow=uow)
        run_id = uuid.UUID(result.id)
    db.session.rollback()
    assert seen_by_others == [0]
    assert stored(db, run_id) is None


def test_a_permission_check_reads_its_actions_in_one_cache_round_trip(
    app, db, users, monkeypatch
):
    """The administrators' policy names two actions: one ``MGET``, not two GETs.

    And it answers as invenio-access's own check does, for whom it allows
    and for whom it refuses, also once an action's grants left the cache.
    """
    from invenio_access.permissions import Permission
    from invenio_access.proxies import current_access
    from invenio_accounts.models import User

    from invenio_jobs.services.permissions import RunPermissionPolicy

    cache = current_access.cache
    trips = []
    for name in ("get", "get_many"):
        original = getattr(cache, name)

        def counted(*keys, _name=name, _original=original):
            trips.append((_name, len(keys)))
            return _original(*keys)

        monkeypatch.setattr(cache, name, counted)

    def check(identity, policy_class=RunPermissionPolicy):
        """One check in a request of its own (invenio-access keeps grants per request)."""
        trips.clear()
        with app.test_request_context():
            policy = RunPermissionPolicy("create", identity=identity)
            if policy_class is Permission:
                return Permission.allows(policy, identity)
            return policy.allows(identity)

    for name, allowed in (("admin", True), ("user", False)):
        identity = get_identity(db.session.get(User, users[name].id))
        check(identity)  # fills the cache
        assert check(identity) is allowed
        assert trips == [("get_many", 2)]
        assert check(identity, Permission) is allowed
        assert trips == [("get", 1)] * 2  # one per action

    # An action no longer cached (its grants changed): read from the database.
    admin = get_identity(db.session.get(User, users["admin"].id))
    cache.delete(app.config["ACCESS_ACTION_CACHE_PREFIX"] + "administration-access")
    assert check(admin) is True
    assert trips[0] == ("get_many", 2) and ("get", 1) in trips


def test_run_now_through_the_api_reads_no_grant(app, db, admin_client):
    """``POST /jobs/<id>/runs``: at most 4 statements of the job system, no grant."""
    job_id = new_job()
    admin_client.post(f"/jobs/{job_id}/runs", json={})  # warm up
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        res = admin_client.post(f"/jobs/{job_id}/runs", json={})
    assert res.status_code == 201, res.json
    ours = [s for s in statements if "jobs_" in s]
    assert grant_reads(statements) == []
    # The job, the INSERT, the run read back for the answer, and the entry
    # of the job's history; in this test the run also executes at once
    # (eager), which is not counted.
    assert len([s for s in ours if command_of(s) != "UPDATE"]) <= 4, ours
    assert len([s for s in ours if "jobs_job_event" in s]) == 1, ours


def test_a_worker_runs_a_run_with_two_statements(app, db, admin):
    """Claim (with run, job and since in one statement) and end: nothing else."""
    job_id = new_job()
    first = queue_run(db, admin, job_id)
    execute_run.apply(args=(str(first), None))  # a last success, for ``since``
    run_id = queue_run(db, admin, job_id)
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        execute_run.apply(args=(str(run_id), None))
    assert stored(db, run_id).status is RunStatusEnum.SUCCESS
    assert len(statements) <= 3, heads(statements)
    assert [command_of(s) for s in statements] == ["UPDATE", "UPDATE"]


def test_a_runs_last_progress_is_written_with_its_end(app, db, admin):
    """Counts a task reports are written by the statement that ends the run."""
    job_id = new_job(task="mock_controlled")
    run_id = queue_run(db, admin, job_id, steps=3)
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        execute_run.apply(args=(str(run_id), None))
    run = stored(db, run_id)
    assert run.status is RunStatusEnum.SUCCESS
    assert (run.total_entries, run.inserted_entries) == (3, 3)
    writes = [s for s in statements if command_of(s) in ("UPDATE", "INSERT")]
    assert len(writes) <= 3, writes


def subtask_statements(db, identity, children):
    """Statements of one run spawning ``children`` subtasks, all run to the end."""
    job_id = new_job(task="mock_fan_out")
    run_id = queue_run(db, identity, job_id, children=children)
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        execute_run.apply(args=(str(run_id), None))
    # What the runs log (here, Celery's line of each eagerly run message)
    # costs its own writes: lines and their counter, batched by time.
    statements = [s for s in statements if "jobs_counter" not in s]
    parent = stored(db, run_id)
    assert parent.status is RunStatusEnum.SUCCESS
    assert (parent.total_subtasks, parent.completed_subtasks) == (children, children)
    ended = (
        db.session.query(Run)
        .filter(Run.parent_run_id == run_id, Run.status == RunStatusEnum.SUCCESS)
        .filter(Run.updated_entries == 1)
        .count()
    )
    assert ended == children
    return statements


def test_subtasks_cost_a_few_statements_per_batch(app, db, admin, monkeypatch):
    """1,000 subtasks created and finished: statements per batch, not per run.

    Each INSERT of up to ``JOBS_SUBTASKS_PER_INSERT`` subtasks costs three
    statements (the rows, the parent's count, and marking them sent once
    the broker took their messages); each message of up to
    ``JOBS_SUBTASKS_PER_MESSAGE`` costs three (claim, end, count on the
    parent), and the parent's own run a few. Writes due by the clock
    (heartbeats, progress, log flushes) are put off past the run, so that
    a slow machine counts the same statements as a fast one.
    """
    for setting in (
        "JOBS_HEARTBEAT_SECONDS",
        "JOBS_PROGRESS_INTERVAL_SECONDS",
        "JOBS_LOGS_FLUSH_SECONDS",
    ):
        monkeypatch.setitem(app.config, setting, 3600)
    per_insert = app.config["JOBS_SUBTASKS_PER_INSERT"]
    per_message = app.config["JOBS_SUBTASKS_PER_MESSAGE"]

    def budget(children):
        inserts = math.ceil(children / per_insert)
        messages = math.ceil(children / per_message)
        return 3 * inserts + 3 * messages + 6

    thousand = subtask_statements(db, admin, 1000)
    assert len(thousand) <= budget(1000), heads(thousand[:60])
    assert len(thousand) < 1000 / 5
    two_thousand = subtask_statements(db, admin, 2000)
    assert len(two_thousand) <= budget(2000), heads(two_thousand)
    # Twice the subtasks, twice the batches: the cost of a batch is constant.
    per_batch = (len(two_thousand) - len(thousand)) / (1000 / per_message)
    assert per_batch <= 3 + 3 * per_message / per_insert, per_batch


def test_runs_list_of_a_job_reads_no_grant(app, db, admin_client):
    """``GET /jobs/<id>/runs``: three statements of ours and no grant read."""
    job_id = new_job()
    for _ in range(3):
        admin_client.post(f"/jobs/{job_id}/runs", json={})
    admin_client.get(f"/jobs/{job_id}/runs?size=25")  # warm up
    engine = db.session.get_bind()
    with count_queries(engine) as statements:
        res = admin_client.get(f"/jobs/{job_id}/runs?size=25")
    assert res.status_code == 200
    assert res.json["hits"]["total"] == 3
    assert grant_reads(statements) == []
    assert len([s for s in statements if "jobs_" in s]) <= 3, statements


def test_entries_a_run_adds_batch_by_batch_are_one_write(app, db, admin):
    """InvenioRDM's ``add_total_entries`` from a run's own task: no write per call.

    invenio-vocabularies adds each batch's size to the run's total; inside
    the run the additions join its counts, written with the next batch of
    them (or the run's end), as one atomic UPDATE.
    """
    from invenio_access.permissions import system_identity

    from invenio_jobs.runtime import RunContext

    job_id = new_job()
    run_id = queue_run(db, admin, job_id)
    execute_run.apply(args=(str(run_id), None))
    engine = db.session.get_bind()
    context = RunContext(run_id, uuid.UUID(job_id), engine, progress_interval=3600)
    context.start()
    try:
        with count_queries(engine) as statements:
            for _ in range(100):
                item = current_runs_service.add_total_entries(
                    system_identity, run_id=str(run_id), job_id=job_id, total_entries=2
                )
                assert item.id == str(run_id)
    finally:
        context.close()
    assert statements == []
    assert stored(db, run_id).total_entries == 200


def test_a_run_later_is_the_jobs_read_and_one_insert_and_nothing_sent(app, db, admin):
    """A run at a chosen time: the job's read and its INSERT; no UPDATE, no send."""
    from datetime import datetime, timedelta, timezone

    job_id = new_job()
    queue_run(db, admin, job_id)  # fills the permission cache
    at = datetime.now(timezone.utc) + timedelta(hours=1)
    with count_queries(db.session.get_bind()) as statements:
        run = current_runs_service.create(admin, job_id, {"at": at.isoformat()})
    assert grant_reads(statements) == []
    assert [command_of(s) for s in statements] == ["SELECT", "INSERT"], heads(
        statements
    )
    waiting = stored(db, uuid.UUID(run.id))
    assert waiting.status is RunStatusEnum.QUEUED and waiting.dispatched_at is None
