# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Shared fixtures: an API app on SQLite, or on PostgreSQL where marked.

Unit tests run on SQLite; modules marked ``postgresql`` run on PostgreSQL.

``run-tests.sh`` provides PostgreSQL through ``SQLALCHEMY_DATABASE_URI`` and a
broker through ``BROKER_URL``; in CI (``CI=true``) a missing PostgreSQL fails
the PostgreSQL tests instead of skipping them.
"""

import os
import tempfile
import time
from pathlib import Path

import pytest
from helpers import delete_jobs_and_runs, postgresql_uri
from invenio_app.factory import create_api

_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests saved their screenshots, if they ran."""
    from integration.browser import SCREENSHOTS

    shots = list(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.exists() else []
    taken = [shot for shot in shots if shot.stat().st_mtime >= _STARTED]
    if taken:
        terminalreporter.write_line(
            f"admin UI screenshots ({len(taken)} pages): {SCREENSHOTS}"
        )


def pytest_configure(config):
    """Declare the markers this suite uses."""
    config.addinivalue_line(
        "markers", "postgresql: runs on PostgreSQL (SQLALCHEMY_DATABASE_URI)"
    )


@pytest.fixture(scope="module")
def db_uri(request, instance_path):
    """Database of a test module: PostgreSQL where marked, else SQLite.

    Every module under ``integration/`` runs on PostgreSQL: its worker and beat
    processes share the database with the test process.
    """
    integration = "integration" in Path(str(request.node.path)).parts
    if integration or request.node.get_closest_marker("postgresql"):
        uri = postgresql_uri()
        if uri is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL tests need SQLALCHEMY_DATABASE_URI in CI")
            pytest.skip("needs PostgreSQL: set SQLALCHEMY_DATABASE_URI")
        yield uri
        return
    fd, path = tempfile.mkstemp(dir=instance_path, prefix="test", suffix=".db")
    os.close(fd)
    yield f"sqlite:///{path}"
    os.remove(path)


@pytest.fixture(scope="module")
def broker_uri():
    """The broker of the suite (Redis started by run-tests.sh)."""
    yield os.environ.get("BROKER_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def extra_entry_points():
    """Job types of the test module, registered as an instance would."""
    from mock_module.entry_points import ENTRY_POINTS

    return ENTRY_POINTS


@pytest.fixture(scope="module")
def app_config(app_config):
    """Test configuration of the app."""
    app_config["MAIL_DEFAULT_SENDER"] = "jobs@example.org"
    app_config["JOBS_QUEUES"] = {
        "celery": {"name": "celery", "title": "Default", "description": ""},
        "low": {"name": "low", "title": "Low", "description": ""},
    }
    return app_config


@pytest.fixture(scope="module")
def create_app(instance_path, entry_points):
    """The API application factory, with the test entry points."""
    return create_api


@pytest.fixture(scope="module")
def database(appctx):
    """Create the tables of the test database, and drop them afterwards.

    Replaces pytest-invenio's fixture, whose "UNLOGGED" table hook for
    PostgreSQL stays registered for every dialect once used, and would break
    the SQLite modules that run after a PostgreSQL one.
    """
    from invenio_db import db as db_
    from sqlalchemy_utils.functions import create_database, database_exists

    url = db_.engine.url.render_as_string(hide_password=False)
    if not database_exists(url):
        create_database(url)
    db_.create_all()
    yield db_
    db_.session.remove()
    db_.drop_all()


@pytest.fixture()
def empty_tables(app, database):
    """Each test of a module that asks for it ends with no jobs, runs or logs.

    For tests that commit for real (the CLI, the scheduler, the workers).
    """
    yield
    delete_jobs_and_runs(database)


@pytest.fixture(scope="module")
def app(base_app, database):
    """The app with its database; no search server: nothing here is indexed."""
    yield base_app


@pytest.fixture(scope="module")
def users(app, UserFixture):
    """An administrator and a user without administration access."""
    from invenio_access.models import ActionUsers
    from invenio_administration.permissions import administration_access_action
    from invenio_db import db as db_

    admin = UserFixture(
        email="admin@example.org", password="admin-pass", username="admin"
    ).create(app, db_)
    user = UserFixture(
        email="user@example.org", password="user-pass", username="someone"
    ).create(app, db_)
    db_.session.add(ActionUsers.allow(administration_access_action, user=admin.user))
    db_.session.commit()
    return {"admin": admin, "user": user}


def _login(client, user):
    from invenio_accounts.testutils import login_user_via_session

    login_user_via_session(client, email=user.email)
    return client


@pytest.fixture()
def admin_client(client, users):
    """A test client logged in as the administrator."""
    return _login(client, users["admin"])


@pytest.fixture()
def user_client(client, users):
    """A test client logged in as a user who is not an administrator."""
    return _login(client, users["user"])


@pytest.fixture()
def invoke(app):
    """Run ``invenio jobs ...`` in the test app; returns click's result."""
    from invenio_jobs.cli import jobs

    runner = app.test_cli_runner()

    def _invoke(*args, input=None):
        return runner.invoke(jobs, [str(a) for a in args], input=input)

    return _invoke


@pytest.fixture()
def schedule_parses():
    """Count the parses of schedules inside a test, with what each parsed.

    ``compile_schedule`` is the one function that parses a schedule; it is
    wrapped, so that it keeps working, and its calls are recorded.
    """
    from unittest import mock

    from invenio_jobs.schedules import validation

    with mock.patch.object(
        validation, "compile_schedule", wraps=validation.compile_schedule
    ) as spy:
        yield spy
