# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The audit-log actions of the job system, for invenio-audit-logs.

Declared through its ``invenio_audit_logs.actions`` entry points (see
``setup.cfg``), so that it loads them only where it is installed; this
module is imported by nothing else. One action per kind of history entry
(:data:`invenio_jobs.audit_logs.AUDIT_ACTION_IDS`), on the resource type
``job``; each entry says who acted (with the e-mail, as the module's search
shows it), through what (``ui``, ``api``, ``cli``, ``import``, ``system``),
the job's title then, and what changed (the history entry's details: old
and new values, a grant, a run and its arguments).
"""

from flask import has_request_context, request
from invenio_accounts.models import User
from invenio_audit_logs.services import AuditLogAction
from invenio_db import db
from marshmallow import fields

SYSTEM_EMAIL = "noreply@inveniosoftware.org"
"""The e-mail InvenioRDM gives the system user in its audit logs."""


class ActingUser:
    """Who acted, with the e-mail and user name the module's schema asks for."""

    def __call__(self, data, event=None, **kwargs):
        """Set ``user`` from the history entry's user (none: the system)."""
        user = db.session.get(User, event.user_id) if event.user_id else None
        if user is not None:
            data["user"] = {
                "id": str(user.id),
                "username": user.username,
                "email": user.email,
            }
        elif event.user_id is None:
            data["user"] = {"id": "system", "username": "system", "email": SYSTEM_EMAIL}
        else:  # a user deleted since: the id is all that is known
            data["user"] = {
                "id": str(event.user_id),
                "username": None,
                "email": SYSTEM_EMAIL,
            }


class HistoryEntry:
    """What the jobs' history says of the change: channel, title, details."""

    def __call__(self, data, event=None, **kwargs):
        """Set the metadata (and the time) from the history entry."""
        metadata = data.setdefault("metadata", {})
        metadata["source"] = event.source
        metadata["job_title"] = event.job_title
        metadata["details"] = event.details or {}
        if has_request_context():
            forwarded = request.headers.getlist("X-Forwarded-For")
            address = forwarded[0].rpartition(" ")[-1] if forwarded else None
            metadata["ip_address"] = address or request.remote_addr or "untrackable"
        else:  # the command line, the scheduler, a worker
            metadata["ip_address"] = "N/A"
        data["created"] = event.created.isoformat()


class JobAuditLog(AuditLogAction):
    """An entry of a job's history, as an audit-log action."""

    resource_type = "job"
    context = [ActingUser(), HistoryEntry()]

    metadata_schema = {
        "source": fields.Str(
            required=True,
            metadata={"description": "Through what: ui, api, cli, import, system."},
        ),
        "job_title": fields.Str(
            allow_none=True, metadata={"description": "The job's title then."}
        ),
        "details": fields.Dict(
            metadata={
                "description": "What changed (old and new values), the grant, "
                "or the run and its arguments."
            }
        ),
        "ip_address": fields.Str(
            metadata={"description": "The client's address (N/A outside requests)."}
        ),
    }


class JobCreateAuditLog(JobAuditLog):
    """A job was created."""

    id = "job.create"
    message_template = "User {user_id} created the job {resource_id}."


class JobUpdateAuditLog(JobAuditLog):
    """Fields of a job changed (each with its old and new value)."""

    id = "job.update"
    message_template = "User {user_id} changed the job {resource_id}."


class JobActivateAuditLog(JobAuditLog):
    """A job was activated."""

    id = "job.activate"
    message_template = "User {user_id} activated the job {resource_id}."


class JobDeactivateAuditLog(JobAuditLog):
    """A job was deactivated."""

    id = "job.deactivate"
    message_template = "User {user_id} deactivated the job {resource_id}."


class JobRunAsAuditLog(JobAuditLog):
    """The user a job runs as changed."""

    id = "job.run_as"
    message_template = "User {user_id} changed whom the job {resource_id} runs as."


class JobDeleteAuditLog(JobAuditLog):
    """A job was deleted."""

    id = "job.delete"
    message_template = "User {user_id} deleted the job {resource_id}."


class JobGrantAuditLog(JobAuditLog):
    """A right on a job was granted to a user or a role."""

    id = "job.grant"
    message_template = "User {user_id} granted a right on the job {resource_id}."


class JobRevokeAuditLog(JobAuditLog):
    """A right on a job was revoked."""

    id = "job.revoke"
    message_template = "User {user_id} revoked a right on the job {resource_id}."


class JobRunNowAuditLog(JobAuditLog):
    """A run of a job was started by hand (with its arguments)."""

    id = "job.run_now"
    message_template = "User {user_id} started a run of the job {resource_id}."


class JobRunStopAuditLog(JobAuditLog):
    """A run of a job was stopped."""

    id = "job.run_stop"
    message_template = "User {user_id} stopped a run of the job {resource_id}."


class JobRunAgainAuditLog(JobAuditLog):
    """A run of a job was run again (its arguments, title and queue)."""

    id = "job.run_again"
    message_template = "User {user_id} ran a run of the job {resource_id} again."
