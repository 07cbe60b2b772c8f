# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A backlog is not a loss: runs waiting in the broker are never sent twice.

Hundreds of runs wait in Redis with no worker for longer than the
re-dispatch time; the maintenance task (called from the test process, as
beat would send it) re-sends none of them. When the broker does lose
messages (its queue is emptied, as a restart without persistence does),
exactly the missing runs are sent again, once.
"""

import time
import uuid

import pytest
import redis
import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service
from invenio_jobs.tasks import reap_runs

QUEUE = "low"
REDISPATCH = 2


@pytest.fixture(scope="module")
def app_config(app_config):
    """Re-dispatch after 2 s, so that a backlog of seconds outlasts it."""
    app_config.update(JOBS_REDISPATCH_AFTER_SECONDS=REDISPATCH)
    return app_config


@pytest.fixture()
def broker(app):
    """The test's Redis, its queue emptied before and checked after."""
    client = redis.Redis.from_url(app.config["BROKER_URL"])
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


def make_runs(count: int, marker) -> list:
    """``count`` manual runs of one job on the test queue; their ids."""
    job_id = current_jobs_service.create(
        system_identity,
        {"title": "Backlog", "task": "mock_controlled", "default_queue": QUEUE},
    ).id
    return [
        current_runs_service.create(
            system_identity, job_id, {"args": {"marker": str(marker)}}
        ).id
        for _ in range(count)
    ]


def statuses(run_ids) -> dict:
    """How many of the runs are in each status, read now."""
    db.session.remove()
    rows = db.session.execute(
        sa.select(Run.status, sa.func.count())
        .where(Run.id.in_([uuid.UUID(str(i)) for i in run_ids]))
        .group_by(Run.status)
    ).all()
    return {status: count for status, count in rows}


def executions(marker) -> int:
    """Task bodies run, over every worker process."""
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def leftovers(broker) -> int:
    """Messages still in the queue or held unacknowledged by Redis."""
    return broker.llen(QUEUE) + broker.hlen("unacked")


def test_a_backlog_is_never_sent_again(app, broker, start_worker, tmp_path):
    """500 runs wait with no worker past the re-dispatch time: 0 re-sent."""
    marker = tmp_path / "marker"
    run_ids = make_runs(500, marker)
    assert broker.llen(QUEUE) == 500
    time.sleep(REDISPATCH + 1)

    resent = 0
    for _ in range(3):
        resent += reap_runs.apply().get()["resent"]
        time.sleep(1)
    assert resent == 0
    assert broker.llen(QUEUE) == 500

    start_worker(concurrency=2, queues=QUEUE)
    start_worker(concurrency=2, queues=QUEUE)

    def drained():
        nonlocal resent
        resent += reap_runs.apply().get()["resent"]
        return statuses(run_ids) == {RunStatusEnum.SUCCESS: 500}

    wait_until(drained, timeout=240, interval=1, message="every run ended")
    assert resent == 0
    assert executions(marker) == 500
    wait_until(lambda: leftovers(broker) == 0, timeout=10, message="no leftovers")


def test_lost_messages_are_sent_again_once(app, broker, start_worker, tmp_path):
    """The broker loses its queue: exactly the missing runs are sent again."""
    marker = tmp_path / "marker"
    run_ids = make_runs(40, marker)
    time.sleep(REDISPATCH + 1)
    assert reap_runs.apply().get()["resent"] == 0

    # Half of the messages vanish, as in a restart of a broker without
    # persistence that kept only some of them.
    for _ in range(20):
        broker.rpop(QUEUE)
    assert reap_runs.apply().get()["resent"] == 20
    # Sent again just now: the next look waits a longer interval.
    assert reap_runs.apply().get()["resent"] == 0
    assert broker.llen(QUEUE) == 40

    start_worker(concurrency=2, queues=QUEUE)
    wait_until(
        lambda: statuses(run_ids) == {RunStatusEnum.SUCCESS: 40},
        timeout=120,
        message="every run ended",
    )
    assert executions(marker) == 40
    wait_until(lambda: leftovers(broker) == 0, timeout=10, message="no leftovers")
