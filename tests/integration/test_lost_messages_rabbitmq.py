# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run whose message was lost starts anyway, on RabbitMQ.

The same two faults as on Redis. A beat killed between commit and publish
leaves runs that were never sent: they are sent when their lease ends. A
worker killed holding prefetched runs: RabbitMQ itself puts its
unacknowledged messages back in their queue when its connection closes.
"""

import pytest
from conftest import module_settings
from lost_messages import (
    SETTINGS,
    beat_killed_between_commit_and_send,
    worker_killed_holding_prefetched_runs,
)
from own_services import rabbitmq_node


@pytest.fixture(scope="module")
def rabbitmq():
    """This module's own RabbitMQ node."""
    with rabbitmq_node() as node:
        yield node


@pytest.fixture(scope="module")
def broker_uri(rabbitmq):
    """The app, its workers and its beats use the module's RabbitMQ."""
    yield rabbitmq.url


app_config = module_settings(SETTINGS)


def test_runs_of_a_beat_killed_before_sending_start_once(
    app, start_worker, start_beat, tmp_path, monkeypatch
):
    """Three beats die between commit and publish: each of their runs starts once."""
    assert app.config["BROKER_URL"].startswith("amqp://")
    beat_killed_between_commit_and_send(start_worker, start_beat, tmp_path, monkeypatch)


def test_runs_prefetched_by_a_killed_worker_run_once(
    app, start_worker, start_beat, tmp_path
):
    """RabbitMQ gives a dead worker's messages back; none runs twice."""
    worker_killed_holding_prefetched_runs(start_worker, start_beat, tmp_path)
