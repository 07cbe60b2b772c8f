# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run e-mail links each recipient to the run page they can open."""

import uuid

from invenio_access.permissions import system_identity

from invenio_jobs import lifecycle
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.worker.notifications import send_notification
from invenio_jobs.worker.recipients import curators_among


def test_curators_are_the_users_who_are_not_administrators(app, db, users):
    """Administrators and addresses of no user are not curators; case is ignored."""
    found = curators_among(
        ["Admin@example.org", "USER@example.org", "team@example.org", ""]
    )
    assert found == {"user@example.org"}


def test_an_administration_role_makes_an_administrator(app, db, users):
    """A role granted ``administration-access`` counts as the grant itself."""
    from invenio_access.models import ActionRoles
    from invenio_accounts.models import User
    from invenio_accounts.proxies import current_datastore
    from invenio_administration.permissions import administration_access_action

    role = current_datastore.create_role(name="site-admins", description="")
    current_datastore.add_role_to_user(db.session.get(User, users["user"].id), role)
    db.session.add(ActionRoles.allow(administration_access_action, role=role))
    db.session.flush()
    assert curators_among(["user@example.org"]) == set()


def test_the_e_mail_links_each_recipient_to_their_page(app, db, users, mailbox):
    """Administrators and a team list: the admin page; a curator: the curator page."""
    job_id = current_jobs_service.create(
        system_identity,
        {
            "title": "Harvest",
            "task": "no_args",
            "notification_emails": [
                "admin@example.org",
                "user@example.org",
                "team@example.org",
            ],
            "notification_statuses": ["FAILED"],
        },
    ).id
    job = db.session.get(Job, uuid.UUID(job_id))
    run = Run(**lifecycle.queued_run(job.id, "harvest", {}, "celery"))
    run.status = RunStatusEnum.FAILED
    db.session.add(run)
    db.session.commit()

    send_notification(run.id)

    by_recipients = {tuple(sorted(m.recipients)): m for m in mailbox}
    assert set(by_recipients) == {
        ("admin@example.org", "team@example.org"),
        ("user@example.org",),
    }
    admins = by_recipients[("admin@example.org", "team@example.org")]
    curator = by_recipients[("user@example.org",)]
    assert f"/administration/runs/{run.id}" in admins.body
    assert f"/jobs/{job_id}/runs/{run.id}" in curator.body
    assert "/administration/" not in curator.body
    assert f"/jobs/{job_id}/runs/{run.id}" in curator.html
