# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Which page a run e-mail's recipient can open: the admin page or the curator page.

Administrators open ``/administration/runs/<id>``; a user who is not one
cannot, and gets the run's page among the curator pages
(``JOBS_CURATOR_URL_PREFIX``), which they can open when the job was
granted to them. An address of no user (a team's list) keeps the admin
link, as InvenioRDM's e-mails always had.
"""

import sqlalchemy as sa
from flask import current_app
from invenio_access.models import ActionRoles, ActionUsers
from invenio_accounts.models import User, userrole
from invenio_db import db

ADMIN_ACTIONS = ("administration-access", "superuser-access")
"""invenio-access actions that open the administration pages."""


def _granted(model, *conditions):
    return (
        sa.select(model.id)
        .where(
            model.action.in_(ADMIN_ACTIONS),
            model.argument.is_(None),
            model.exclude.is_(False),
            *conditions,
        )
        .exists()
    )


def curators_among(emails) -> set[str]:
    """The addresses (lower case) of users among ``emails`` who are not administrators.

    One query: the users with those addresses and no administration grant
    of their own or through a role.
    """
    wanted = sorted({email.lower() for email in emails if email})
    if not wanted:
        return set()
    by_user = _granted(ActionUsers, ActionUsers.user_id == User.id)
    by_role = _granted(
        ActionRoles,
        ActionRoles.role_id == userrole.c.role_id,
        userrole.c.user_id == User.id,
    )
    rows = db.session.scalars(
        sa.select(sa.func.lower(User.email)).where(
            sa.func.lower(User.email).in_(wanted), ~by_user, ~by_role
        )
    )
    return set(rows)


def curator_run_url(run) -> str:
    """The run's page among the curator pages, on this site."""
    prefix = current_app.config["JOBS_CURATOR_URL_PREFIX"].rstrip("/")
    site = current_app.config.get("SITE_UI_URL", "")
    return f"{site}{prefix}/{run.job_id}/runs/{run.id}"


def admin_run_url(run) -> str:
    """The run's admin page (InvenioRDM's address of it), on this site."""
    return f"{current_app.config.get('SITE_UI_URL', '')}/administration/runs/{run.id}"
