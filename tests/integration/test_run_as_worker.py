# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job with a service account, run by real beat and worker processes.

The scheduled run and a manual one execute as the service user, with its
roles: ``current_run.identity``, the job context's ``identity_id``, and what
the task creates through a service are the service user's.
"""

import json
import uuid

import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity

from invenio_jobs.models import Job, JobEvent, Run, RunStatusEnum, RunTrigger
from invenio_jobs.proxies import current_jobs_service, current_runs_service


def service_account(database, UserFixture, app):
    """A user whose role may administrate, as a harvest's service account; ids."""
    from invenio_access.models import ActionRoles
    from invenio_accounts.proxies import current_datastore
    from invenio_administration.permissions import administration_access_action

    user = UserFixture(
        email=f"harvester-{uuid.uuid4().hex[:6]}@example.org", password="harvest-pass"
    ).create(app, database)
    role = current_datastore.create_role(name=f"harvesters-{uuid.uuid4().hex[:6]}")
    current_datastore.add_role_to_user(user.user, role)
    database.session.add(ActionRoles.allow(administration_access_action, role=role))
    database.session.commit()
    return user.user.id, user.user.email, role.id


def seen_lines(path):
    """What the who-am-I task wrote, one dict per run."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_scheduled_and_manual_runs_execute_as_the_service_account(
    app, database, start_worker, start_beat, tmp_path, UserFixture
):
    """Beat fires it, a worker runs it: as the service user, both ways."""
    user_id, email, role_id = service_account(database, UserFixture, app)
    marker = tmp_path / "seen"
    title = f"Harvested {uuid.uuid4().hex[:6]}"
    job_id = current_jobs_service.create(
        system_identity,
        {
            "title": "Harvest as a service account",
            "task": "mock_whoami",
            "run_args": {"marker": str(marker), "create_title": title},
            "schedule": {"type": "interval", "seconds": 2},
            "run_as": email,
        },
    ).id
    start_worker()
    start_beat()
    wait_until(lambda: seen_lines(marker), timeout=60, message="a scheduled run")
    current_jobs_service.update(system_identity, job_id, {"active": False})
    manual = current_runs_service.create(system_identity, job_id, {}).to_dict()

    def manual_ended():
        database.session.expire_all()
        run = database.session.get(Run, uuid.UUID(manual["id"]))
        return run.status.is_finished and run

    run = wait_until(manual_ended, timeout=60, message="the manual run's end")
    assert run.status is RunStatusEnum.SUCCESS, run.message
    assert run.run_as_id == user_id and run.started_by_id is None

    def all_ended():
        database.session.expire_all()
        statuses = database.session.scalars(
            sa.select(Run.status).where(Run.job_id == uuid.UUID(job_id))
        ).all()
        return all(status.is_finished for status in statuses)

    wait_until(all_ended, timeout=60, message="the end of every run")
    scheduled = database.session.scalars(
        sa.select(Run).where(
            Run.job_id == uuid.UUID(job_id), Run.trigger != RunTrigger.MANUAL
        )
    ).all()
    assert scheduled and all(r.run_as_id == user_id for r in scheduled)
    assert any(r.status is RunStatusEnum.SUCCESS for r in scheduled)
    lines = seen_lines(marker)
    assert len(lines) >= 2
    for seen in lines:
        assert seen["identity_id"] == user_id
        assert seen["context_identity_id"] == str(user_id)
        assert f"role:{role_id}" in seen["needs"]
    # The jobs the runs created were created by the service account.
    made = database.session.scalars(sa.select(Job.id).where(Job.title == title)).all()
    assert len(made) == len(lines)
    authors = database.session.scalars(
        sa.select(JobEvent.user_id).where(
            JobEvent.job_id.in_(made), JobEvent.action == "created"
        )
    ).all()
    assert authors == [user_id] * len(made)
