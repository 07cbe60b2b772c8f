# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Settings of the job system, each ``JOBS_*`` with its default.

Instances override them in ``invenio.cfg`` or through ``INVENIO_JOBS_*``
environment variables, as for any Invenio setting.
"""

from invenio_i18n import lazy_gettext as _

JOBS_QUEUES = {
    "celery": {
        "name": "celery",
        "title": _("Default"),
        "description": _("Default queue"),
    },
    "low": {
        "name": "low",
        "title": _("Low"),
        "description": _("Low priority queue"),
    },
}
"""Celery queues a job or a run may be sent to, by name.

A job or run naming another queue is refused: a message sent to a queue no
worker consumes would never run.
"""

JOBS_DEFAULT_QUEUE = "celery"
"""Queue of jobs created without one."""

JOBS_SCHEDULER_TIMEZONE = "UTC"
"""Time zone of cron schedules that do not name one (an IANA name)."""

JOBS_PERMISSION_POLICY = "invenio_jobs.services.permissions:JobPermissionPolicy"
"""Who may list, read, create, edit and delete jobs (a class or import path)."""

JOBS_RUNS_PERMISSION_POLICY = "invenio_jobs.services.permissions:RunPermissionPolicy"
"""Who may see, start and stop runs, and read their logs."""

JOBS_TASKS_PERMISSION_POLICY = "invenio_jobs.services.permissions:TasksPermissionPolicy"
"""Who may list the registered job types and their arguments."""

JOBS_ADMINISTRATION_HTML = "/administration/jobs/{id}"
"""Where a job's page lives in the admin UI; the ``self_admin_html`` link."""
