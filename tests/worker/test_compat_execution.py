# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job types and modules written for InvenioRDM's invenio-jobs run unchanged.

In one process (Celery eager, SQLite): the names those modules import, the
arguments the system hands to ``build_task_arguments``, job types without an
arguments schema, the job context, the runs service's subtask steps and the
deprecated ``TaskExecutionError``. ``integration/test_vocabularies.py`` runs
the same with a worker and the real invenio-vocabularies.
"""

import contextvars
import importlib.metadata
import logging
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery import shared_task
from helpers import service_job
from invenio_access.permissions import system_identity
from marshmallow import fields
from packaging.requirements import Requirement

from invenio_jobs.errors import TaskExecutionError, TaskExecutionPartialError
from invenio_jobs.jobs import JobType, PredefinedArgsSchema, undeclared_fields
from invenio_jobs.logging.jobs import (
    EMPTY_JOB_CTX,
    job_context,
    set_job_context,
    with_job_context,
)
from invenio_jobs.models import Run, RunLog, RunStatusEnum, utcnow
from invenio_jobs.proxies import current_jobs, current_jobs_service
from invenio_jobs.proxies import current_runs_service as runs
from invenio_jobs.registry import JobsRegistry
from invenio_jobs.services.errors import RunNotFoundError, RunStatusChangeError

ROOT = Path(__file__).resolve().parents[2]

SEEN = {}
"""What the test tasks received, by test tag."""


@shared_task(name="tests.compat.record")
def record(tag="", **kwargs):
    """Keep what the task received, and the job context it ran in."""
    context = job_context.get()
    SEEN[tag] = {
        "kwargs": kwargs,
        "context": None if context is EMPTY_JOB_CTX else dict(context),
    }


def _explicit_parameters(cls, job_obj, since=None, tag=None):
    """Explicit parameters, no ``**kwargs``: as InvenioRDM's documented example."""
    return {"tag": tag, "since": since}


def _own_hook(cls, job_obj, since=None, custom_args=None, **kwargs):
    """Custom arguments win; otherwise say whether ``since`` was left empty."""
    if custom_args:
        return custom_args
    return {"tag": kwargs["tag"], "hook_since": str(since)}


StrictJob = JobType.create(
    job_cls_name="StrictJob",
    arguments_schema=PredefinedArgsSchema.from_dict(
        {"tag": fields.String(required=True)}
    ),
    id_="compat_strict",
    task=record,
    description="",
    title="Strict",
    attrs={"build_task_arguments": classmethod(_explicit_parameters)},
)
"""A ``build_task_arguments`` with explicit parameters only."""

CustomHookJob = StrictJob.create(
    job_cls_name="CustomHookJob",
    arguments_schema=StrictJob.arguments_schema,
    id_="compat_hook",
    task=record,
    description="",
    title="Hook",
    attrs={
        "build_task_arguments": classmethod(_explicit_parameters),
        "_build_task_arguments": classmethod(_own_hook),
    },
)
"""Overrides the ``_build_task_arguments`` hook, as ORCID's job type does."""


@shared_task(name="tests.compat.sends")
def sends(tag="", threaded=False):
    """Send a task during a run, log, and log from a thread with a copied context."""
    log = logging.getLogger("tests.compat.sends")
    log.info("%s: in the run", tag)
    record.delay(tag=f"{tag}-child")
    if threaded:
        seen = {}

        def in_thread():
            seen["context"] = job_context.get()
            log.info("%s: in a thread", tag)

        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(in_thread,)
        )
        thread.start()
        thread.join()
        SEEN[f"{tag}-thread"] = seen["context"]


SendsJob = JobType.create("SendsJob", None, "compat_sends", sends, "", "Sends")
"""Sends a task and starts a thread during its run; no schema."""


@shared_task(name="tests.compat.deprecated")
def deprecated(partial_count=None):
    """End with InvenioRDM's deprecated error, or with the partial one."""
    if partial_count is None:
        raise TaskExecutionError("some entries failed")
    raise TaskExecutionPartialError(
        message="3 of 9 failed", errored_entries_count=partial_count
    )


DeprecatedJob = JobType.create(
    "DeprecatedJob",
    PredefinedArgsSchema.from_dict(
        {"partial_count": fields.Integer(load_default=None, allow_none=True)}
    ),
    "compat_deprecated",
    deprecated,
    "",
    "Deprecated",
)
"""Raises ``TaskExecutionError`` (or the partial one)."""


@pytest.fixture(scope="module")
def job_types(app):
    """The test job types and the seed's ``ExportRecords``, registered."""
    from seed_site.distribution import SEED_ROOT

    sys.path.insert(0, str(SEED_ROOT))
    from my_site.jobs import ExportRecords

    for job_type in (StrictJob, CustomHookJob, SendsJob, DeprecatedJob):
        current_jobs.registry.register(job_type)
    current_jobs.registry.register(ExportRecords, id_="export_records")
    yield
    sys.path.remove(str(SEED_ROOT))


make_job = service_job


def run_job(job_id, args=None):
    """Run a job now (eager: it ends here); the run as stored."""
    from invenio_db import db

    result = runs.create(system_identity, job_id, {"args": args})
    db.session.expire_all()
    return db.session.get(Run, uuid.UUID(result.id))


def log_lines(run_id):
    """The log lines of a run, in order."""
    from invenio_db import db

    return db.session.scalars(
        sa.select(RunLog).where(RunLog.run_id == run_id).order_by(RunLog.id)
    ).all()


# -- names -----------------------------------------------------------------------
def test_registered_task_is_the_documented_name_of_job_type():
    """``from invenio_jobs.jobs import RegisteredTask`` works (v13 documentation)."""
    from invenio_jobs.jobs import RegisteredTask

    assert RegisteredTask is JobType


def test_set_job_context_restores_the_previous_context():
    """``set_job_context`` holds inside the block only; the decorator likewise."""
    assert job_context.get() is EMPTY_JOB_CTX
    with set_job_context({"run_id": "r"}) as var:
        assert var.get() == {"run_id": "r"}

        @with_job_context(EMPTY_JOB_CTX)
        def outside():
            return job_context.get()

        assert outside() is EMPTY_JOB_CTX
        assert job_context.get() == {"run_id": "r"}
    assert job_context.get() is EMPTY_JOB_CTX


def test_partial_error_takes_both_spellings_of_the_count():
    """``errored_entries_count`` (InvenioRDM) and ``errored_entries`` (ours)."""
    rdm = TaskExecutionPartialError(message="m", errored_entries_count=4)
    ours = TaskExecutionPartialError("m", errored_entries=5)
    assert (rdm.errored_entries_count, rdm.errored_entries) == (4, 4)
    assert (ours.errored_entries_count, ours.errored_entries) == (5, 5)
    assert TaskExecutionPartialError().errored_entries_count == 0
    assert str(rdm) == rdm.message == "m"


def test_task_execution_error_warns_that_it_is_deprecated():
    """Raising ``TaskExecutionError`` warns; the partial error does not."""
    with pytest.warns(DeprecationWarning):
        TaskExecutionError("old")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TaskExecutionPartialError("new")


def test_delete_logs_keeps_inveniordm_task_name(app):
    """invenio-app-rdm's beat schedule sends this name every day."""
    from invenio_jobs.logging.tasks import delete_logs

    assert delete_logs.name == "invenio_jobs.logging.tasks.delete_logs"
    assert delete_logs.name in app.extensions["flask-celeryext"].celery.tasks


def test_vocabularies_requirement_keeps_this_package_installed():
    """pip keeps this package next to invenio-vocabularies: its range holds ours."""
    ours = importlib.metadata.version("invenio-jobs")
    requirements = [
        Requirement(text)
        for text in importlib.metadata.requires("invenio-vocabularies") or []
    ]
    (jobs,) = [r for r in requirements if r.name == "invenio-jobs"]
    assert jobs.specifier.contains(ours)
    import invenio_jobs

    assert invenio_jobs.__version__ == ours
    assert Path(invenio_jobs.__file__).parent == ROOT / "invenio_jobs"


# -- arguments -------------------------------------------------------------------
def test_registry_warns_once_of_an_attribute_that_is_not_a_field(caplog):
    """A trailing comma makes a tuple: the registry names it at start, once."""
    from seed_site.distribution import SEED_ROOT

    sys.path.insert(0, str(SEED_ROOT))
    try:
        from my_site.jobs import ExportRecords, ExportRecordsArgumentSchema
    finally:
        sys.path.remove(str(SEED_ROOT))
    assert set(undeclared_fields(ExportRecordsArgumentSchema)) == {"serializer"}
    registry = JobsRegistry()
    with caplog.at_level(logging.WARNING, logger="invenio_jobs.registry"):
        registry.register(ExportRecords, id_="export_records")
        registry.register(type("Again", (ExportRecords,), {"id": "again"}), id_="again")
    warnings = [r for r in caplog.records if "serializer" in r.getMessage()]
    assert len(warnings) == 1
    assert "ExportRecordsArgumentSchema.serializer" in warnings[0].getMessage()


def test_seed_export_records_runs_with_serializer(app, db, job_types):
    """The documented example: ``serializer`` accepted, SUCCESS, task got both."""
    job_id = make_job("export_records", {"serializer": "json"})
    run = run_job(job_id, {"serializer": "datacite-json"})
    assert run.status is RunStatusEnum.SUCCESS, run.message
    assert run.args["serializer"] == "datacite-json"
    messages = [line.message for line in log_lines(run.id)]
    assert "export_records since=None serializer=datacite-json" in messages


def test_unknown_arguments_are_still_refused(app, db, job_types):
    """Only what the schema declares (or a slip left undeclared) is accepted."""
    from marshmallow import ValidationError

    job_id = make_job("export_records")
    with pytest.raises(ValidationError) as error:
        runs.create(system_identity, job_id, {"args": {"nonsense": 1}})
    assert error.value.messages == {"args": {"nonsense": ["Unknown field."]}}


def test_build_task_arguments_gets_no_system_fields(app, db, job_types):
    """``job_arg_schema`` never reaches a ``build_task_arguments`` without kwargs."""
    job_id = make_job("compat_strict", {"tag": "strict"})
    run = run_job(
        job_id, {"tag": "strict", "job_arg_schema": "StrictSchema", "since": None}
    )
    assert run.status is RunStatusEnum.SUCCESS, run.message
    assert SEEN["strict"]["kwargs"] == {"since": None}


def test_since_defaults_to_the_last_success_in_the_hook(app, db, job_types):
    """The default hook continues from the last successful run's start."""
    job_id = make_job("compat_strict", {"tag": "again"})
    first = run_job(job_id)
    run_job(job_id)
    assert SEEN["again"]["kwargs"]["since"] == first.started_at


def test_an_overridden_hook_gets_since_as_given_and_custom_args(app, db, job_types):
    """An override of ``_build_task_arguments`` decides ``since`` itself."""
    job_id = make_job("compat_hook", {"tag": "hook"})
    run_job(job_id)
    run_job(job_id)
    assert SEEN["hook"]["kwargs"] == {"hook_since": "None"}
    run_job(job_id, {"tag": "hook", "custom_args": {"tag": "verbatim", "x": 1}})
    assert SEEN["verbatim"]["kwargs"] == {"x": 1}


def test_custom_args_are_the_task_arguments_verbatim(app, db, job_types):
    """InvenioRDM's meaning of ``custom_args``: the schema is bypassed."""
    job_id = make_job("compat_strict", {"tag": "plain"})
    run = run_job(job_id, {"tag": "plain", "custom_args": {"tag": "custom", "n": 2}})
    assert run.status is RunStatusEnum.SUCCESS, run.message
    assert SEEN["custom"]["kwargs"] == {"n": 2}


def test_job_type_without_schema_is_created_and_run(app, db, job_types):
    """``JobType.create(arguments_schema=None, ...)``: no arguments, SUCCESS."""
    assert current_jobs.registry.get("no_schema").arguments_schema is None
    job_id = make_job("no_schema")
    run = run_job(job_id)
    assert run.status is RunStatusEnum.SUCCESS, run.message
    assert run.args == {}
    assert [line.message for line in log_lines(run.id)] == ["no_schema ran"]


def test_job_type_without_schema_through_the_api(app, db, admin_client):
    """``/api/tasks/<id>/args``, ``POST /api/jobs`` and a run answer, no 500."""
    assert admin_client.get("/tasks/no_schema/args").status_code == 200
    created = admin_client.post("/jobs", json={"title": "Embargo", "task": "no_schema"})
    assert created.status_code == 201, created.json
    run = admin_client.post(f"/jobs/{created.json['id']}/runs", json={})
    assert run.status_code == 201, run.json
    read = admin_client.get(f"/jobs/{created.json['id']}/runs/{run.json['id']}")
    assert read.json["status"] == "SUCCESS"


def test_job_type_without_schema_through_the_cli(app, db, invoke):
    """``invenio jobs types``, ``create`` and ``run`` for such a job type."""
    types = invoke("types")
    assert types.exit_code == 0, types.output
    assert "no_schema" in types.output
    created = invoke("create", "--title", "Embargo cli", "--task", "no_schema")
    assert created.exit_code == 0, created.output
    job = current_jobs_service.search(system_identity, {"q": "Embargo cli"})
    (job_id,) = [hit["id"] for hit in job.to_dict()["hits"]["hits"]]
    ran = invoke("run", job_id)
    assert ran.exit_code == 0, ran.output
    (run,) = runs.search(system_identity, job_id).to_dict()["hits"]["hits"]
    assert run["status"] == "SUCCESS"


# -- ends of runs ----------------------------------------------------------------
def test_task_execution_error_ends_partial_success(app, db, job_types):
    """The deprecated error ends PARTIAL_SUCCESS with its message, as there."""
    with pytest.warns(DeprecationWarning):
        run = run_job(make_job("compat_deprecated"))
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS
    assert run.message == "some entries failed"


def test_partial_error_with_inveniordm_keywords(app, db, job_types):
    """``TaskExecutionPartialError(message=..., errored_entries_count=N)``."""
    run = run_job(make_job("compat_deprecated"), {"partial_count": 3})
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS
    assert (run.message, run.errored_entries) == ("3 of 9 failed", 3)


# -- the job context ---------------------------------------------------------------
SENDS_ARGS = {"custom_args": {"tag": "ctx", "threaded": True}}
"""A job type without schema takes ``custom_args``: the sending task's."""


def test_job_context_is_set_during_a_run_and_follows_tasks_it_calls(app, db, job_types):
    """A task a run sends sees the run's context; a copied thread too."""
    run = run_job(make_job("compat_sends"), SENDS_ARGS)
    assert run.status is RunStatusEnum.SUCCESS, run.message
    context = SEEN["ctx-child"]["context"]
    assert context["run_id"] == str(run.id)
    assert context["job_id"] == str(run.job_id)
    assert context["identity_id"] == "system"
    assert context["task_id"] == run.task_id
    thread_context = SEEN["ctx-thread"]
    assert thread_context["run_id"] == str(run.id)
    assert job_context.get() is EMPTY_JOB_CTX


def test_log_lines_carry_call_site_and_task(app, db, job_types):
    """Each line stores module, function and line, and the run's task and identity."""
    run = run_job(make_job("compat_sends"), SENDS_ARGS)
    lines = {line.message: line for line in log_lines(run.id)}
    own = lines["ctx: in the run"].context
    assert own["module"] == "test_compat_execution"
    assert own["function"] == "sends"
    assert isinstance(own["line"], int)
    assert own["task_id"] == run.task_id
    assert own["identity_id"] == "system"
    threaded = lines["ctx: in a thread"].context
    assert threaded["function"] == "in_thread"
    assert threaded["thread"].startswith("Thread")


def test_delete_logs_deletes_lines_past_retention(app, db, job_types):
    """The InvenioRDM task runs our retention: old lines go, recent ones stay."""
    from invenio_jobs.logging.tasks import delete_logs

    run = run_job(make_job("no_schema"))
    days = app.config["JOBS_LOGGING_RETENTION_DAYS"]
    db.session.add(
        RunLog(
            run_id=run.id,
            timestamp=utcnow() - timedelta(days=days + 1),
            level="INFO",
            message="old",
        )
    )
    db.session.commit()
    assert delete_logs.delay().get() == 1
    assert [line.message for line in log_lines(run.id)] == ["no_schema ran"]


# -- the runs service's subtask steps ------------------------------------------------
@pytest.fixture()
def parent(app, db):
    """A running top-level run whose task has not returned yet."""
    from invenio_jobs import lifecycle

    job_id = make_job("no_schema")
    run = Run(**lifecycle.queued_run(uuid.UUID(job_id), "parent", {}, "celery"))
    db.session.add(run)
    db.session.commit()
    lifecycle.claim(run.id, "w")
    db.session.commit()
    return run


def test_add_total_entries_adds_up_from_unknown(app, db, parent):
    """NULL (unknown) + 2 + 3 = 5; a run of another job is not found."""
    assert parent.total_entries is None
    runs.add_total_entries(
        system_identity, run_id=parent.id, job_id=parent.job_id, total_entries=2
    )
    item = runs.add_total_entries(
        system_identity, run_id=parent.id, job_id=parent.job_id, total_entries=3
    )
    assert item.to_dict()["total_entries"] == 5
    with pytest.raises(RunNotFoundError):
        runs.add_total_entries(
            system_identity, run_id=parent.id, job_id=uuid.uuid4(), total_entries=1
        )
    with pytest.raises(ValueError):
        runs.add_total_entries(
            system_identity, run_id=parent.id, job_id=parent.job_id, total_entries=-1
        )


def test_subtask_steps_count_on_the_parent_which_ends_last(app, db, parent):
    """Subtasks start, end and count; the parent ends with its last subtask."""
    from invenio_jobs import lifecycle

    job_id = str(parent.job_id)
    children = [
        runs.create_subtask_run(system_identity, parent_run_id=parent.id, job_id=job_id)
        for _ in range(2)
    ]
    assert all(child.to_dict()["status"] == "QUEUED" for child in children)
    assert all(child.to_dict()["parent_run_id"] == str(parent.id) for child in children)
    first, second = (child.id for child in children)
    fetched = runs.get(system_identity, job_id=job_id, run_id=first)
    runs.start_processing_subtask(system_identity, fetched.id, job_id=job_id)
    with pytest.raises(RunStatusChangeError):
        runs.start_processing_subtask(system_identity, first, job_id=job_id)
    runs.finalize_subtask(
        system_identity,
        first,
        job_id,
        success=True,
        errored_entries_count=0,
        inserted_entries_count=2,
        updated_entries_count=1,
    )
    with pytest.raises(RunStatusChangeError):  # counted once only
        runs.finalize_subtask(system_identity, first, job_id, success=True)
    runs.start_processing_subtask(system_identity, second, job_id=job_id)
    lifecycle.mark_task_finished(parent.id)
    db.session.commit()
    runs.finalize_subtask(
        system_identity, second, job_id, success=False, errored_entries_count=1
    )
    db.session.expire_all()
    ended = db.session.get(Run, parent.id)
    assert ended.status is RunStatusEnum.PARTIAL_SUCCESS
    assert (ended.total_subtasks, ended.completed_subtasks) == (2, 2)
    assert ended.failed_subtasks == 1
    assert (ended.inserted_entries, ended.updated_entries) == (2, 1)
    assert ended.errored_entries == 1
    assert ended.finished_at is not None


def test_parent_of_successful_subtasks_ends_success(app, db, parent):
    """Every subtask succeeded, no entry failed: SUCCESS, when the last ends."""
    from invenio_jobs import lifecycle

    job_id = str(parent.job_id)
    child = runs.create_subtask_run(
        system_identity, parent_run_id=parent.id, job_id=job_id
    )
    lifecycle.mark_task_finished(parent.id)
    db.session.commit()
    runs.start_processing_subtask(system_identity, child.id, job_id=job_id)
    db.session.expire_all()
    assert db.session.get(Run, parent.id).status is RunStatusEnum.RUNNING
    runs.finalize_subtask(system_identity, child.id, job_id, success=True)
    db.session.expire_all()
    assert db.session.get(Run, parent.id).status is RunStatusEnum.SUCCESS


def test_subtasks_made_by_modules_are_never_resent(app, db, parent):
    """A queued subtask without task id is the module's to send, not the reaper's."""
    from invenio_jobs.tasks import reap_runs

    child = runs.create_subtask_run(
        system_identity, parent_run_id=parent.id, job_id=parent.job_id
    )
    db.session.execute(
        sa.update(Run)
        .where(Run.id == uuid.UUID(child.id))
        .values(created=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    assert reap_runs()["resent"] == 0
    db.session.expire_all()
    assert db.session.get(Run, uuid.UUID(child.id)).status is RunStatusEnum.QUEUED
