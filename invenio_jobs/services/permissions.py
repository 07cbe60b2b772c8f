# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Who may do what: administrators and the system process, by default.

Instances replace a policy through ``JOBS_PERMISSION_POLICY``,
``JOBS_RUNS_PERMISSION_POLICY``, ``JOBS_TASKS_PERMISSION_POLICY`` or
``APP_LOGS_PERMISSION_POLICY``.
"""

from invenio_administration.generators import Administration
from invenio_records_permissions.generators import Disable, SystemProcess
from invenio_records_permissions.policies import BasePermissionPolicy

ADMINS = [Administration(), SystemProcess()]


class JobPermissionPolicy(BasePermissionPolicy):
    """Access to jobs."""

    can_search = ADMINS
    can_create = ADMINS
    can_read = ADMINS
    can_update = ADMINS
    can_delete = ADMINS


class RunPermissionPolicy(BasePermissionPolicy):
    """Access to runs and their logs."""

    can_search = ADMINS
    can_create = ADMINS
    can_read = ADMINS
    can_update = ADMINS
    can_stop = ADMINS
    can_delete = ADMINS
    can_read_stats = ADMINS
    can_read_metrics = ADMINS


class TasksPermissionPolicy(BasePermissionPolicy):
    """Access to the list of registered job types."""

    can_search = ADMINS
    can_read = ADMINS


class JobLogsPermissionPolicy(BasePermissionPolicy):
    """Access to ``/api/logs/jobs``: searching runs' logs.

    InvenioRDM's policy: lines are written by logging, never through the API,
    so every action but ``search`` is closed.
    """

    can_search = ADMINS
    can_create = [Disable()]
    can_read = [Disable()]
    can_update = [Disable()]
    can_delete = [Disable()]
