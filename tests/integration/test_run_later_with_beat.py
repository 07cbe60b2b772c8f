# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run once at a chosen time, with real beat and worker processes.

The run waits in the database, so that a beat killed and started again
meanwhile still sends it on time, and a stop before its time ends it.
"""

import time
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

STARTED = "beat: Starting..."
MAX_INTERVAL = 1
"""The beats' longest sleep between two looks (s)."""


def utcnow():
    """Now, aware, in UTC."""
    return datetime.now(timezone.utc)


def job_without_schedule() -> str:
    """A job that runs only when asked; its id."""
    data = {"title": "Later", "task": "mock_echo", "run_args": {"message": "hi"}}
    return current_jobs_service.create(system_identity, data).id


def run_row(database, run_id):
    """The run as stored now."""
    with database.engine.connect() as conn:
        return conn.execute(sa.select(Run).where(Run.id == uuid.UUID(run_id))).one()


def test_a_run_at_a_chosen_time_survives_a_beat_restart_and_starts_on_time(
    app, database, start_worker, start_beat
):
    """Beat killed before the time, another started: sent once, within a look."""
    start_worker()
    first = start_beat(max_interval=MAX_INTERVAL)
    first.wait_for_log(STARTED)
    job_id = job_without_schedule()
    # Far enough ahead for a beat to start again on a loaded machine.
    at = (utcnow() + timedelta(seconds=30)).replace(microsecond=0)
    run = current_runs_service.create(
        system_identity,
        job_id,
        {"args": {"message": "on time"}, "at": at.isoformat()},
    ).to_dict()
    assert run["status"] == "QUEUED"

    time.sleep(2)
    first.kill()  # as a crash: the run is in the database, not in the beat
    assert run_row(database, run["id"]).dispatched_at is None
    second = start_beat(max_interval=MAX_INTERVAL)
    second.wait_for_log(STARTED)
    looking_from = max(at, utcnow())

    def ended():
        row = run_row(database, run["id"])
        return row if row.status.is_finished else None

    row = wait_until(ended, timeout=60, message="the run at its time ended")
    assert row.status is RunStatusEnum.SUCCESS, row.message
    assert row.args["message"] == "on time"
    assert row.scheduled_at == at
    assert row.started_at >= at
    # Sent at the first look after its time: within the beat's interval
    # (and a second for a loaded machine).
    assert row.dispatched_at >= at
    assert row.dispatched_at - looking_from <= timedelta(seconds=MAX_INTERVAL + 1)
    with database.engine.connect() as conn:
        count = conn.scalar(
            sa.select(sa.func.count()).where(Run.job_id == uuid.UUID(job_id))
        )
    assert count == 1
    assert "Traceback" not in second.log


def test_a_run_at_a_chosen_time_stopped_before_it_never_starts(
    app, database, start_worker, start_beat
):
    """Stopped while it waits: CANCELLED, and its time passes without a start."""
    start_worker()
    beat = start_beat(max_interval=MAX_INTERVAL)
    beat.wait_for_log(STARTED)
    job_id = job_without_schedule()
    at = utcnow() + timedelta(seconds=4)
    run = current_runs_service.create(
        system_identity, job_id, {"at": at.isoformat()}
    ).to_dict()
    current_runs_service.stop(system_identity, job_id, run["id"])

    time.sleep(max(0.0, (at - utcnow()).total_seconds()) + 3 * MAX_INTERVAL)
    row = run_row(database, run["id"])
    assert row.status is RunStatusEnum.CANCELLED
    assert row.started_at is None and row.dispatched_at is None
    assert "Stopped before it started" in row.message
