# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Integration tests: PostgreSQL, a real broker, real worker and beat processes.

The test process and the processes it starts share one PostgreSQL database
and one broker (``SQLALCHEMY_DATABASE_URI`` and ``BROKER_URL``, given by
``run-tests.sh``). Work is committed for real, so every test starts from
empty tables.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest
from helpers import delete_jobs_and_runs
from processes import Process, wait_until  # noqa: F401 -- the tests import them here

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent


@pytest.fixture(scope="module")
def app_config(app_config, broker_uri):
    """Send tasks to the broker for real; nothing runs eagerly."""
    app_config.update(
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_EAGER_PROPAGATES_EXCEPTIONS=False,
        CELERY_BROKER_URL=broker_uri,
        BROKER_URL=broker_uri,
        CELERY_RESULT_BACKEND=None,
        CELERY_TASK_IGNORE_RESULT=True,
    )
    return app_config


@pytest.fixture(scope="module", autouse=True)
def broker_connections_of_this_app(base_app):
    """Publish to this module's broker, not to one a previous app connected to.

    The Celery app is one per process and is reconfigured by each Flask app,
    but it keeps the broker connections (and producers) it opened first: a
    unit test module run before this one would have them point at its own
    broker, and nothing sent here would reach the worker.
    """
    celery = base_app.extensions["flask-celeryext"].celery
    # Forgotten, not closed: kombu shares a pool among apps of the same URL.
    celery._pool = None
    celery.amqp._producer_pool = None
    yield


@pytest.fixture(autouse=True)
def empty_tables(app, database):
    """Start and end each test with no jobs, runs or logs."""
    yield
    delete_jobs_and_runs(database)


def process_env(app, **jobs_settings) -> dict:
    """Environment of a worker or beat process: the test app's services."""
    env = dict(os.environ)
    config = app.config
    env.update(
        PYTHONPATH=os.pathsep.join(
            [str(HERE), str(TESTS), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
        INVENIO_SQLALCHEMY_DATABASE_URI=config["SQLALCHEMY_DATABASE_URI"],
        # Celery's command line reads the broker from these two first.
        BROKER_URL=config["BROKER_URL"],
        CELERY_BROKER_URL=config["BROKER_URL"],
        INVENIO_BROKER_URL=config["BROKER_URL"],
        INVENIO_CELERY_BROKER_URL=config["BROKER_URL"],
        INVENIO_CELERY_RESULT_BACKEND="None",
        INVENIO_CELERY_TASK_IGNORE_RESULT="True",
        INVENIO_SECRET_KEY="integration-tests",
        INVENIO_INSTANCE_PATH=app.instance_path,
        INVENIO_APP_DEFAULT_SECURE_HEADERS="{'force_https': False}",
        INVENIO_MAIL_SUPPRESS_SEND="True",
    )
    for key, value in jobs_settings.items():
        env[f"INVENIO_{key}"] = repr(value)
    return env


@pytest.fixture()
def start_worker(app, database, tmp_path):
    """Start Celery worker processes; they are stopped after the test."""
    started = []

    def start(
        concurrency=2,
        pool="prefork",
        queues="celery,low",
        app_module="worker_app",
        **settings,
    ):
        name = f"w{uuid.uuid4().hex[:8]}@%h"
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app_module,
            "worker",
            "-l",
            "INFO",
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-Q",
            queues,
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
        ]
        log = tmp_path / f"worker-{len(started)}.log"
        process = Process(args, process_env(app, **settings), log, ready="ready.")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture()
def start_beat(app, database, tmp_path):
    """Start ``celery beat`` processes with the job scheduler."""
    started = []

    def start(max_interval=1, app_module="worker_app", **settings):
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app_module,
            "beat",
            "-l",
            "INFO",
            "--scheduler",
            "invenio_jobs.services.scheduler:RunScheduler",
            "--max-interval",
            str(max_interval),
            "--pidfile=",
            "-s",
            str(tmp_path / f"beat-{len(started)}-schedule"),
        ]
        log = tmp_path / f"beat-{len(started)}.log"
        process = Process(args, process_env(app, **settings), log, ready=None)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def module_settings(settings: dict):
    """An ``app_config`` fixture of a test module: the suite's, with ``settings``.

    The same settings go to the processes a test starts (``start_worker``,
    ``start_beat``) when the test passes them there.
    """

    @pytest.fixture(scope="module")
    def app_config(app_config):
        app_config.update(settings)
        return app_config

    return app_config


def module_server(make):
    """A module-scoped fixture of a server of the module's own (``make()``).

    Started before the module's first test, removed after its last; the
    tests may stop and start it meanwhile.
    """

    @pytest.fixture(scope="module")
    def server():
        started = make()
        started.start()
        yield started
        started.remove()

    return server
