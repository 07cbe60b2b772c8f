# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An InvenioRDM instance database upgrades in place to ours, and back.

InvenioRDM's released invenio-jobs makes and fills the database (see
``inveniordm_instance.py``); our ``invenio alembic upgrade`` takes it over.
Then:

- our services read back every job and run with the meaning InvenioRDM gave
  it (the app of this module works on the upgraded database);
- our beat and a worker fire two upgraded schedules, on their grid
  (a second database, filled with jobs of a test job type);
- the database goes back to InvenioRDM's ``1784553083``, and InvenioRDM's
  package reads what it wrote (this runs last: it takes our tables away).
"""

import copy
import os
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import inveniordm_instance
import pytest
import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db as db_

from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

pytestmark = pytest.mark.postgresql

INVENIORDM_HEAD = "1784553083"
COUNTERS = (
    "total_subtasks",
    "completed_subtasks",
    "failed_subtasks",
    "total_entries",
    "inserted_entries",
    "updated_entries",
    "errored_entries",
)


def _suite_uri() -> str:
    uri = os.environ.get("SQLALCHEMY_DATABASE_URI", "")
    if uri.startswith("postgresql"):
        return uri
    if os.environ.get("CI"):
        pytest.fail("the upgrade tests need PostgreSQL (SQLALCHEMY_DATABASE_URI)")
    pytest.skip("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")


def _instance(tmp_path_factory, scenario):
    """Context of an upgraded InvenioRDM database of ``scenario``."""
    uri = _suite_uri()
    try:
        inveniordm_instance.ensure_venv()
    except inveniordm_instance.InstanceError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no InvenioRDM environment: {error}")
    path = tmp_path_factory.mktemp(f"inveniordm-{scenario}")
    return path, inveniordm_instance.upgraded_instance(uri, path, scenario)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The upgraded InvenioRDM database of the API checks."""
    path, context = _instance(tmp_path_factory, "api")
    with context as (uri, written):
        yield SimpleNamespace(uri=uri, written=written, path=path)


@pytest.fixture(scope="module")
def db_uri(instance):
    """The app of this module works on the upgraded database."""
    return instance.uri


@pytest.fixture(scope="module")
def database(appctx):
    """The upgraded tables, as they are: nothing created, nothing dropped."""
    yield db_
    db_.session.remove()


@pytest.fixture(autouse=True)
def empty_tables():
    """Keep the upgraded rows from one test to the next."""
    yield


def _job(written_job) -> dict:
    return current_jobs_service.read(system_identity, written_job["id"]).to_dict()


def _runs_of(job_id) -> dict:
    """A job's runs as our service lists them, by id."""
    hits = current_runs_service.search(
        system_identity, job_id, {"size": 100}
    ).to_dict()["hits"]["hits"]
    return {hit["id"]: hit for hit in hits}


def _run(written_run) -> dict:
    return current_runs_service.read(
        system_identity, written_run["job_id"], written_run["id"]
    ).to_dict()


def _heads() -> set:
    """The revisions of the database (not ``alembic.current()``, which would
    keep its connection in a transaction)."""
    with db_.engine.connect() as conn:
        return set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))


def _time(value):
    return datetime.fromisoformat(value) if value else None


def test_database_is_at_our_head(app, database):
    """Our revision follows InvenioRDM's last one, and no table is missing."""
    alembic = app.extensions["invenio-db"].alembic
    ours = alembic.script_directory.get_revision("invenio_jobs@head").revision
    heads = _heads()
    assert ours in heads
    assert INVENIORDM_HEAD not in heads
    tables = set(sa.inspect(database.engine).get_table_names())
    assert {"jobs_job", "jobs_run", "jobs_run_log"} <= tables


def test_jobs_search_lists_every_job(app, instance):
    """The jobs list of our service holds InvenioRDM's jobs, no more."""
    result = current_jobs_service.search(system_identity, {"size": 50}).to_dict()
    found = {hit["id"]: hit["title"] for hit in result["hits"]["hits"]}
    written = instance.written["jobs"]
    assert found == {job["id"]: job["title"] for job in written.values()}


def test_every_job_reads_with_its_fields(app, instance):
    """Titles, tasks, queues, activity, arguments and notifications."""
    for key, written in instance.written["jobs"].items():
        job = _job(written)
        assert job["title"] == written["title"], key
        assert job["task"] == written["task"], key
        assert job["active"] is written["active"], key
        assert job["default_queue"] == written["default_queue"], key
        # Empty is null, as InvenioRDM writes it.
        assert job["run_args"] == (written["run_args"] or None), key
        notifications = written["notifications"] or {}
        assert job["notification_emails"] == notifications.get("emails"), key
        assert job["notification_statuses"] == notifications.get("statuses")


def test_crontabs_gain_celerys_time_zone_and_their_next_fire(app, instance):
    """A crontab keeps its fields, runs in UTC and fires after its last run."""
    written = instance.written["jobs"]
    nightly = _job(written["nightly"])
    assert nightly["schedule"] == {**written["nightly"]["schedule"], "timezone": "UTC"}
    last = _time(written["nightly"]["last_run_created"])
    assert _time(nightly["next_run"]) == datetime(
        last.year, last.month, last.day, 2, 30, tzinfo=timezone.utc
    ) + timedelta(days=1)
    weekdays = _job(written["weekdays"])
    assert weekdays["schedule"]["day_of_week"] == "mon-fri"
    fire = _time(weekdays["next_run"])
    assert fire.weekday() < 5 and (fire.hour, fire.minute, fire.second) == (7, 0, 0)


def test_intervals_keep_the_grid_of_their_last_run(app, instance):
    """As InvenioRDM's beat did: the next fire is one interval after the last run."""
    written = instance.written["jobs"]
    interval = _job(written["interval"])
    assert interval["schedule"] == {"type": "interval", "hours": 4}
    last = _time(written["interval"]["last_run_created"])
    assert _time(interval["next_run"]) == last + timedelta(hours=4)
    assert database_anchor(written["interval"]["id"]) == last

    odd = _job(written["odd_interval"])
    assert odd["schedule"] == {"type": "interval", "minutes": 90, "seconds": 0.5}
    anchor = database_anchor(written["odd_interval"]["id"])
    assert _time(odd["next_run"]) - anchor == timedelta(minutes=90, seconds=0.5)


def database_anchor(job_id):
    """A job's grid anchor, which the API does not show."""
    return db_.session.scalar(
        sa.select(Job.schedule_anchor).where(Job.id == uuid.UUID(job_id))
    )


def test_inactive_and_unscheduled_jobs_do_not_fire(app, instance):
    """No next run for an inactive job, nor for a job without schedule."""
    written = instance.written["jobs"]
    inactive = _job(written["inactive"])
    assert inactive["schedule"] == {"type": "interval", "days": 1}
    assert inactive["next_run"] is None
    manual = _job(written["manual"])
    assert manual["schedule"] is None
    assert manual["next_run"] is None


def test_runs_read_with_status_counters_and_people(app, instance):
    """Every run of every job: status, arguments, times, counters, user."""
    written_runs = instance.written["runs"]
    listed = {}
    for job in instance.written["jobs"].values():
        listed.update(_runs_of(job["id"]))
    # A job's list holds its runs; subtasks are read from their parent.
    assert set(listed) == {
        run["id"] for run in written_runs.values() if not run["parent_run_id"]
    }
    found = {key: _run(run) for key, run in written_runs.items()}
    assert {run["status"] for run in found.values()} == {
        status.name for status in RunStatusEnum
    }
    for key, expected in written_runs.items():
        run = found[key]
        assert run["status"] == RunStatusEnum(expected["status"]).name, key
        assert run["job_id"] == expected["job_id"], key
        assert run["parent_run_id"] == expected["parent_run_id"], key
        assert run["args"] == (expected["args"] or {}), key
        assert run["title"] == expected["title"], key
        assert run["message"] == expected["message"], key
        assert run["queue"] == expected["queue"], key
        assert run["task_id"] == expected["task_id"], key
        for name in ("created", "started_at", "finished_at"):
            assert _time(run[name]) == _time(expected[name]), (key, name)
        for counter in COUNTERS:
            assert run[counter] == expected[counter], (key, counter)
        started_by = run["started_by"] or {}
        if expected["started_by_id"] is None:
            # Nobody: the system (shown as InvenioRDM's system user, or None).
            assert started_by.get("id") in (None, "system"), key
        else:
            assert str(started_by["id"]) == str(expected["started_by_id"]), key
            assert started_by["email"] == "admin@example.org", key


def test_runs_get_a_trigger_and_the_parent_its_flag(app, instance):
    """Subtasks are ``subtask``, nobody's runs ``scheduled``, others ``manual``."""
    written = instance.written["runs"]
    for key, expected in written.items():
        run = _run(expected)
        if expected["parent_run_id"]:
            assert run["trigger"] == "subtask", key
        elif expected["started_by_id"] is None:
            assert run["trigger"] == "scheduled", key
        else:
            assert run["trigger"] == "manual", key
    parent = db_.session.get(Run, uuid.UUID(written["parent"]["id"]))
    assert parent.subtasks_closed is True
    assert parent.subtasks.count() == 3


#
# Beat and worker on an upgraded database
#
@pytest.fixture(scope="module")
def beat_instance(tmp_path_factory):
    """A second upgraded database: an every-minute crontab, a 5-second interval."""
    path, context = _instance(tmp_path_factory, "beat")
    with context as (uri, written):
        engine = sa.create_engine(uri)
        yield SimpleNamespace(uri=uri, written=written, engine=engine)
        engine.dispose()


def _scheduled_runs(engine, job_id):
    """(scheduled_at, created, trigger, status) of a job's runs from our beat."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(Run.scheduled_at, Run.created, Run.trigger, Run.status)
            .where(Run.job_id == job_id, Run.scheduled_at.is_not(None))
            .order_by(Run.scheduled_at)
        ).all()


def test_beat_fires_upgraded_schedules_on_time(beat_instance, start_worker, start_beat):
    """The crontab fires on the minute, the interval on its old grid; once each."""
    jobs = beat_instance.written["jobs"]
    cron_id, interval_id = jobs["cron"]["id"], jobs["interval"]["id"]
    grid = _time(beat_instance.written["runs"]["interval"]["created"])
    # Fire times more than 2 s late are misfires: InvenioRDM's, due long
    # before beat starts, are coalesced into one run per job.
    settings = {
        "SQLALCHEMY_DATABASE_URI": beat_instance.uri,
        "JOBS_SCHEDULER_MISFIRE_GRACE_SECONDS": 2,
    }
    start_worker(**settings)
    started = datetime.now(timezone.utc)
    beat = start_beat(max_interval=1, **settings)

    def on_time(job_id, count):
        runs = _scheduled_runs(beat_instance.engine, job_id)
        return len([run for run in runs if run.trigger == "scheduled"]) >= count

    wait_until(lambda: on_time(cron_id, 1), timeout=75, message="cron on the minute")
    wait_until(lambda: on_time(interval_id, 3), timeout=20, message="interval fires")
    beat.stop()

    def all_ended():
        runs = _scheduled_runs(beat_instance.engine, cron_id) + _scheduled_runs(
            beat_instance.engine, interval_id
        )
        return all(run.status is RunStatusEnum.SUCCESS for run in runs)

    wait_until(all_ended, timeout=20, message="the fired runs succeeded")

    cron = _scheduled_runs(beat_instance.engine, cron_id)
    interval = _scheduled_runs(beat_instance.engine, interval_id)
    for runs in (cron, interval):
        fires = [run.scheduled_at for run in runs]
        assert len(fires) == len(set(fires)), "a fire time ran twice"
        for run in runs:
            # InvenioRDM's schedules were due before beat started: at most
            # one run stands for them; after it, every fire is on time.
            if run.trigger == "scheduled":
                assert run.scheduled_at >= started - timedelta(seconds=1)
                assert run.created - run.scheduled_at < timedelta(seconds=3), run
            else:
                assert run.trigger == "coalesce", run
        assert [run.trigger for run in runs].count("coalesce") <= 1
    for run in cron:
        assert (run.scheduled_at.second, run.scheduled_at.microsecond) == (0, 0)
    for run in interval:
        steps = (run.scheduled_at - grid) / timedelta(seconds=5)
        assert steps >= 1 and steps == round(steps), run.scheduled_at
    on_grid = [run.scheduled_at for run in interval if run.trigger == "scheduled"]
    assert on_grid == [
        on_grid[0] + timedelta(seconds=5 * k) for k in range(len(on_grid))
    ], "a fire time of the grid was skipped"
    assert "Traceback" not in beat.log, beat.log[-5000:]


#
# Back to InvenioRDM (last: our tables go)
#
def _downgrade_to_inveniordm(app):
    alembic = app.extensions["invenio-db"].alembic
    db_.session.remove()
    # An all-digit id given as a string is read as a number of steps.
    alembic.downgrade(target=alembic.script_directory.get_revision(INVENIORDM_HEAD))


def test_downgrade_refuses_a_crontab_in_another_time_zone(app, instance):
    """InvenioRDM has no time zone per job: the downgrade says what it would lose."""
    written = instance.written["jobs"]["nightly"]
    # Stored as our service stores it (which would refuse the update: the
    # job type is InvenioRDM's, not installed here).
    _set_schedule(written["id"], {**written["schedule"], "timezone": "Europe/Zurich"})
    try:
        with pytest.raises(RuntimeError) as refused:
            _downgrade_to_inveniordm(app)
        message = str(refused.value)
        assert written["id"] in message and written["title"] in message
        assert "Europe/Zurich" in message and "nothing was changed" in message
        assert INVENIORDM_HEAD not in _heads()
        assert _job(written)["schedule"]["timezone"] == "Europe/Zurich"
    finally:
        _set_schedule(written["id"], {**written["schedule"], "timezone": "UTC"})


def _set_schedule(job_id, schedule):
    db_.session.remove()
    with db_.engine.begin() as conn:
        conn.execute(
            sa.update(Job).where(Job.id == uuid.UUID(job_id)).values(schedule=schedule)
        )


def test_downgrade_gives_inveniordm_its_data_back(app, instance):
    """InvenioRDM's package reads, after the downgrade, what it wrote before.

    Except NULL arguments, which are ``{}`` now: our columns are NOT NULL,
    and InvenioRDM treats both alike.
    """
    _downgrade_to_inveniordm(app)
    read = inveniordm_instance.read_instance(
        instance.uri, instance.path, instance.written
    )
    expected = copy.deepcopy(instance.written)
    for job in expected["jobs"].values():
        job["run_args"] = job["run_args"] if job["run_args"] is not None else {}
    for run in expected["runs"].values():
        run["args"] = run["args"] if run["args"] is not None else {}
    assert read == expected
