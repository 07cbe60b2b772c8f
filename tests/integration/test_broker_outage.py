# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A broker outage logs like a database outage: a line when it starts, one when it ends.

The module's own Redis is killed for several seconds under a beat, a worker
and the test process (the web side, starting a run meanwhile). Each process
says once that the broker is unreachable and once that it is back, with no
traceback per tick; the run started meanwhile waits in the database and is
sent when the broker returns.
"""

import logging
import time
import uuid

import pytest
from conftest import module_server, module_settings, wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from own_services import RedisServer

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

SETTINGS = dict(
    JOBS_SCHEDULER_MAX_INTERVAL=0.5,
    JOBS_MAINTENANCE_INTERVAL=1,
    JOBS_SEND_RETRY_SECONDS=1,
    JOBS_REDISPATCH_AFTER_SECONDS=3,
)
UNREACHABLE = "the broker is unreachable"
BACK = "the broker is reachable again"


redis_server = module_server(RedisServer)


@pytest.fixture(scope="module")
def broker_uri(redis_server):
    """The app, its worker and its beat use the module's Redis."""
    yield redis_server.url


app_config = module_settings(SETTINGS)


def ended(run_id):
    """The run if it has ended, as stored now."""
    db.session.remove()
    run = db.session.get(Run, uuid.UUID(run_id))
    return run.status in RunStatusEnum.finished() and run


def ours(records):
    """The log records of the job system."""
    return [r for r in records if r.name.startswith("invenio_jobs")]


def test_each_process_logs_one_line_when_the_broker_goes_and_one_when_it_is_back(
    app, redis_server, start_worker, start_beat, tmp_path, caplog
):
    """A 10 s outage: one line each way per process, no traceback, no run lost."""
    caplog.set_level(logging.INFO)
    worker = start_worker(concurrency=1, **SETTINGS)
    beat = start_beat(**SETTINGS)
    job_id = current_jobs_service.create(
        system_identity, {"title": "Through an outage", "task": "mock_controlled"}
    ).id
    before = current_runs_service.create(system_identity, job_id, {}).id
    assert wait_until(lambda: ended(before), timeout=60).status.name == "SUCCESS"

    redis_server.stop()
    time.sleep(3)
    during = current_runs_service.create(system_identity, job_id, {}).id
    time.sleep(7)  # the beat looks about twenty times meanwhile
    redis_server.start()

    run = wait_until(lambda: ended(during), timeout=90, message="the run ended")
    assert run.status is RunStatusEnum.SUCCESS
    wait_until(lambda: BACK in beat.log, timeout=30, message="the beat saw it back")
    after = current_runs_service.create(system_identity, job_id, {}).id
    assert wait_until(lambda: ended(after), timeout=60).status.name == "SUCCESS"

    # The beat: one line each way, and no traceback at all.
    assert beat.log.count(UNREACHABLE) == 1, beat.log[-5000:]
    assert beat.log.count(BACK) == 1, beat.log[-5000:]
    assert "Traceback" not in beat.log, beat.log[-5000:]
    # The web side (this process): the same.
    messages = [r.getMessage() for r in ours(caplog.records)]
    assert sum(UNREACHABLE in m for m in messages) == 1, messages
    assert sum(BACK in m for m in messages) == 1, messages
    assert not [r for r in ours(caplog.records) if r.exc_info], messages
    # The worker's maintenance: at most one line each way, and no traceback
    # of the job system (Celery's consumer reports its own reconnection).
    assert worker.log.count(UNREACHABLE) <= 1
    frames = [line for line in worker.log.splitlines() if line.startswith("  File ")]
    assert not [line for line in frames if "/invenio_jobs/" in line], frames
