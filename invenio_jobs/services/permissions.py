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


class OneLookupPolicy(BasePermissionPolicy):
    """A policy whose check looks the action grants up once.

    invenio-access's ``allows`` reads ``needs`` and then ``excludes``, and
    each expands every action need again through the access cache: with
    the administrators' two actions, four cache reads per request where
    two give the same answer. A policy whose generators exclude an action
    need (where the two readings can differ) is checked as invenio-access
    checks it.
    """

    def allows(self, identity):
        """Whether ``identity`` provides a need and no exclude."""
        for generator in self.generators:
            self.explicit_needs |= set(generator.needs(**self.over))
            self.explicit_excludes |= set(generator.excludes(**self.over))
        if any(need.method == "action" for need in self.explicit_excludes):
            return super().allows(identity)
        self._load_permissions()
        needs, excludes = self._permissions.needs, self._permissions.excludes
        if needs and not needs.intersection(identity.provides):
            return False
        return not (excludes and excludes.intersection(identity.provides))


class JobPermissionPolicy(OneLookupPolicy):
    """Access to jobs."""

    can_search = ADMINS
    can_create = ADMINS
    can_read = ADMINS
    can_update = ADMINS
    can_delete = ADMINS


class RunPermissionPolicy(OneLookupPolicy):
    """Access to runs and their logs."""

    can_search = ADMINS
    can_create = ADMINS
    can_read = ADMINS
    can_update = ADMINS
    can_stop = ADMINS
    can_delete = ADMINS
    can_read_stats = ADMINS
    can_read_metrics = ADMINS


class TasksPermissionPolicy(OneLookupPolicy):
    """Access to the list of registered job types."""

    can_search = ADMINS
    can_read = ADMINS


class JobLogsPermissionPolicy(OneLookupPolicy):
    """Access to ``/api/logs/jobs``: searching runs' logs.

    InvenioRDM's policy: lines are written by logging, never through the API,
    so every action but ``search`` is closed.
    """

    can_search = ADMINS
    can_create = [Disable()]
    can_read = [Disable()]
    can_update = [Disable()]
    can_delete = [Disable()]
