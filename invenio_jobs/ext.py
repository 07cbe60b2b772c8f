# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The Flask extension: settings, registry of job types, services and resources."""

from importlib.metadata import entry_points

from flask import current_app
from invenio_db import db

from . import config
from .database import install_pre_ping, use_prepared_statements
from .logging.process import install_process_hooks
from .registry import ENTRY_POINT_GROUP, JobsRegistry
from .resources import (
    JobsResource,
    JobsResourceConfig,
    LogsResource,
    LogsResourceConfig,
    PoolsResource,
    PoolsResourceConfig,
    RunsResource,
    RunsResourceConfig,
    TasksResource,
    TasksResourceConfig,
)
from .resources.access import AccessResource, AccessResourceConfig
from .resources.config import SchedulingResourceConfig
from .resources.resources import SchedulingResource
from .run_totals import keep_totals_with_the_tables
from .services import (
    JobsService,
    JobsServiceConfig,
    LogsService,
    LogsServiceConfig,
    RunsService,
    RunsServiceConfig,
    TasksService,
    TasksServiceConfig,
)
from .services.access import AccessService
from .services.pause import PauseService, PauseServiceConfig
from .services.pools import PoolsService, PoolsServiceConfig
from .services.stats import StatsService, StatsServiceConfig
from .services.windows import WindowsService, WindowsServiceConfig


class InvenioJobs:
    """Invenio-Jobs extension."""

    def __init__(self, app=None):
        """Initialise the extension, at once when an app is given."""
        self.registry = JobsRegistry()
        self.entry_point_group = ENTRY_POINT_GROUP
        if app:
            self.init_app(app)

    def init_app(self, app, entry_point_group=ENTRY_POINT_GROUP):
        """Register the extension on an app; job types load at finalize time."""
        self.entry_point_group = entry_point_group
        self.init_config(app)
        self.init_services(app)
        self.init_resources(app)
        # Tables made from the models (``invenio db create``) get the
        # triggers that keep the run totals of the metrics.
        keep_totals_with_the_tables()
        app.extensions["invenio-jobs"] = self

    @staticmethod
    def init_config(app):
        """Set every default (``JOBS_*`` and InvenioRDM's own names) not set."""
        for name in dir(config):
            if name.startswith("JOBS_") or name in INVENIORDM_SETTINGS:
                app.config.setdefault(name, getattr(config, name))

    def init_services(self, app):
        """Create the services, configured from the app's settings."""
        self.jobs_service = JobsService(JobsServiceConfig.build(app))
        self.runs_service = RunsService(RunsServiceConfig.build(app))
        self.tasks_service = TasksService(TasksServiceConfig.build(app))
        self.logs_service = LogsService(LogsServiceConfig.build(app))
        self.stats_service = StatsService(StatsServiceConfig.build(app))
        self.pools_service = PoolsService(PoolsServiceConfig.build(app))

        self.access_service = AccessService(self.jobs_service)

        self.pause_service = PauseService(PauseServiceConfig.build(app))
        self.windows_service = WindowsService(WindowsServiceConfig.build(app))

    def init_resources(self, app):
        """Create the REST resources on top of the services."""
        self.jobs_resource = JobsResource(JobsResourceConfig, self.jobs_service)
        self.runs_resource = RunsResource(
            RunsResourceConfig, self.runs_service, self.logs_service
        )
        self.logs_resource = LogsResource(LogsResourceConfig, self.logs_service)
        self.tasks_resource = TasksResource(TasksResourceConfig, self.tasks_service)
        self.pools_resource = PoolsResource(PoolsResourceConfig, self.pools_service)

        self.access_resource = AccessResource(AccessResourceConfig, self.access_service)

        self.scheduling_resource = SchedulingResource(
            SchedulingResourceConfig, self.pause_service, self.windows_service
        )

    def init_resource(self, app):
        """Create the REST resources: InvenioRDM's name of :meth:`init_resources`."""
        self.init_resources(app)

    @property
    def jobs(self) -> dict:
        """Registered job types by id, as InvenioRDM's ``current_jobs.jobs``."""
        return self.registry.all()

    @property
    def tasks(self) -> dict:
        """Registered job types by id: InvenioRDM's older name of :attr:`jobs`."""
        return self.jobs

    @property
    def queues(self) -> dict:
        """The queues runs may be sent to (``JOBS_QUEUES``), by name."""
        return current_app.config["JOBS_QUEUES"]

    @property
    def default_queue(self) -> str:
        """The queue of jobs created without one.

        ``JOBS_DEFAULT_QUEUE``, or Celery's ``task_default_queue`` when that
        setting is None, as in InvenioRDM.
        """
        return current_app.config.get("JOBS_DEFAULT_QUEUE") or _celery_default_queue(
            current_app
        )

    # InvenioRDM's attribute names of the same services and resources.
    service = property(lambda self: self.jobs_service, doc="The jobs service.")
    jobs_log_service = property(
        lambda self: self.logs_service, doc="The run logs service."
    )
    job_log_resource = property(
        lambda self: self.logs_resource, doc="The run logs resource."
    )

    def load_entry_point_group(self):
        """Yield the job types of the entry point group, loaded (InvenioRDM's)."""
        for ep in sorted(entry_points(group=self.entry_point_group), key=_name):
            yield ep.load()

    def load_job_types(self):
        """Fill the registry from the entry point group (``invenio_jobs.jobs``)."""
        self.registry.load_entry_points(self.entry_point_group)


INVENIORDM_SETTINGS = ("APP_LOGS_PERMISSION_POLICY",)
"""Settings of InvenioRDM's invenio-jobs whose names do not start with JOBS_."""

SERVICE_IDS = {"jobs": "jobs_service", "runs": "runs_service", "tasks": "tasks_service"}
"""Ids under which the services are found in invenio-records-resources' registry."""


def _name(ep):
    return ep.name


def _celery_default_queue(app) -> str:
    celery = app.extensions.get("invenio-celery")
    if celery is not None:
        return celery.celery.conf.task_default_queue
    from celery import current_app as current_celery_app

    return current_celery_app.conf.task_default_queue


def register_services(app):
    """Register the services in invenio-records-resources' service registry.

    ``current_service_registry.get("jobs")`` (and ``runs``, ``tasks``) finds
    them, as in InvenioRDM. Registering again for the same app is harmless;
    an id held by another module's service is left to it, with a warning.
    """
    resources = app.extensions.get("invenio-records-resources")
    if resources is None:
        return
    ext = app.extensions["invenio-jobs"]
    for service_id, attribute in SERVICE_IDS.items():
        service = getattr(ext, attribute)
        try:
            known = resources.registry.get(service_id)
        except KeyError:
            resources.registry.register(service, service_id=service_id)
            continue
        if known is not service:
            app.logger.warning(
                "Service id '%s' is registered by %r; invenio-jobs' %s is not.",
                service_id,
                known,
                attribute,
            )


def finalize_app(app):
    """Load the job types and register the services, once every extension is in.

    Job types import their tasks, which may need other extensions: loading
    them at finalize time, not at init time, keeps the import order harmless.
    A ``JOBS_DEFAULT_QUEUE`` of None is resolved to Celery's default queue
    here, so that every reader of the setting gets a queue name. The
    database pool learns to replace connections a restart dropped, and
    the engine whether a run's statements may be prepared. The process
    gets the hooks that run logs need (fork, exit, Celery's signals): here,
    and not at import, so that a host that imports the package without
    using it is left as it was.
    """
    ext = app.extensions["invenio-jobs"]
    ext.load_job_types()
    register_services(app)
    install_process_hooks()
    if "sqlalchemy" in app.extensions:
        with app.app_context():
            if app.config.get("JOBS_DATABASE_PRE_PING"):
                install_pre_ping(db.engine)
            use_prepared_statements(
                db.engine, app.config.get("JOBS_DATABASE_PREPARED_STATEMENTS", True)
            )
    if not app.config.get("JOBS_DEFAULT_QUEUE"):
        app.config["JOBS_DEFAULT_QUEUE"] = _celery_default_queue(app)
