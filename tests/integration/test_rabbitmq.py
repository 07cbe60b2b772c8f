# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""On RabbitMQ, a retry's wait never holds a message in a worker.

RabbitMQ closes a channel whose delivery stays unacknowledged longer than
``consumer_timeout``, and the Celery worker on it exits. A retry that
waited as a broker countdown was such a delivery. Here the module starts
its own RabbitMQ node with a ``consumer_timeout`` of 3 s (checked every
half second), shows that the node enforces it, then has a run fail and
retry after 8 s: the retry waits in the database, the beat sends it when
due, and every worker stays alive.
"""

import time
import uuid

import kombu
import pytest
from amqp.exceptions import PreconditionFailed
from conftest import wait_until
from invenio_access.permissions import system_identity
from invenio_db import db
from own_services import rabbitmq_node

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

CONSUMER_TIMEOUT_MS = 3000
RETRY_WAIT = 8


@pytest.fixture(scope="module")
def rabbitmq():
    """This module's own RabbitMQ node, with a short ``consumer_timeout``."""
    with rabbitmq_node(
        {"consumer_timeout": CONSUMER_TIMEOUT_MS},
        # Check the timeout every half second, not every minute.
        "[{rabbit, [{channel_tick_interval, 500}]}].",
    ) as node:
        yield node


@pytest.fixture(scope="module")
def broker_uri(rabbitmq):
    """The app, its workers and its beat use the module's RabbitMQ."""
    yield rabbitmq.url


def test_the_node_enforces_its_consumer_timeout(rabbitmq):
    """A delivery left unacknowledged past the timeout closes its channel."""
    queue = kombu.Queue(f"held-{uuid.uuid4().hex[:6]}", auto_delete=True)
    received = []
    with kombu.Connection(rabbitmq.url) as connection:
        with connection.Producer() as producer:
            producer.publish({}, routing_key=queue.name, declare=[queue])
        with connection.Consumer(queue, callbacks=[lambda body, m: received.append(m)]):
            connection.drain_events(timeout=5)
            assert len(received) == 1
            time.sleep(CONSUMER_TIMEOUT_MS / 1000 + 2)
            with pytest.raises(PreconditionFailed, match="acknowledgement"):
                received[0].ack()
                connection.drain_events(timeout=2)


def test_a_retry_after_a_long_wait_keeps_every_worker_alive(
    app, start_worker, start_beat, tmp_path
):
    """The run fails, waits 8 s (past the 3 s timeout), retries and succeeds."""
    assert app.config["BROKER_URL"].startswith("amqp://")
    settings = dict(JOBS_RETRY_BACKOFF_SECONDS=RETRY_WAIT, JOBS_HEARTBEAT_SECONDS=1)
    workers = [start_worker(concurrency=1, **settings) for _ in range(2)]
    start_beat(JOBS_SCHEDULER_MAX_INTERVAL=0.5, **settings)
    job_id = current_jobs_service.create(
        system_identity,
        {"title": "Flaky", "task": "mock_controlled", "max_retries": 2},
    ).id
    marker = tmp_path / "marker"
    run_id = current_runs_service.create(
        system_identity, job_id, {"args": {"flaky": 1, "marker": str(marker)}}
    ).id

    def ended():
        db.session.remove()
        run = db.session.get(Run, uuid.UUID(run_id))
        return run.status in RunStatusEnum.finished() and run

    run = wait_until(ended, timeout=90, message="the run ended")
    assert run.status is RunStatusEnum.SUCCESS
    assert run.attempt == 2
    first, second = [float(line.split()[1]) for line in marker.read_text().splitlines()]
    assert second - first >= RETRY_WAIT
    for worker in workers:
        assert worker.popen.poll() is None, worker.log[-3000:]
        assert "PRECONDITION_FAILED" not in worker.log
