# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The Flask extension: settings, registry of job types, services and resources."""

from . import config
from .registry import JobsRegistry
from .resources import (
    JobsResource,
    JobsResourceConfig,
    LogsResource,
    LogsResourceConfig,
    RunsResource,
    RunsResourceConfig,
    TasksResource,
    TasksResourceConfig,
)
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


class InvenioJobs:
    """Invenio-Jobs extension."""

    def __init__(self, app=None):
        """Initialise the extension, at once when an app is given."""
        self.registry = JobsRegistry()
        if app:
            self.init_app(app)

    def init_app(self, app):
        """Register the extension on an app."""
        self.init_config(app)
        self.init_services(app)
        self.init_resources(app)
        app.extensions["invenio-jobs"] = self

    @staticmethod
    def init_config(app):
        """Set every ``JOBS_*`` default that the instance did not set."""
        for name in dir(config):
            if name.startswith("JOBS_"):
                app.config.setdefault(name, getattr(config, name))

    def init_services(self, app):
        """Create the services, configured from the app's settings."""
        self.jobs_service = JobsService(JobsServiceConfig.build(app))
        self.runs_service = RunsService(RunsServiceConfig.build(app))
        self.tasks_service = TasksService(TasksServiceConfig.build(app))
        self.logs_service = LogsService(LogsServiceConfig.build(app))

    def init_resources(self, app):
        """Create the REST resources on top of the services."""
        self.jobs_resource = JobsResource(JobsResourceConfig, self.jobs_service)
        self.runs_resource = RunsResource(
            RunsResourceConfig, self.runs_service, self.logs_service
        )
        self.logs_resource = LogsResource(LogsResourceConfig, self.logs_service)
        self.tasks_resource = TasksResource(TasksResourceConfig, self.tasks_service)

    @property
    def jobs(self) -> dict:
        """Registered job types by id, as InvenioRDM's ``current_jobs.jobs``."""
        return self.registry.all()

    def load_job_types(self):
        """Fill the registry from the ``invenio_jobs.jobs`` entry points."""
        self.registry.load_entry_points()


def finalize_app(app):
    """Load the job types once every extension of the app is registered.

    Job types import their tasks, which may need other extensions: loading
    them at finalize time, not at init time, keeps the import order harmless.
    """
    app.extensions["invenio-jobs"].load_job_types()
