# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What clients that name a run or a job alone (the CLI) ask the services.

A run read by its id alone, a saved job's next fire times, and whether a
dumped run has ended: with the services' permissions and not-found errors.
"""

import uuid
from datetime import datetime, timezone

import pytest
from flask_principal import Identity
from invenio_access.permissions import any_user, authenticated_user, system_identity
from invenio_records_resources.services.errors import PermissionDeniedError

from invenio_jobs.models import RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.services.errors import JobNotFoundError, RunNotFoundError

CRON = {"type": "crontab", "minute": "0", "hour": "2", "timezone": "Europe/Zurich"}


@pytest.fixture()
def user_identity():
    """A logged-in user who is not an administrator."""
    identity = Identity(4242)
    identity.provides.update({any_user, authenticated_user})
    return identity


@pytest.fixture()
def scheduled_job(app, db):
    """An echo job that fires every day at 02:00 in Zurich."""
    return current_jobs_service.create(
        system_identity,
        {
            "title": "Nightly",
            "task": "mock_echo",
            "schedule": CRON,
            "run_args": {"message": "hi"},
        },
    ).to_dict()


@pytest.fixture()
def finished_run(app, db, scheduled_job):
    """A run of the scheduled job, executed eagerly."""
    return current_runs_service.create(
        system_identity, scheduled_job["id"], {}
    ).to_dict()


def test_read_by_id_gives_the_run_with_its_job(app, db, scheduled_job, finished_run):
    """The run id alone is enough: the item names its job, as ``read`` does."""
    run = current_runs_service.read_by_id(system_identity, finished_run["id"])
    assert run.to_dict()["id"] == finished_run["id"]
    assert run.to_dict()["job_id"] == scheduled_job["id"]
    same = current_runs_service.read(
        system_identity, scheduled_job["id"], finished_run["id"]
    )
    assert run.to_dict() == same.to_dict()


@pytest.mark.parametrize("run_id", ["not-an-id", str(uuid.uuid4())])
def test_read_by_id_of_an_unknown_run_is_not_found(app, db, run_id):
    """A malformed or unknown id: RunNotFoundError naming it."""
    with pytest.raises(RunNotFoundError) as error:
        current_runs_service.read_by_id(system_identity, run_id)
    assert run_id in error.value.description


def test_read_by_id_is_refused_to_a_user(app, db, finished_run, user_identity):
    """A user without a grant on the run's job is told the run does not exist."""
    with pytest.raises(RunNotFoundError):
        current_runs_service.read_by_id(user_identity, finished_run["id"])


def test_next_fire_times_of_a_saved_schedule(app, db, scheduled_job):
    """Daily at 02:00 Zurich: one a day, in the future, as the preview gives."""
    times = current_jobs_service.next_fire_times(
        system_identity, scheduled_job["id"], count=3
    )
    assert len(times) == 3
    assert times[0] > datetime.now(timezone.utc)
    assert [(b - a).days for a, b in zip(times, times[1:])] in ([1, 1], [0, 1], [1, 0])
    assert times == current_jobs_service.preview_schedule(
        system_identity, scheduled_job["schedule"], count=3
    )
    assert times[0] == datetime.fromisoformat(scheduled_job["next_run"])


def test_next_fire_times_of_an_inactive_or_unscheduled_job(app, db, scheduled_job):
    """An inactive job keeps its schedule's times; no schedule gives none."""
    job_id = scheduled_job["id"]
    current_jobs_service.update(system_identity, job_id, {"active": False})
    assert len(current_jobs_service.next_fire_times(system_identity, job_id)) == 5
    current_jobs_service.update(system_identity, job_id, {"schedule": None})
    assert current_jobs_service.next_fire_times(system_identity, job_id) == []


@pytest.mark.parametrize("job_id", ["not-an-id", str(uuid.uuid4())])
def test_next_fire_times_of_an_unknown_job_is_not_found(app, db, job_id):
    """A malformed or unknown job id: JobNotFoundError."""
    with pytest.raises(JobNotFoundError):
        current_jobs_service.next_fire_times(system_identity, job_id)


def test_next_fire_times_are_refused_to_a_user(app, db, scheduled_job, user_identity):
    """A user without a grant on the job is told it does not exist."""
    with pytest.raises(JobNotFoundError):
        current_jobs_service.next_fire_times(user_identity, scheduled_job["id"])


@pytest.mark.parametrize("status", list(RunStatusEnum))
def test_has_ended_follows_the_finished_statuses(status):
    """QUEUED, RUNNING and CANCELLING go on; every other status has ended."""
    ended = current_runs_service.has_ended({"status": status.name})
    assert ended is (status in RunStatusEnum.finished())
    assert ended is (status.name not in ("QUEUED", "RUNNING", "CANCELLING"))
