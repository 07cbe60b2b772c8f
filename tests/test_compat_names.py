# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""InvenioRDM's names work here: extension attributes, registries, errors, settings."""

from datetime import timedelta

import pytest
from celery import current_app as current_celery_app
from invenio_access.permissions import system_identity
from invenio_records_resources.proxies import current_service_registry
from marshmallow import Schema, fields

from invenio_jobs.jobs import JobType
from invenio_jobs.models import RunStatusEnum
from invenio_jobs.proxies import (
    current_jobs,
    current_jobs_logs_service,
    current_jobs_service,
    current_runs_service,
    current_tasks_service,
)
from invenio_jobs.registry import JobsRegistry
from invenio_jobs.services import errors
from invenio_jobs.services.permissions import JobLogsPermissionPolicy


def test_extension_has_inveniordm_attributes(app):
    """``current_jobs.service`` & co. are the services the proxies give."""
    assert current_jobs.service is current_jobs_service._get_current_object()
    assert current_jobs.runs_service is current_runs_service._get_current_object()
    assert current_jobs.tasks_service is current_tasks_service._get_current_object()
    assert (
        current_jobs.jobs_log_service is current_jobs_logs_service._get_current_object()
    )
    assert current_jobs.job_log_resource is current_jobs.logs_resource
    assert current_jobs.queues is app.config["JOBS_QUEUES"]
    assert current_jobs.default_queue == "celery"
    assert current_jobs.tasks == current_jobs.jobs
    assert "mock_echo" in current_jobs.tasks
    assert current_jobs.entry_point_group == "invenio_jobs.jobs"
    loaded = list(current_jobs.load_entry_point_group())
    assert current_jobs.registry.get("mock_echo") in loaded


def test_default_queue_none_falls_back_to_celery(app, monkeypatch):
    """``JOBS_DEFAULT_QUEUE = None`` means Celery's ``task_default_queue``."""
    monkeypatch.setitem(app.config, "JOBS_DEFAULT_QUEUE", None)
    monkeypatch.setattr(current_celery_app.conf, "task_default_queue", "elsewhere")
    celery = app.extensions["invenio-celery"].celery
    monkeypatch.setattr(celery.conf, "task_default_queue", "elsewhere")
    assert current_jobs.default_queue == "elsewhere"


def test_services_are_in_the_service_registry(app):
    """``current_service_registry.get("jobs")`` finds the jobs service, etc."""
    assert current_service_registry.get("jobs") is current_jobs.jobs_service
    assert current_service_registry.get("runs") is current_jobs.runs_service
    assert current_service_registry.get("tasks") is current_jobs.tasks_service


def test_registering_services_twice_is_harmless(app):
    """Finalizing the same app again neither raises nor replaces a service."""
    from invenio_jobs.ext import register_services

    register_services(app)
    assert current_service_registry.get("jobs") is current_jobs.jobs_service


def test_registry_get_all_schemas_and_get_job_id(app):
    """The registry answers InvenioRDM's ``get_all``, ``schemas``, ``get_job_id``."""
    registry = current_jobs.registry
    assert registry.get_all() == registry.all()
    echo = registry.get("mock_echo")
    assert registry.get_job_id(echo) == "mock_echo"
    assert registry.schemas["EchoArgsSchema"] is echo.arguments_schema
    with pytest.raises(KeyError):
        registry.get_job_id(object())


def test_registry_register_takes_job_id(app):
    """``register(job_type, job_id=...)`` names a class without an id."""

    class Unnamed(JobType):
        task = staticmethod(lambda: None)
        arguments_schema = None

    registry = JobsRegistry()
    registry.register(Unnamed, job_id="unnamed")
    assert registry.get("unnamed") is Unnamed
    assert registry.schemas == {}


def test_run_status_change_error_is_inveniordm_shaped():
    """``RunStatusChangeError(run, new_status)`` keeps both; ours is an alias."""

    class FakeRun:
        status = RunStatusEnum.SUCCESS

    run = FakeRun()
    error = errors.RunStatusChangeError(run, RunStatusEnum.CANCELLING)
    assert error.run is run and error.new_status is RunStatusEnum.CANCELLING
    assert "SUCCESS" in str(error.description)
    assert "CANCELLING" in str(error.description)
    assert errors.RunStateError is errors.RunStatusChangeError
    assert errors.JobsError is errors.JobsServiceError
    assert "3" in str(errors.RunTooManyResults(3, 2).description)
    not_found = errors.RunNotFoundError("r", job_id="j")
    assert "r" in not_found.description and "j" in not_found.description


def test_inveniordm_settings_have_defaults(app):
    """InvenioRDM's settings exist with their meaning."""
    assert app.config["JOBS_LOGS_MAX_RESULTS"] == 2000
    assert app.config["JOBS_LOGS_BATCH_SIZE"] == 500
    assert app.config["APP_LOGS_PERMISSION_POLICY"].endswith("JobLogsPermissionPolicy")
    assert set(app.config["JOBS_SEARCH"]["sort"]) == set(
        app.config["JOBS_SORT_OPTIONS"]
    )
    assert current_jobs.logs_service.config.permission_policy_cls is (
        JobLogsPermissionPolicy
    )


def test_log_policy_lets_administrators_and_the_system_search_only(app):
    """``JobLogsPermissionPolicy``: search for the system, nothing written."""
    assert JobLogsPermissionPolicy("search").allows(system_identity)
    for action in ("create", "read", "update", "delete"):
        assert not JobLogsPermissionPolicy(action).allows(system_identity)


def test_interval_schedules_take_every_timedelta_unit(app):
    """Weeks, milliseconds and microseconds are stored, measured and described."""
    from invenio_jobs.schedules import describe, validate_schedule

    schedule = validate_schedule(
        {"type": "interval", "weeks": 1, "milliseconds": 500, "microseconds": 250}
    )
    assert schedule.data == {
        "type": "interval",
        "weeks": 1,
        "milliseconds": 500,
        "microseconds": 250,
    }
    assert schedule.delta == timedelta(weeks=1, milliseconds=500, microseconds=250)
    assert describe(schedule) == ("every 1 week, 500 milliseconds and 250 microseconds")


def test_email_templates_have_inveniordm_names(app):
    """Instances find (and may override) InvenioRDM's template names."""
    from invenio_jobs.worker.notifications import email_templates

    templates = email_templates()
    for name in ("run_notification.html", "run_notification.txt", "base.html"):
        assert templates.get_template(f"invenio_jobs/emails/{name}")


def test_argument_schemas_without_known_field_types_describe_plainly(app):
    """An unusual field type still gets InvenioRDM's keys, not an error."""
    from invenio_jobs.services.arguments import jsonify_arguments

    class Odd(fields.Field):
        pass

    class OddSchema(Schema):
        odd = Odd(required=True, metadata={"title": "Odd"})
        when = fields.Date(load_default=None)

    described = jsonify_arguments(OddSchema)
    assert described["odd"]["required"] is True
    assert described["odd"]["title"] == "Odd"
    assert described["when"]["type"] == "date"
    assert jsonify_arguments(None) == {}


def test_inveniordm_import_paths(app):
    """InvenioRDM's module paths and class names import the same classes."""
    from invenio_jobs.resources import JobLogResource, JobLogResourceConfig
    from invenio_jobs.services import JobLogService, JobLogServiceConfig
    from invenio_jobs.services.schema import JobSchema, RunSchema
    from invenio_jobs.services.services import JobsService, RunsService, TasksService

    assert isinstance(current_jobs.logs_service, JobLogService)
    assert isinstance(current_jobs.logs_service.config, JobLogServiceConfig)
    assert isinstance(current_jobs.logs_resource, JobLogResource)
    assert current_jobs.logs_resource.config is JobLogResourceConfig
    assert isinstance(current_jobs.jobs_service, JobsService)
    assert isinstance(current_jobs.runs_service, RunsService)
    assert isinstance(current_jobs.tasks_service, TasksService)
    assert current_jobs.jobs_service.config.schema is JobSchema
    assert current_jobs.runs_service.config.schema is RunSchema
