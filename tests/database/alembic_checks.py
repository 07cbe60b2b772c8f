# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The ``invenio_jobs`` alembic branch, walked on SQLite and on PostgreSQL.

The tests here are imported by ``test_postgresql.py`` and
``test_alembic_sqlite.py``, which run them on their database. Each makes the
database from the revisions (a fresh install), walks our branch, and leaves
the tables as the models make them for the next tests.

On PostgreSQL every module's revisions run from nothing. On SQLite
invenio-db's first revision cannot run (it adds a primary key to an existing
table), so the other modules' tables are made from their models and their
heads stamped; our branch, InvenioRDM's revisions included, runs for real.

InvenioRDM's rows are written with InvenioRDM's column types
(``sqlalchemy_utils``' binary UUIDs and JSON text on SQLite), as its package
writes them.
"""

import logging
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import sqlalchemy as sa
from invenio_accounts.models import User
from invenio_db.shared import UTCDateTime
from sqlalchemy_utils.types import UUIDType

from invenio_jobs.alembic import INVENIORDM_COUNTERS, inveniordm_json
from invenio_jobs.models import Job, Run, RunLog, RunStatusEnum
from invenio_jobs.schedules import CRON_FIELDS

BRANCH_BASE = "371f4cbcb73d"
"""The root of the ``invenio_jobs`` branch (InvenioRDM's)."""

INVENIORDM_HEAD = "1784553083"
"""InvenioRDM's last revision: where its instances are."""

TAKE_OVER = "b7e3f19a2c45"
"""Our revision that turns InvenioRDM's tables into ours."""

JOBS_TABLES = {
    "jobs_job",
    "jobs_run",
    "jobs_run_log",
    "jobs_run_total",
    "jobs_run_total_change",
    "jobs_counter",
    "jobs_pool",
    "jobs_pause",
    "jobs_maintenance_window",
    "jobs_alert",
    "jobs_alert_delivery",
    "jobs_job_event",
}

RDM_UUID = UUIDType()
RDM_JSON = inveniordm_json()

rdm_jobs = sa.table(
    "jobs_job",
    sa.column("id", RDM_UUID),
    sa.column("created", UTCDateTime()),
    sa.column("updated", UTCDateTime()),
    sa.column("active", sa.Boolean()),
    sa.column("title", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("task", sa.String()),
    sa.column("default_queue", sa.String()),
    sa.column("schedule", RDM_JSON),
    sa.column("run_args", RDM_JSON),
    sa.column("notifications", RDM_JSON),
)
"""``jobs_job`` at ``1784553083``, with InvenioRDM's types."""

RDM_COUNTERS = INVENIORDM_COUNTERS

rdm_runs = sa.table(
    "jobs_run",
    sa.column("id", RDM_UUID),
    sa.column("created", UTCDateTime()),
    sa.column("updated", UTCDateTime()),
    sa.column("job_id", RDM_UUID),
    sa.column("parent_run_id", RDM_UUID),
    sa.column("task_id", RDM_UUID),
    sa.column("started_by_id", sa.Integer()),
    sa.column("started_at", UTCDateTime()),
    sa.column("finished_at", UTCDateTime()),
    sa.column("status", sa.String()),
    sa.column("message", sa.Text()),
    sa.column("title", sa.Text()),
    sa.column("args", RDM_JSON),
    sa.column("queue", sa.String()),
    sa.column("subtasks_closed", sa.Boolean()),
    *(sa.column(name, sa.Integer()) for name in RDM_COUNTERS),
)
"""``jobs_run`` at ``1784553083``, with InvenioRDM's types."""

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


#
# Walking the branch
#
def _table_of(diff) -> str | None:
    """The table an alembic ``compare_metadata`` entry is about."""
    if isinstance(diff, list):  # modify_* entries come grouped
        diff = diff[0]
    kind, *rest = diff
    for item in rest:
        if isinstance(item, sa.Table):
            return item.name
        if isinstance(item, (sa.Index, sa.Constraint)):
            return item.table.name
        if isinstance(item, sa.Column):
            return item.table.name if item.table is not None else None
    # ("add_column", schema, table_name, column), ("modify_type", schema, table, ...)
    if len(rest) >= 2 and isinstance(rest[1], str):
        return rest[1]
    return None


def _made_elsewhere(diff, dialect) -> bool:
    """An index the models make only on another database (``ddl_if``).

    The trigram index of the log messages exists on PostgreSQL only.
    """
    if isinstance(diff, list) or diff[0] != "add_index":
        return False
    models = {model.__tablename__: model for model in (Job, Run, RunLog)}
    model = models.get(diff[1].table.name)
    indexes = model.__table__.indexes if model is not None else ()
    (index,) = [index for index in indexes if index.name == diff[1].name] or [diff[1]]
    condition = index._ddl_if
    compiler = SimpleNamespace(dialect=dialect)
    return condition is not None and not condition._should_execute(
        None, diff[1], None, compiler=compiler
    )


def jobs_diffs(alembic) -> list:
    """What alembic finds different between the jobs tables and our models."""
    dialect = alembic.migration_context.dialect
    return [
        d
        for d in alembic.compare_metadata()
        if _table_of(d) in JOBS_TABLES and not _made_elsewhere(d, dialect)
    ]


def tables(db) -> set:
    """The tables of the database."""
    return set(sa.inspect(db.engine).get_table_names())


def revision(alembic, revision_id):
    """The revision object: flask-alembic reads an all-digit id as a step count."""
    return alembic.script_directory.get_revision(revision_id)


def heads(db) -> set:
    """The revisions the database is at.

    Read on a connection of its own: ``alembic.current()`` would leave its
    connection in a transaction, which blocks the next DROP TABLE.
    """
    with db.engine.connect() as conn:
        return set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))


def _drop_everything(db):
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        for name in (
            "jobs_pool",
            "jobs_pause",
            "jobs_maintenance_window",
            "jobs_alert_delivery",
            "jobs_alert",
            "jobs_job_event",
            "jobs_counter",
            "jobs_run_log",
            "jobs_run",
            "jobs_job",
        ):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(sa.text('DROP TABLE IF EXISTS "transaction"'))


def install(app, db, jobs_at=None):
    """Make the database from nothing with every revision.

    ``jobs_at`` takes our branch back to that revision afterwards: an
    instance of InvenioRDM, whose other modules are up to date.
    """
    alembic = app.extensions["invenio-db"].alembic
    _drop_everything(db)
    if db.engine.dialect.name == "sqlite":
        script = alembic.script_directory
        ours = {
            item.revision
            for item in script.iterate_revisions("invenio_jobs@head", "base")
        }
        others = [
            table
            for name, table in db.metadata.tables.items()
            if name not in JOBS_TABLES
        ]
        db.metadata.create_all(db.engine, tables=others)
        alembic.stamp(
            [
                head.revision
                for head in script.get_revisions("heads")
                if head.revision not in ours
            ]
        )
    alembic.upgrade()
    if jobs_at is not None:
        alembic.downgrade(target=revision(alembic, jobs_at))
    return alembic


def restore(db):
    """Leave the tables as the models make them, for the next tests."""
    _drop_everything(db)
    db.create_all()


#
# InvenioRDM's rows
#
def crontab(**fields) -> dict:
    """A crontab as InvenioRDM stores it: every field, ``*`` where not given."""
    return {"type": "crontab", **{name: fields.get(name, "*") for name in CRON_FIELDS}}


def _rdm_job(key, **values) -> dict:
    row = {
        "id": uuid.uuid4(),
        "created": BASE,
        "updated": BASE,
        "active": True,
        "title": f"Job {key}",
        "description": None,
        "task": "no_args",
        "default_queue": "celery",
        "schedule": None,
        "run_args": {},
        "notifications": None,
    }
    row.update(values)
    return row


def _rdm_run(job, minutes, status="S", **values) -> dict:
    created = BASE + timedelta(minutes=minutes)
    row = {
        "id": uuid.uuid4(),
        "created": created,
        "updated": created,
        "job_id": job["id"],
        "parent_run_id": None,
        "task_id": uuid.uuid4(),
        "started_by_id": None,
        "started_at": None,
        "finished_at": None,
        "status": status,
        "message": None,
        "title": None,
        "args": {"since": "2026-01-01"},
        "queue": "celery",
        "subtasks_closed": False,
        **{name: 0 for name in RDM_COUNTERS},
    }
    row.update(values)
    return row


def inveniordm_rows(user_id, runs_per_job=3) -> tuple[dict, dict]:
    """Jobs and runs as InvenioRDM writes them: ``(jobs, runs)`` by key."""
    jobs = {
        "cron": _rdm_job(
            "cron",
            schedule=crontab(minute="30", hour="2"),
            notifications={"emails": ["ops@example.org"], "statuses": ["FAILED"]},
        ),
        "odd": _rdm_job(
            "odd",
            schedule={"type": "interval", "minutes": 90, "milliseconds": 500},
            run_args=None,
        ),
        "broken": _rdm_job(
            "broken", schedule={"type": "crontab", "minute": "61", "hour": "*"}
        ),
        "inactive": _rdm_job(
            "inactive", active=False, schedule={"type": "interval", "days": 1}
        ),
    }
    runs = {}
    for key, job in jobs.items():
        for index in range(runs_per_job):
            runs[f"{key}{index}"] = _rdm_run(job, index)
    parent = _rdm_run(
        jobs["odd"],
        10,
        "P",
        started_by_id=user_id,
        args=None,
        total_subtasks=2,
        completed_subtasks=2,
        failed_subtasks=1,
        subtasks_closed=True,
        total_entries=7,
        inserted_entries=5,
        errored_entries=2,
    )
    runs["parent"] = parent
    for index, status in enumerate("SF"):
        runs[f"sub{index}"] = _rdm_run(
            jobs["odd"], 11 + index, status, parent_run_id=parent["id"]
        )
    return jobs, runs


def _write_rows(db, jobs, runs):
    with db.engine.begin() as conn:
        conn.execute(rdm_jobs.insert(), list(jobs.values()))
        # Parents before their subtasks (the foreign key).
        ordered = sorted(
            runs.values(), key=lambda row: row["parent_run_id"] is not None
        )
        conn.execute(rdm_runs.insert(), ordered)


def _read_rows(db, table, rows) -> dict:
    """The rows of ``table`` with these ids, read with InvenioRDM's types."""
    with db.engine.connect() as conn:
        found = {
            row["id"]: dict(row)
            for row in conn.execute(sa.select(table)).mappings().all()
        }
    return {key: found.get(row["id"]) for key, row in rows.items()}


def _add_user(db) -> int:
    user = User(email="admin@example.org", active=True)
    db.session.add(user)
    db.session.commit()
    user_id = user.id
    db.session.remove()
    return user_id


#
# The checks
#
def test_round_trip_matches_models(base_app, database):
    """A fresh install equals the models; down to the branch root and up again."""
    try:
        alembic = install(base_app, database)
        assert JOBS_TABLES <= tables(database)
        assert jobs_diffs(alembic) == []

        alembic.downgrade(target=BRANCH_BASE)
        assert not JOBS_TABLES & tables(database)

        alembic.upgrade()
        assert jobs_diffs(alembic) == []
    finally:
        restore(database)


def test_inveniordm_rows_upgrade_and_come_back(base_app, database, monkeypatch, caplog):
    """Read InvenioRDM's rows through our models, then as InvenioRDM wrote them.

    Runs are updated in batches of 2 here, so that the batching is walked.
    """
    try:
        alembic = install(base_app, database, jobs_at=INVENIORDM_HEAD)
        user_id = _add_user(database)
        jobs, runs = inveniordm_rows(user_id)
        _write_rows(database, jobs, runs)
        monkeypatch.setattr(revision(alembic, TAKE_OVER).module, "BATCH_SIZE", 2)
        with caplog.at_level(logging.WARNING):
            alembic.upgrade()
        assert jobs_diffs(alembic) == []
        _check_read_through_our_models(database, jobs, runs, user_id)
        assert str(jobs["broken"]["id"]) in caplog.text

        database.session.remove()
        alembic.downgrade(target=revision(alembic, INVENIORDM_HEAD))
        assert heads(database) >= {INVENIORDM_HEAD}
        assert "jobs_run_log" not in tables(database)
        # What InvenioRDM reads: what it wrote (NULL arguments are {} now).
        for row in (jobs["odd"], runs["parent"]):
            for name in ("run_args", "args"):
                if name in row and row[name] is None:
                    row[name] = {}
        assert _read_rows(database, rdm_jobs, jobs) == jobs
        assert _read_rows(database, rdm_runs, runs) == runs

        alembic.upgrade()
        assert jobs_diffs(alembic) == []
    finally:
        restore(database)


def _check_read_through_our_models(db, jobs, runs, user_id):
    found = {key: db.session.get(Job, row["id"]) for key, row in jobs.items()}
    cron, odd = found["cron"], found["odd"]
    assert cron.schedule == {**jobs["cron"]["schedule"], "timezone": "UTC"}
    # After its last run (BASE + 2 min), 02:30 the next day.
    assert cron.next_run_at == datetime(2026, 3, 2, 2, 30, tzinfo=timezone.utc)
    assert cron.notification_emails == ["ops@example.org"]
    assert cron.notification_statuses == ["FAILED"]
    assert odd.schedule == {"type": "interval", "minutes": 90, "seconds": 0.5}
    assert odd.run_args == {}
    last = runs["sub1"]["created"]
    assert odd.schedule_anchor == last
    assert odd.next_run_at == last + timedelta(minutes=90, seconds=0.5)
    # A schedule that cannot be converted is kept, and does not fire.
    assert found["broken"].schedule == jobs["broken"]["schedule"]
    assert found["broken"].next_run_at is None
    assert found["inactive"].next_run_at is None
    assert found["inactive"].schedule_anchor is not None

    for key, row in runs.items():
        run = db.session.get(Run, row["id"])
        assert run.status is RunStatusEnum(row["status"]), key
        assert run.job_id == row["job_id"], key
        assert run.parent_run_id == row["parent_run_id"], key
        assert run.task_id == str(row["task_id"]), key
        assert run.created == row["created"], key
        assert run.args == (row["args"] if row["args"] is not None else {}), key
        for name in RDM_COUNTERS:
            assert getattr(run, name) == row[name], (key, name)
        assert run.subtasks_closed is row["subtasks_closed"], key
        if row["parent_run_id"]:
            assert run.trigger == "subtask", key
        elif row["started_by_id"]:
            assert run.trigger == "manual", key
        else:
            assert run.trigger == "scheduled", key
    parent = db.session.get(Run, runs["parent"]["id"])
    assert parent.started_by.email == "admin@example.org"
    assert parent.subtasks.count() == 2
    db.session.remove()


def test_upgrade_refuses_rows_it_cannot_keep(base_app, database):
    """A job without task, a run without job: nothing changes, the message says."""
    try:
        alembic = install(base_app, database, jobs_at=INVENIORDM_HEAD)
        job = _rdm_job("no-task", task=None)
        orphan = _rdm_run(job, 0, job_id=None)
        _write_rows(database, {"job": job}, {"run": orphan})
        try:
            alembic.upgrade()
        except RuntimeError as error:
            message = str(error)
        else:
            raise AssertionError("the upgrade went through")
        assert "1 job(s) have no task" in message
        assert "1 run(s) belong to no job" in message
        database.session.remove()
        assert INVENIORDM_HEAD in heads(database)
        assert "jobs_run_log" not in tables(database)
    finally:
        restore(database)


def test_downgrade_refuses_a_crontab_in_another_time_zone(base_app, database):
    """The downgrade names what it would lose: InvenioRDM has no time zone per job."""
    try:
        alembic = install(base_app, database)
        job = Job(
            title="Zurich nights",
            task="no_args",
            schedule={
                **crontab(minute="0", hour="2"),
                "timezone": "Europe/Zurich",
            },
        )
        database.session.add(job)
        database.session.commit()
        job_id = job.id
        database.session.remove()
        try:
            alembic.downgrade(target=revision(alembic, INVENIORDM_HEAD))
        except RuntimeError as error:
            message = str(error)
        else:
            raise AssertionError("the downgrade went through")
        assert str(job_id) in message and "Zurich nights" in message
        assert "Europe/Zurich" in message and "nothing was changed" in message
        database.session.remove()
        assert INVENIORDM_HEAD not in heads(database)
        assert database.session.get(Job, job_id).schedule["timezone"] == "Europe/Zurich"
        database.session.remove()
    finally:
        restore(database)


RUN_NUMBERS = "c4d8e1a7b902"
"""Our revision that numbers each job's runs."""


def test_run_numbers_follow_creation_order_per_job(base_app, database, monkeypatch):
    """Upgrading numbers each job's runs 1, 2, ... by creation; subtasks get none.

    Jobs are grouped two runs at a time here, so that the batching is walked;
    the downgrade drops the numbers and a new upgrade gives the same ones.
    """
    try:
        alembic = install(base_app, database, jobs_at=INVENIORDM_HEAD)
        jobs, runs = inveniordm_rows(_add_user(database), runs_per_job=3)
        # Created out of order: the number follows ``created``, not insertion.
        runs["cron0"]["created"], runs["cron2"]["created"] = (
            runs["cron2"]["created"],
            runs["cron0"]["created"],
        )
        _write_rows(database, jobs, runs)
        monkeypatch.setattr(revision(alembic, RUN_NUMBERS).module, "BATCH_SIZE", 2)
        expected = {
            "cron0": 3,
            "cron1": 2,
            "cron2": 1,
            "odd0": 1,
            "odd1": 2,
            "odd2": 3,
            "parent": 4,
            "sub0": None,
            "sub1": None,
        }

        def numbers():
            found = {
                key: database.session.get(Run, runs[key]["id"]).number
                for key in expected
            }
            database.session.remove()
            return found

        alembic.upgrade()
        assert numbers() == expected
        assert jobs_diffs(alembic) == []

        alembic.downgrade(target=revision(alembic, TAKE_OVER))
        columns = sa.inspect(database.engine).get_columns("jobs_run")
        assert "number" not in {column["name"] for column in columns}

        alembic.upgrade()
        assert numbers() == expected
    finally:
        restore(database)


RUN_TOTALS = "a0cfb40bc8c7"
"""Our revision that keeps the totals of ended runs for the metrics."""


def test_upgraded_runs_have_their_totals_at_once(base_app, database):
    """An InvenioRDM instance's runs are in the totals as soon as it is upgraded.

    Its first scrape reads what reading every run gives; a run that ends
    afterwards is added by the triggers the upgrade made; the downgrade
    takes table and triggers away, and ends still work without them.
    """
    from metrics_from_runs import assert_same_metrics

    from invenio_jobs.lifecycle import states

    try:
        alembic = install(base_app, database, jobs_at=INVENIORDM_HEAD)
        jobs, runs = inveniordm_rows(_add_user(database), runs_per_job=3)
        _write_rows(database, jobs, runs)
        alembic.upgrade()
        assert len(assert_same_metrics(database.session)) > 10

        running = database.session.get(Run, runs["cron0"]["id"])
        running.status, running.finished_at = RunStatusEnum.RUNNING, None
        database.session.commit()
        assert states.finish(running.id, RunStatusEnum.FAILED)
        database.session.commit()
        assert_same_metrics(database.session)
        database.session.remove()

        alembic.downgrade(target=revision(alembic, RUN_TOTALS).down_revision)
        assert "jobs_run_total" not in tables(database)
        running = database.session.get(Run, runs["cron1"]["id"])
        running.status = RunStatusEnum.SUCCESS
        database.session.commit()
        database.session.remove()
    finally:
        restore(database)
