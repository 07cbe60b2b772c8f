# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The access service: read and change who may read, run or manage one job.

The grants are invenio-access's rows (``access_actionsusers``,
``access_actionsroles``) of the job's actions (:mod:`.grants`); rows are
added and deleted one by one through the session, so that invenio-access's
own listeners drop the cached expansion of each changed action, and a
revoked grant stops working at the next request.

A grant's JSON is ``{"subject": {"type": "user" | "role", "id": "..."},
"permission": "read" | "run" | "manage"}``. A user is named by its id or
its e-mail address, a role by its id or its name; answers give the id,
with the e-mail or name beside it.
"""

import sqlalchemy as sa
from invenio_access.models import ActionRoles, ActionUsers, get_action_cache_key
from invenio_access.proxies import current_access
from invenio_accounts.models import Role, User
from invenio_db import db
from invenio_db.uow import Operation
from invenio_i18n import gettext as _

from .base import unstorable_text
from .errors import InvalidRequestBodyError
from .grants import ACTION_NAMES, PERMISSION_OF_ACTION, PERMISSIONS, require_on_job
from .history import JobAction, record_job_event
from .uow import unit_of_work

SUBJECT_TYPES = ("user", "role")


def _user_grants(job_id):
    return db.session.execute(
        sa.select(ActionUsers, User.email, User.username)
        .join(User, User.id == ActionUsers.user_id)
        .where(
            ActionUsers.action.in_(ACTION_NAMES),
            ActionUsers.argument == str(job_id),
            ActionUsers.exclude.is_(False),
        )
    ).all()


def _role_grants(job_id):
    return db.session.execute(
        sa.select(ActionRoles, Role.name)
        .join(Role, Role.id == ActionRoles.role_id)
        .where(
            ActionRoles.action.in_(ACTION_NAMES),
            ActionRoles.argument == str(job_id),
            ActionRoles.exclude.is_(False),
        )
    ).all()


def _permission_rank(name: str) -> int:
    return list(PERMISSIONS).index(name)


def grants_of(job_id) -> list[dict]:
    """The grants of one job, users first (by e-mail), then roles (by name)."""
    grants = [
        {
            "subject": {
                "type": "user",
                "id": str(row.user_id),
                "email": email,
                "name": username or email,
            },
            "permission": PERMISSION_OF_ACTION[row.action],
        }
        for row, email, username in _user_grants(job_id)
    ] + [
        {
            "subject": {"type": "role", "id": str(row.role_id), "name": name},
            "permission": PERMISSION_OF_ACTION[row.action],
        }
        for row, name in _role_grants(job_id)
    ]
    grants.sort(
        key=lambda grant: (
            SUBJECT_TYPES.index(grant["subject"]["type"]),
            (grant["subject"].get("email") or grant["subject"]["name"]).lower(),
            _permission_rank(grant["permission"]),
        )
    )
    return grants


def _drop_cached(action: str, job_id):
    """Forget the cached expansion of one job action, as invenio-access's listeners do.

    The listeners already did so at the flush; doing it again after the
    commit closes the window where another request filled the cache from
    the rows as they were before the commit.
    """
    current_access.delete_action_cache(get_action_cache_key(action, str(job_id)))


def revoke_all_grants(job_id):
    """Delete every grant of a job (it is being deleted), in the caller's transaction."""
    for row, *__ in [*_user_grants(job_id), *_role_grants(job_id)]:
        db.session.delete(row)
    for action in ACTION_NAMES:
        _drop_cached(action, job_id)


def _field(index, *names) -> str:
    return ".".join([f"grants[{index}]", *names])


def _resolve_user(value, field):
    text = str(value).strip()
    user = None
    if text.isdigit():
        user = db.session.get(User, int(text))
    elif "@" in text:
        user = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == text.lower())
        )
    if user is None:
        raise InvalidRequestBodyError(
            _("There is no user %(user)s.", user=repr(text)), field=field
        )
    return user


def _resolve_role(value, field):
    text = str(value).strip()
    role = db.session.get(Role, text) if text else None
    if role is None and text:
        role = db.session.scalar(sa.select(Role).where(Role.name == text))
    if role is None:
        raise InvalidRequestBodyError(
            _("There is no role %(role)s.", role=repr(text)), field=field
        )
    return role


def load_grant(index, grant) -> tuple[str, object, str]:
    """One grant of a request, checked: (subject type, user or role, permission).

    Every fault is a 400 that names the field at fault.
    """
    if not isinstance(grant, dict):
        raise InvalidRequestBodyError(
            _("A grant is an object with a subject and a permission."),
            field=_field(index),
        )
    permission = grant.get("permission")
    if permission not in PERMISSIONS:
        raise InvalidRequestBodyError(
            _("The permission must be one of: read, run, manage."),
            field=_field(index, "permission"),
        )
    subject = grant.get("subject")
    if not isinstance(subject, dict):
        raise InvalidRequestBodyError(
            _("The subject is an object with a type and an id."),
            field=_field(index, "subject"),
        )
    kind = subject.get("type")
    if kind not in SUBJECT_TYPES:
        raise InvalidRequestBodyError(
            _("The subject's type must be user or role."),
            field=_field(index, "subject", "type"),
        )
    value = subject.get("id")
    if (
        not isinstance(value, (str, int))
        or isinstance(value, bool)
        or not str(value).strip()
        or unstorable_text(str(value))  # no user or role has it
        or len(str(value)) > 255
    ):
        raise InvalidRequestBodyError(
            _(
                "The subject's id must be a user's id or e-mail, or a role's id or name."
            ),
            field=_field(index, "subject", "id"),
        )
    field = _field(index, "subject", "id")
    if kind == "user":
        return kind, _resolve_user(value, field), permission
    return kind, _resolve_role(value, field), permission


def load_grants(data) -> set[tuple]:
    """The grants a ``PUT`` asks for, as ``(type, subject id, permission)``."""
    if not isinstance(data, dict) or not isinstance(data.get("grants"), list):
        raise InvalidRequestBodyError(
            _('Send the job\'s grants as {"grants": [...]}.'), field="grants"
        )
    wanted = set()
    for index, grant in enumerate(data["grants"]):
        kind, subject, permission = load_grant(index, grant)
        wanted.add((kind, str(subject.id), permission))
    return wanted


def _record_grant(identity, job_id, action, grant):
    """A grant given or taken, in the job's history: its subject and permission."""
    kind, subject_id, permission = grant
    record_job_event(
        job_id,
        action,
        identity,
        details={"subject": {"type": kind, "id": subject_id}, "permission": permission},
    )


class AccessService:
    """Read and change the grants of one job.

    Checked by the jobs' policy: ``read_access`` and ``update_access``,
    given to administrators and to whoever may manage the job.
    """

    def __init__(self, jobs_service):
        """Check permissions with the jobs service's policy."""
        self.jobs_service = jobs_service

    def _job(self, identity, job_id, action):
        require_on_job(self.jobs_service, identity, action, job_id)
        return self.jobs_service.get_job(job_id)

    def read(self, identity, job_id) -> dict:
        """``{"grants": [...]}`` of the job: one query for users, one for roles."""
        job = self._job(identity, job_id, "read_access")
        return {"grants": grants_of(job.id)}

    @unit_of_work()
    def update(self, identity, job_id, data, uow=None) -> dict:
        """Replace the job's grants by those given; nothing changes on a bad one."""
        job = self._job(identity, job_id, "update_access")
        self._apply(identity, job.id, load_grants(data), replace=True)
        return self._after_commit(uow, job.id)

    @unit_of_work()
    def grant(self, identity, job_id, subject_type, subject, permission, uow=None):
        """Add one grant, as the command line's option does; the job's grants after."""
        job = self._job(identity, job_id, "update_access")
        kind, found, permission = load_grant(
            0,
            {
                "subject": {"type": subject_type, "id": subject},
                "permission": permission,
            },
        )
        self._apply(
            identity, job.id, {(kind, str(found.id), permission)}, replace=False
        )
        return self._after_commit(uow, job.id)

    @unit_of_work()
    def revoke(
        self, identity, job_id, subject_type, subject, permission=None, uow=None
    ):
        """Remove a subject's grants on the job, or only ``permission``."""
        job = self._job(identity, job_id, "update_access")
        kind, found, __ = load_grant(
            0,
            {
                "subject": {"type": subject_type, "id": subject},
                "permission": permission or "read",
            },
        )
        current = self._current(job.id)
        keep = {
            (k, sid, perm)
            for (k, sid, perm) in current
            if not (
                k == kind
                and sid == str(found.id)
                and (permission is None or perm == permission)
            )
        }
        self._apply(identity, job.id, keep, replace=True)
        return self._after_commit(uow, job.id)

    @staticmethod
    def _current(job_id) -> dict:
        rows = {}
        for row, *__ in _user_grants(job_id):
            rows[("user", str(row.user_id), PERMISSION_OF_ACTION[row.action])] = row
        for row, *__ in _role_grants(job_id):
            rows[("role", str(row.role_id), PERMISSION_OF_ACTION[row.action])] = row
        return rows

    def _apply(self, identity, job_id, wanted: set, replace: bool):
        """Add the grants missing, and with ``replace`` delete those not wanted.

        Each grant added or removed is an entry of the job's history.
        """
        current = self._current(job_id)
        if replace:
            for key, row in current.items():
                if key not in wanted:
                    db.session.delete(row)
                    _record_grant(identity, job_id, JobAction.REVOKED, key)
        for kind, subject_id, permission in sorted(wanted - set(current)):
            _record_grant(
                identity, job_id, JobAction.GRANTED, (kind, subject_id, permission)
            )
            action = PERMISSIONS[permission]._replace(argument=str(job_id))
            if kind == "user":
                db.session.add(ActionUsers.allow(action, user_id=int(subject_id)))
            else:
                db.session.add(ActionRoles.allow(action, role_id=subject_id))
        db.session.flush()

    @staticmethod
    def _after_commit(uow, job_id) -> dict:
        """The grants as they are; the cache forgets them again at the commit."""
        uow.register(_ForgetGrantsOp(job_id))
        return {"grants": grants_of(job_id)}


class _ForgetGrantsOp(Operation):
    """Drop the cached grants of a job once the change is committed."""

    def __init__(self, job_id):
        """Keep the job id."""
        self.job_id = job_id

    def on_post_commit(self, uow):
        """Forget the job's cached action expansions."""
        for action in ACTION_NAMES:
            _drop_cached(action, self.job_id)
