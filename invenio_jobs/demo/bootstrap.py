# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""First start of the demo: tables, the administrator and the demo jobs.

Every step is idempotent, so that it runs at every start: a second start
changes nothing but the administrator's password, to the one it prints.
"""

import sqlalchemy as sa
from invenio_access.models import ActionUsers
from invenio_access.permissions import system_identity
from invenio_administration.permissions import administration_access_action
from invenio_db import db

from ..models import Job, utcnow
from ..proxies import current_jobs_service, current_runs_service
from ..schedules import parse_cron_expression, parse_every
from . import models  # noqa: F401 -- the demo table, for create_all

ADMIN_EMAIL = "admin@demo.org"


def ensure_admin(app, email: str, password: str):
    """The administrator, with this password and administration access."""
    from flask_security.utils import hash_password

    datastore = app.extensions["security"].datastore
    user = datastore.find_user(email=email)
    if user is None:
        user = datastore.create_user(
            email=email,
            username="admin",
            password=hash_password(password),
            active=True,
            confirmed_at=utcnow(),
        )
    else:
        user.password = hash_password(password)
    db.session.flush()
    granted = db.session.scalar(
        sa.select(ActionUsers.id).where(
            ActionUsers.user_id == user.id,
            ActionUsers.action == administration_access_action.value,
        )
    )
    if granted is None:
        db.session.add(ActionUsers.allow(administration_access_action, user=user))
    db.session.commit()
    return user


def demo_jobs(check_every: str) -> list[dict]:
    """The demo's jobs: one daily cron, one every minute (live), one hourly."""
    return [
        {
            "title": "Update affiliations",
            "description": "Import the ROR dump shipped with the demo.",
            "task": "demo_update_affiliations",
            "schedule": parse_cron_expression("0 2 * * *", "Europe/Zurich"),
            "run_args": {},
        },
        {
            "title": "Check affiliations",
            "description": "Flags affiliations to fix; ends in partial success.",
            "task": "demo_check_affiliations",
            "schedule": parse_every(check_every),
            "run_args": {},
        },
        {
            "title": "Clean up old runs",
            "description": "Keeps JOBS_RUNS_RETENTION runs per job.",
            "task": "demo_clean_up",
            "schedule": parse_every("1h"),
            "run_args": {},
        },
    ]


def ensure_jobs(check_every: str = "1m") -> list[str]:
    """Create the demo jobs that do not exist yet; return their titles.

    The affiliations update is also run at once when it is created, so that
    the check has data and the lists show runs from the first minute.
    """
    created = []
    for data in demo_jobs(check_every):
        exists = db.session.scalar(
            sa.select(Job.id).where(Job.task == data["task"]).limit(1)
        )
        if exists is not None:
            continue
        job = current_jobs_service.create(system_identity, data)
        created.append(data["title"])
        if data["task"] == "demo_update_affiliations":
            current_runs_service.create(
                system_identity, job.id, {"title": "First import"}
            )
    return created


def prepare(app, password: str, check_every: str = "1m") -> dict:
    """Create what is missing: tables, administrator, demo jobs."""
    with app.app_context():
        db.create_all()
        ensure_admin(app, ADMIN_EMAIL, password)
        created = ensure_jobs(check_every)
        return {"created_jobs": created, "database": str(db.engine.url)}
