# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Who may do what: administrators and the system process, and per-job grants.

A job's own routes are also open to those granted ``read``, ``run`` or
``manage`` on that job (:mod:`.grants`); the checks of those routes give the
policy the job as ``job_id``. Instances replace a policy through ``JOBS_PERMISSION_POLICY``,
``JOBS_RUNS_PERMISSION_POLICY``, ``JOBS_TASKS_PERMISSION_POLICY`` or
``APP_LOGS_PERMISSION_POLICY``.
"""

from flask import current_app
from invenio_access.proxies import current_access
from invenio_administration.generators import Administration
from invenio_records_permissions.generators import Disable, SystemProcess
from invenio_records_permissions.policies import BasePermissionPolicy

from .grants import JobGrant, is_job_grant, job_grant_keys

ADMINS = [Administration(), SystemProcess()]


class OneLookupPolicy(BasePermissionPolicy):
    """A policy whose check looks the action grants up once, in one cache read.

    invenio-access's ``allows`` reads ``needs`` and then ``excludes``, and
    each expands every action need again through the access cache, one
    read per action: with the administrators' two actions, four cache
    round trips per request where one gives the same answers. Here the
    actions' grants are read together (``get_many``: one ``MGET`` on
    Redis), kept for the request as invenio-access keeps them, and an
    action the cache does not hold is expanded by invenio-access (from
    the database, then cached). A policy whose generators exclude an
    action need (where the two readings can differ) is checked as
    invenio-access checks it.

    A check of one job (``job_id`` among the policy's arguments) reads
    every grant of the job in the same round trip, so that a second check
    of the same job in the request costs no cache read. The other needs
    (the administrators') are judged first: when they allow, the job's
    grants are not expanded, so an administrator's request reads no grant
    of the job from the database, cached or not.
    """

    def allows(self, identity):
        """Whether ``identity`` provides a need and no exclude."""
        for generator in self.generators:
            self.explicit_needs |= set(generator.needs(**self.over))
            self.explicit_excludes |= set(generator.excludes(**self.over))
        if any(need.method == "action" for need in self.explicit_excludes):
            return super().allows(identity)
        keys = {self._cache_key(n) for n in self.explicit_needs if n.method == "action"}
        if self.over.get("job_id") is not None:
            keys |= job_grant_keys(self.over["job_id"])
        self._read_actions = _cached_actions(keys)
        grants = {need for need in self.explicit_needs if is_job_grant(need)}
        if grants and self._allows_with(identity, self.explicit_needs - grants):
            return True  # an administrator: the job's grants need no expanding
        return self._allows_with(identity, self.explicit_needs)

    def _allows_with(self, identity, explicit_needs):
        """Whether ``identity`` provides one of these needs' grants and no exclude."""
        every = self.explicit_needs
        self.explicit_needs = explicit_needs
        try:
            self._load_permissions()
        finally:
            self.explicit_needs = every
        needs, excludes = self._permissions.needs, self._permissions.excludes
        if needs and not needs.intersection(identity.provides):
            return False
        return not (excludes and excludes.intersection(identity.provides))

    def _expand_action(self, explicit_action):
        """The grants of an action, as read with the others when the cache had them."""
        found = getattr(self, "_read_actions", {}).get(self._cache_key(explicit_action))
        return found if found is not None else super()._expand_action(explicit_action)


def _cached_actions(keys) -> dict:
    """The access cache's entries of these action keys, read in one round trip.

    As invenio-access's ``get_action_cache`` reads each: the current
    request's own copy first, then the cache (``ACCESS_ACTION_CACHE_PREFIX``),
    what it found kept for the rest of the request. Keys the cache does not
    hold are left out.
    """
    access = current_access._get_current_object()
    found, missing = {}, []
    in_request = getattr(access, "_request_cache", None)
    for key in sorted(keys):
        if in_request is not None and key in in_request:
            found[key] = in_request[key]
        else:
            missing.append(key)
    cache = access.cache
    if missing and cache:
        prefix = current_app.config["ACCESS_ACTION_CACHE_PREFIX"]
        values = cache.get_many(*(prefix + key for key in missing))
        for key, value in zip(missing, values):
            if value is None:
                continue
            found[key] = value
            if in_request is not None:
                in_request[key] = value
    return found


READERS = [*ADMINS, JobGrant("read")]
RUNNERS = [*ADMINS, JobGrant("run")]
MANAGERS = [*ADMINS, JobGrant("manage")]


class JobPermissionPolicy(OneLookupPolicy):
    """Access to jobs.

    ``search`` is every job; others see the jobs granted to them (the
    service filters the list by their grants when this check refuses).
    """

    can_search = ADMINS
    can_create = ADMINS
    can_read = READERS
    can_update = MANAGERS
    can_delete = MANAGERS
    can_read_access = MANAGERS
    can_update_access = MANAGERS
    # Naming the service account a job runs as lends that user's rights:
    # administrators only, whoever else may edit the job.
    can_set_run_as = ADMINS
    can_read_history = READERS
    # A deleted job has no grants left: its history is for administrators.
    can_read_deleted_history = ADMINS
    # Jobs kept as code: every job at once, so the instance's administrators.
    can_export_jobs = ADMINS
    can_import_jobs = ADMINS


class RunPermissionPolicy(OneLookupPolicy):
    """Access to runs and their logs.

    ``update`` (counts and subtasks, written by the job's own code) stays
    with the system and administrators.
    """

    can_search = READERS
    can_create = RUNNERS
    can_read = READERS
    can_update = ADMINS
    can_stop = RUNNERS
    can_delete = MANAGERS
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


class PoolPermissionPolicy(OneLookupPolicy):
    """Access to the concurrency pools: instance-wide, administrators only."""

    can_search = ADMINS
    can_create = ADMINS
    can_read = ADMINS
    can_update = ADMINS
    can_delete = ADMINS


class SchedulingPermissionPolicy(OneLookupPolicy):
    """The instance-wide switches of scheduling: pause all, maintenance windows.

    Reading them is allowed to whoever may list jobs in the admin area: the
    jobs list shows the pause's banner.
    """

    can_read = ADMINS
    can_pause = ADMINS
    can_manage_windows = ADMINS
