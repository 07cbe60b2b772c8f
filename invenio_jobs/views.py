# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Blueprint factories, registered through ``invenio_base.api_blueprints``."""


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
