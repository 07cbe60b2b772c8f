# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The Flask extension: settings, registry of job types, services and resources."""

from . import config
from .registry import JobsRegistry


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
        app.extensions["invenio-jobs"] = self

    @staticmethod
    def init_config(app):
        """Set every ``JOBS_*`` default that the instance did not set."""
        for name in dir(config):
            if name.startswith("JOBS_"):
                app.config.setdefault(name, getattr(config, name))

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
