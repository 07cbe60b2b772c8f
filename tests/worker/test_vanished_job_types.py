# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job types that vanish or fail to import, and faults in a run's error paths.

The app of this module has two broken entry points next to the test job
types: one whose module imports a dependency that is not installed, one
whose module does not exist. The app must start, list them as unavailable,
and run every other job type. A job whose type is unknown ends its runs at
once with the reason, and the scheduler creates no runs for it until the
job type is back.
"""

import json
import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from celery import current_app as current_celery_app
from helpers import service_job, utc
from mock_module.entry_points import ENTRY_POINTS
from mock_module.jobs import echo

from invenio_jobs import lifecycle
from invenio_jobs import runtime as runtime_module
from invenio_jobs.beat import scheduler as scheduler_module
from invenio_jobs.errors import DuplicateJobTypeError, TaskExecutionPartialError
from invenio_jobs.jobs import JobType
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs
from invenio_jobs.registry import JobsRegistry
from invenio_jobs.runtime import RunContext, current_run
from invenio_jobs.services.scheduler import RunScheduler
from invenio_jobs.tasks import execute_run
from invenio_jobs.worker import endings as endings_module

BROKEN = "mock_broken = mock_module.broken_jobs:BrokenJob"
MISSING = "mock_missing = mock_module.no_such_module:MissingJob"
NOT_REGISTERED = "Job type 'vanished' is not registered (was it removed or renamed?)"


@pytest.fixture(scope="module")
def extra_entry_points():
    """The test job types, and two whose modules cannot be imported."""
    group = "invenio_jobs.jobs"
    return {group: [*ENTRY_POINTS[group], BROKEN, MISSING]}


pytestmark = pytest.mark.usefixtures("empty_tables")


def job_type_of(job_id, task):
    """A job type class with this id, running ``task``."""
    return type(f"JobType_{job_id}", (JobType,), {"id": job_id, "task": task})


@pytest.fixture()
def register(app):
    """Register job types for one test; they are gone afterwards."""
    registry = current_jobs.registry
    added = []

    def _register(job_id, task):
        registry.register(job_type_of(job_id, task), origin=f"test {job_id}")
        added.append(job_id)

    yield _register
    for job_id in added:
        registry._job_types.pop(job_id, None)
        registry._origins.pop(job_id, None)


def make_job(task="mock_controlled", **values):
    """A job made through the service, then given ``task`` as stored.

    The service refuses unknown job types, as it should: a job of a vanished
    type is one that was made while its type existed.
    """
    from invenio_db import db

    job_id = uuid.UUID(service_job(title="Vanishing"))
    values["task"] = task
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()
    return job_id


def queue_run(job_id, **args):
    """A committed QUEUED run of a job, as the scheduler or the API leaves it."""
    from invenio_db import db

    run = Run(id=uuid.uuid4(), job_id=job_id, queue="celery", args=args)
    db.session.add(run)
    db.session.commit()
    return run.id


def reload(run_id):
    """The run as stored now."""
    from invenio_db import db

    db.session.expire_all()
    return db.session.get(Run, run_id)


def execute(job_id, **args):
    """Queue a run and execute it in this process; the run as it ended."""
    run_id = queue_run(job_id, **args)
    result = execute_run.apply(args=(str(run_id), None))
    assert result.successful(), result.traceback
    return reload(run_id)


# -- a module that fails to import -----------------------------------------------
def test_the_app_starts_without_the_job_types_that_fail_to_import(app):
    """The other job types are registered; the broken ones are kept as unavailable."""
    registry = current_jobs.registry
    assert {"mock_echo", "mock_controlled", "no_args"} <= set(registry)
    assert "mock_broken" not in registry
    unavailable = registry.unavailable()
    assert set(unavailable) == {"mock_broken", "mock_missing"}
    assert unavailable["mock_broken"].origin == BROKEN
    assert "invenio_jobs_tests_dependency_not_installed" in (
        unavailable["mock_broken"].error
    )
    assert unavailable["mock_missing"].error.startswith("ModuleNotFoundError")


def test_an_import_failure_is_logged_with_its_entry_point_and_error(app, caplog):
    """The log names the entry point and the error, with its traceback."""
    with caplog.at_level(logging.ERROR, logger="invenio_jobs.registry"):
        JobsRegistry().load_entry_points()
    records = [r for r in caplog.records if "mock_broken" in r.getMessage()]
    assert len(records) == 1
    assert BROKEN in records[0].getMessage()
    assert "invenio_jobs_tests_dependency_not_installed" in records[0].getMessage()
    assert records[0].exc_info is not None


def test_the_other_job_types_still_run(app):
    """A job of a job type that loaded runs to the end."""
    run = execute(make_job())
    assert run.status is RunStatusEnum.SUCCESS


ClashingJob = job_type_of("no_args", echo)
"""A second job type under the id of ``NoArgsJob``."""


def test_two_job_types_with_one_id_still_stop_the_start(app, monkeypatch):
    """A clash is a configuration mistake: it raises, broken modules or not."""
    from importlib.metadata import EntryPoint

    from invenio_jobs import registry as registry_module

    group = "invenio_jobs.jobs"
    eps = [
        EntryPoint("mock_broken", BROKEN.split(" = ")[1], group),
        EntryPoint("a", "mock_module.jobs:NoArgsJob", group),
        EntryPoint("b", f"{__name__}:ClashingJob", group),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: eps)
    with pytest.raises(DuplicateJobTypeError):
        JobsRegistry().load_entry_points()


def test_the_api_lists_unavailable_job_types_with_the_reason(app, admin_client):
    """``/api/tasks`` marks each job type available or not, and says why not."""
    res = admin_client.get("/tasks", query_string={"size": 100})
    assert res.status_code == 200
    hits = {hit["id"]: hit for hit in res.json["hits"]["hits"]}
    assert hits["mock_echo"]["available"] is True
    assert hits["mock_broken"]["available"] is False
    assert BROKEN in hits["mock_broken"]["error"]
    assert res.json["hits"]["total"] == len(current_jobs.registry) + 2
    assert admin_client.get("/tasks/mock_broken/args").status_code == 404


def test_the_cli_lists_unavailable_job_types(app, invoke):
    """``invenio jobs types`` shows the broken job types and the error."""
    result = invoke("types")
    assert result.exit_code == 0, result.output
    assert "mock_broken" in result.output
    assert "not available" in result.output
    items = {item["id"]: item for item in json.loads(invoke("types", "--json").output)}
    assert items["mock_missing"]["available"] is False
    assert "ModuleNotFoundError" in items["mock_missing"]["error"]
    assert items["mock_echo"]["arguments"]


def test_a_run_of_a_job_type_that_failed_to_import_fails_with_the_error(app):
    """The run's message names the entry point and the import error."""
    run = execute(make_job(task="mock_broken"))
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("Job type 'mock_broken' could not be loaded")
    assert BROKEN in run.message


# -- a job type that is not registered any more -------------------------------
def test_a_run_of_an_unknown_job_type_fails_at_once_with_the_reason(app):
    """FAILED, with the reason as the whole message, and an end time."""
    run = execute(make_job(task="vanished"))
    assert run.status is RunStatusEnum.FAILED
    assert run.message == NOT_REGISTERED
    assert run.finished_at is not None


def test_a_run_of_an_unknown_job_type_is_not_retried(app):
    """Retrying cannot bring the job type back: one attempt, then FAILED."""
    run = execute(make_job(task="vanished", max_retries=3))
    assert run.status is RunStatusEnum.FAILED
    assert run.attempt == 1
    assert run.message == NOT_REGISTERED


def test_the_job_says_its_job_type_is_not_available(app, admin_client):
    """The job's JSON has ``task_available`` and ``task_error``."""
    known, vanished = make_job(), make_job(task="vanished")
    ok = admin_client.get(f"/jobs/{known}").json
    assert ok["task_available"] is True
    assert ok["task_error"] is None
    res = admin_client.get(f"/jobs/{vanished}")
    assert res.status_code == 200
    assert res.json["task_available"] is False
    assert res.json["task_error"] == NOT_REGISTERED
    listed = admin_client.get("/jobs", query_string={"size": 50}).json
    flags = {hit["id"]: hit["task_available"] for hit in listed["hits"]["hits"]}
    assert flags == {str(known): True, str(vanished): False}


def test_a_manual_run_of_an_unknown_job_type_is_a_clear_400(app, admin_client):
    """Running it now is refused with the field, not a 500."""
    res = admin_client.post(f"/jobs/{make_job(task='vanished')}/runs", json={})
    assert res.status_code == 400
    assert res.json["errors"] == [
        {
            "field": "task",
            "messages": [
                "Job type 'vanished' is not registered (was it removed or renamed?)"
            ],
        }
    ]


# -- the scheduler -------------------------------------------------------------
T0 = utc(2026, 3, 2, 12, 0, 0)
MINUTE = {"type": "interval", "minutes": 1}


@pytest.fixture()
def scheduler(app, monkeypatch):
    """A scheduler whose sends are recorded instead of sent."""
    sent = []

    def record(dispatches):
        sent.extend(dispatches)
        return [d.run_id for d in dispatches]

    monkeypatch.setattr(scheduler_module, "send_runs", record)
    beat = RunScheduler(app=current_celery_app._get_current_object())
    beat.sent = sent
    return beat


def scheduled_job(task):
    """An active job firing every minute from T0, its first fire due at T0+1."""
    return make_job(
        task=task,
        active=True,
        schedule=MINUTE,
        schedule_anchor=T0,
        next_run_at=T0 + timedelta(minutes=1),
        allow_overlap=True,
    )


def runs_of(job_id):
    """The ids of a job's runs."""
    from invenio_db import db

    return db.session.scalars(sa.select(Run.id).where(Run.job_id == job_id)).all()


def stored_job(job_id):
    """The job as stored now."""
    from invenio_db import db

    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_the_scheduler_skips_fires_of_an_unknown_job_type(app, scheduler, caplog):
    """No runs; the next fire time moves on; the schedule stays; one log line."""
    job_id = scheduled_job("vanished")
    with caplog.at_level(logging.ERROR, logger=scheduler_module.logger.name):
        first = scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=5))
        second = scheduler.tick_jobs(now=T0 + timedelta(minutes=2, seconds=5))
    assert first.unavailable == 1 and second.unavailable == 1
    assert first.dispatches == [] and second.dispatches == []
    job = stored_job(job_id)
    assert runs_of(job_id) == []
    assert job.next_run_at == T0 + timedelta(minutes=3)
    assert job.schedule == MINUTE and job.active
    assert job.overlap_skips == 0
    lines = [r for r in caplog.records if "vanished" in r.getMessage()]
    assert len(lines) == 1
    assert NOT_REGISTERED in lines[0].getMessage()


def test_runs_resume_when_the_job_type_is_back(app, scheduler, register):
    """Registering the job type again makes the next fire time create a run."""
    job_id = scheduled_job("vanished")
    assert scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=5)).unavailable

    register("vanished", echo)
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=2, seconds=5))
    assert tick.unavailable == 0
    assert len(tick.dispatches) == 1
    run = reload(tick.dispatches[0].run_id)
    assert run.job_id == job_id
    assert run.scheduled_at == T0 + timedelta(minutes=2)


def test_the_scheduler_skips_fires_of_a_job_type_that_failed_to_import(app, scheduler):
    """A job of a broken module creates no runs, next to a job that does."""
    broken, working = scheduled_job("mock_broken"), scheduled_job("mock_controlled")
    tick = scheduler.tick_jobs(now=T0 + timedelta(minutes=1, seconds=5))
    assert tick.unavailable == 1
    assert [reload(d.run_id).job_id for d in tick.dispatches] == [working]
    assert stored_job(broken).next_run_at == T0 + timedelta(minutes=2)


# -- faults inside the error paths of execute_run ------------------------------
class UnreadableError(RuntimeError):
    """An error whose message cannot be read: ``str`` itself fails."""

    def __str__(self):
        """Fail, as a careless exception class may."""
        raise ValueError("no message")


class UnreadablePartialError(TaskExecutionPartialError):
    """A partial failure whose message cannot be read."""

    def __str__(self):
        """Fail, as a careless exception class may."""
        raise ValueError("no message")


class WorkerStop(BaseException):
    """Stands for the worker being shut down during a task."""


def raise_unreadable():
    """A task whose error cannot be described."""
    raise UnreadableError()


def raise_unreadable_partial():
    """A task that partly fails with an error that cannot be described."""
    raise UnreadablePartialError("x", errored_entries_count=2)


def raise_worker_stop():
    """A task interrupted by a shutdown."""
    raise WorkerStop()


def test_a_failure_whose_message_cannot_be_read_still_fails_the_run(app, register):
    """The error's type is kept; the run ends FAILED."""
    register("mock_unreadable", raise_unreadable)
    run = execute(make_job(task="mock_unreadable"))
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("UnreadableError")


def test_a_partial_failure_whose_message_cannot_be_read_ends_partly(app, register):
    """PARTIAL_SUCCESS with its counts, whatever its message does."""
    register("mock_unreadable_partial", raise_unreadable_partial)
    run = execute(make_job(task="mock_unreadable_partial"))
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS
    assert run.errored_entries == 2


def test_a_fault_while_queueing_a_retry_fails_the_run_with_its_error(
    app, monkeypatch, tmp_path
):
    """The retry step breaks (database error): FAILED with the task's own error."""

    def broken_retry(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE jobs_run", {}, Exception("gone"))

    monkeypatch.setattr(lifecycle, "retry", broken_retry)
    marker = tmp_path / "marker"
    run = execute(make_job(max_retries=3), flaky=5, marker=str(marker))
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("ConnectionError: flaky failure 1")


def test_a_fault_in_the_notification_does_not_change_the_end(app, monkeypatch):
    """The run has ended when the notification breaks: it stays ended."""

    def broken_notify(run_id, *args):
        raise sa.exc.OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(endings_module, "notify_run_end", broken_notify)
    run = execute(make_job(task="vanished"))
    assert run.status is RunStatusEnum.FAILED
    assert run.message == NOT_REGISTERED


def test_a_fault_when_stopping_the_heartbeat_keeps_the_outcome(app, monkeypatch):
    """The heartbeat thread stops, then its close raises: the run still ends."""
    close = RunContext.close

    def close_then_fail(self, *args, **kwargs):
        close(self, *args, **kwargs)
        raise RuntimeError("close broke")

    monkeypatch.setattr(RunContext, "close", close_then_fail)
    run = execute(make_job())
    assert run.status is RunStatusEnum.SUCCESS
    assert not current_run  # the next task of the process finds no run


def test_a_run_left_by_a_broken_close_is_not_the_next_ones(app, monkeypatch):
    """Leaving the pulse fails: the run is still not current afterwards."""

    def broken_leave(member):
        raise RuntimeError("pulse broke")

    monkeypatch.setattr(runtime_module.PROCESS_PULSE, "leave", broken_leave)
    run = execute(make_job())
    assert run.status is RunStatusEnum.SUCCESS
    assert not current_run


def test_a_fault_when_recording_the_end_fails_the_run_with_that_fault(app, monkeypatch):
    """The first attempt to record the end breaks: the run ends FAILED, saying why."""
    finish = lifecycle.finish
    calls = []

    def finish_fails_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE jobs_run", {}, Exception("gone"))
        return finish(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "finish", finish_fails_once)
    run = execute(make_job(task="vanished"))
    assert run.status is RunStatusEnum.FAILED
    assert run.message.startswith("OperationalError")


def test_when_the_end_cannot_be_recorded_at_all_the_task_does_not_raise(
    app, monkeypatch
):
    """The run is left to the maintenance task; the worker carries on."""

    def finish_fails(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE jobs_run", {}, Exception("gone"))

    monkeypatch.setattr(lifecycle, "finish", finish_fails)
    run = execute(make_job(task="vanished"))
    assert run.status is RunStatusEnum.RUNNING


def test_a_shutdown_is_not_hidden_by_a_fault_when_recording_it(
    app, monkeypatch, register
):
    """The worker's stop goes on, even when the run's end cannot be written."""

    def finish_fails(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE jobs_run", {}, Exception("gone"))

    register("mock_stopped", raise_worker_stop)
    run_id = queue_run(make_job(task="mock_stopped"))
    monkeypatch.setattr(lifecycle, "finish", finish_fails)
    with pytest.raises(WorkerStop):
        execute_run(str(run_id))
