# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Per-job grants: who may read, run or manage one job, kept by invenio-access.

A grant is an invenio-access action with the job's id as its argument
(``jobs-read``, ``jobs-run``, ``jobs-manage``), given to a user
(``ActionUsers``) or a role (``ActionRoles``), as InvenioRDM grants rights
on one record. invenio-access expands and caches each action with its
argument (``ACCESS_CACHE``) and drops the cached entry when a grant of that
action and argument is added, changed or removed, so a revoked grant stops
working at the next request. A grant without argument (made with
``invenio access allow jobs-read user ...``) is a right on every job.

``manage`` implies ``run``, which implies ``read``: a check for ``read``
is satisfied by any of the three actions. Administrators hold every right
on every job through the policies' ``Administration`` generator.
"""

import uuid

import sqlalchemy as sa
from invenio_access.models import (
    ActionRoles,
    ActionSystemRoles,
    ActionUsers,
    get_action_cache_key,
)
from invenio_access.permissions import ParameterizedActionNeed
from invenio_db import db
from invenio_records_permissions.generators import Generator
from invenio_records_resources.services.errors import PermissionDeniedError

from .base import user_id_of
from .errors import JobNotFoundError

jobs_read_action = ParameterizedActionNeed("jobs-read", None)
"""Read a job, its runs and their logs (registered in ``invenio_access.actions``)."""

jobs_run_action = ParameterizedActionNeed("jobs-run", None)
"""Read, and start or stop the job's runs."""

jobs_manage_action = ParameterizedActionNeed("jobs-manage", None)
"""Run, and edit, activate, delete the job and change its grants."""

PERMISSIONS = {
    "read": jobs_read_action,
    "run": jobs_run_action,
    "manage": jobs_manage_action,
}
"""The permissions a job grants, weakest first, with their actions."""

GRANTED_BY = {
    "read": ("read", "run", "manage"),
    "run": ("run", "manage"),
    "manage": ("manage",),
}
"""The grants that give each permission: a stronger one gives the weaker ones."""

ACTION_NAMES = tuple(action.value for action in PERMISSIONS.values())

PERMISSION_OF_ACTION = {action.value: name for name, action in PERMISSIONS.items()}


def job_key(job_id) -> str | None:
    """A job id as grants name it (its canonical UUID); None for what is none.

    A malformed id from a path names no job, and must not reach a query.
    """
    try:
        parsed = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return str(parsed) if str(parsed) == str(job_id) else None


def job_action(permission: str, job_id) -> ParameterizedActionNeed:
    """The action need of ``permission`` on one job."""
    return PERMISSIONS[permission]._replace(argument=str(job_id))


def is_job_grant(need) -> bool:
    """Whether a need is a grant on one job (an action of a job, with its id)."""
    return (
        need.method == "action"
        and need.value in ACTION_NAMES
        and getattr(need, "argument", None) is not None
    )


class JobGrant(Generator):
    """Whoever was granted ``permission`` (or a stronger one) on the job checked.

    The job comes as ``job_id`` in the policy's arguments; a check without
    one (a list, a route of no job) is given nothing by this generator.
    """

    def __init__(self, permission: str):
        """Grant holders of ``permission`` on the checked job."""
        super().__init__()
        self.permission = permission

    def needs(self, job_id=None, **kwargs):
        """The job's actions that give the permission."""
        key = job_key(job_id) if job_id is not None else None
        if key is None:
            return []
        return [job_action(name, key) for name in GRANTED_BY[self.permission]]


def job_grant_keys(job_id) -> set[str]:
    """The access cache keys of every grant on one job.

    A job's check reads them all in its one cache round trip, so that
    telling "may not run" (403) from "may not see" (404) costs no second.
    """
    key = job_key(job_id)
    if key is None:
        return set()
    return {get_action_cache_key(action, key) for action in ACTION_NAMES}


def require_on_job(service, identity, action: str, job_id, read_action="read"):
    """Require ``action`` of the service's policy on one job: 404 or 403 if refused.

    Someone who may not even read the job is told it does not exist (404),
    as for a job that does not; someone who may read it but not do this
    gets 403. The second check finds every grant of the job in the
    request's access cache (see :func:`job_grant_keys`).
    """
    if service.check_permission(identity, action, job_id=str(job_id)):
        return
    if action != read_action and service.check_permission(
        identity, read_action, job_id=str(job_id)
    ):
        raise PermissionDeniedError(action)
    raise JobNotFoundError(job_id)


class ReadableJobs:
    """The jobs an identity was granted, read in one statement.

    ``every``: a grant without argument gives every job but the
    ``excluded`` ones; otherwise ``ids`` are the jobs granted (and not
    denied by an exclude, as invenio-access denies them).
    """

    def __init__(self, every: bool, ids: set, excluded: set):
        """The answer of :func:`readable_jobs`."""
        self.every = every
        self.ids = ids
        self.excluded = excluded

    def where(self, id_column):
        """The condition that keeps the readable jobs of a statement."""
        if self.every:
            return id_column.not_in(self.excluded) if self.excluded else sa.true()
        return id_column.in_(self.ids) if self.ids else sa.false()

    def any(self) -> bool:
        """Whether any job at all is granted."""
        return self.every or bool(self.ids)

    def allows(self, job_id) -> bool:
        """Whether one job is readable."""
        if job_id in self.excluded:
            return False
        return self.every or job_id in self.ids


def _as_uuid(argument):
    try:
        return uuid.UUID(str(argument))
    except ValueError:
        return None


def readable_jobs(identity) -> ReadableJobs:
    """The jobs ``identity`` may read through its grants: one statement.

    Its user's grants, its roles' and its system roles' (such as
    ``authenticated_user``), of the three job actions, in one UNION.
    """
    user_id = user_id_of(identity)
    roles = [need.value for need in identity.provides if need.method == "role"]
    system_roles = [
        need.value for need in identity.provides if need.method == "system_role"
    ]
    parts = []
    if user_id is not None:
        parts.append(
            sa.select(ActionUsers.argument, ActionUsers.exclude).where(
                ActionUsers.action.in_(ACTION_NAMES), ActionUsers.user_id == user_id
            )
        )
    if roles:
        parts.append(
            sa.select(ActionRoles.argument, ActionRoles.exclude).where(
                ActionRoles.action.in_(ACTION_NAMES),
                ActionRoles.role_id.in_([str(role) for role in roles]),
            )
        )
    if system_roles:
        parts.append(
            sa.select(ActionSystemRoles.argument, ActionSystemRoles.exclude).where(
                ActionSystemRoles.action.in_(ACTION_NAMES),
                ActionSystemRoles.role_name.in_(system_roles),
            )
        )
    if not parts:
        return ReadableJobs(False, set(), set())
    rows = db.session.execute(sa.union_all(*parts)).all()
    every = any(argument is None and not exclude for argument, exclude in rows)
    if any(argument is None and exclude for argument, exclude in rows):
        return ReadableJobs(False, set(), set())  # excluded from every job
    excluded = {_as_uuid(argument) for argument, exclude in rows if exclude}
    excluded.discard(None)
    ids = {_as_uuid(argument) for argument, exclude in rows if not exclude}
    ids.discard(None)
    return ReadableJobs(every, ids - excluded, excluded)
