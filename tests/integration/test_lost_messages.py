# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run whose message was lost starts anyway, on Redis.

Two faults, each with real beat and worker processes: a beat killed
between its commit and its publish (the run was never sent: it is sent
when its lease ends), and a worker killed holding prefetched runs (Redis
keeps their messages unacknowledged for an hour: the maintenance task
finds them by task id and puts them back in their queue).
"""

import pytest
import redis
from conftest import module_settings
from lost_messages import (
    SETTINGS,
    beat_killed_between_commit_and_send,
    worker_killed_holding_prefetched_runs,
)

app_config = module_settings(SETTINGS)


@pytest.fixture()
def broker(app):
    """The suite's Redis, its queues and unacknowledged messages emptied."""
    client = redis.Redis.from_url(app.config["BROKER_URL"])
    client.delete("celery", "low", "unacked", "unacked_index")
    yield client
    client.delete("celery", "low", "unacked", "unacked_index")


def test_runs_of_a_beat_killed_before_sending_start_once(
    app, broker, start_worker, start_beat, tmp_path, monkeypatch
):
    """Three beats die between commit and publish: each of their runs starts once."""
    beat_killed_between_commit_and_send(start_worker, start_beat, tmp_path, monkeypatch)


def test_runs_prefetched_by_a_killed_worker_are_put_back(
    app, broker, start_worker, start_beat, tmp_path
):
    """A dead worker's unacknowledged messages are put back, not left for an hour."""
    runs, maintenance = worker_killed_holding_prefetched_runs(
        start_worker, start_beat, tmp_path
    )
    assert "back in their queues: a worker that is gone" in maintenance.log
    left = b" ".join(broker.hvals("unacked"))
    assert not [run.task_id for run in runs if run.task_id.encode() in left]
    assert broker.llen("low") == 0
