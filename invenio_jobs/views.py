# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Blueprint factories: the REST API (``invenio_base.api_blueprints``) and the UI.

The UI blueprint has no routes of its own (the pages are administration
views); it makes the package's templates visible to the UI app.
"""

from flask import Blueprint


def create_jobs_bp(app):
    """The ``/api/jobs`` blueprint."""
    return app.extensions["invenio-jobs"].jobs_resource.as_blueprint()


def create_runs_bp(app):
    """The ``/api/jobs/<job_id>/runs`` blueprint."""
    return app.extensions["invenio-jobs"].runs_resource.as_blueprint()


def create_tasks_bp(app):
    """The ``/api/tasks`` blueprint."""
    return app.extensions["invenio-jobs"].tasks_resource.as_blueprint()


def create_logs_bp(app):
    """The ``/api/logs/jobs`` blueprint."""
    return app.extensions["invenio-jobs"].logs_resource.as_blueprint()


def create_pools_bp(app):
    """The ``/api/jobs/pools`` blueprint."""
    return app.extensions["invenio-jobs"].pools_resource.as_blueprint()


def create_access_bp(app):
    """The ``/api/jobs/<job_id>/access`` blueprint."""
    return app.extensions["invenio-jobs"].access_resource.as_blueprint()


def create_scheduling_bp(app):
    """The pause switch and the maintenance windows, under ``/api/jobs``."""
    return app.extensions["invenio-jobs"].scheduling_resource.as_blueprint()


def create_ui_bp(app):
    """The templates of the admin pages."""
    return Blueprint("invenio_jobs", __name__, template_folder="templates")
