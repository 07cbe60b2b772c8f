# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The drop-in tests: our package inside an InvenioRDM release's own install.

They run with the Python of ``.test-cache/line-<line>`` (see
``line_venv.py``; ``./run-tests.sh --line v13`` makes it and runs them), so
that every library is the one that InvenioRDM release installs. The app is
InvenioRDM's own (invenio-app-rdm's configuration, ``invenio_app``'s
factory), on the PostgreSQL and Redis of ``SQLALCHEMY_DATABASE_URI`` and
``BROKER_URL``; workers are ``celery -A invenio_app.celery worker``, as an
instance runs them. No search server is started.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path[:0] = [str(TESTS / "integration"), str(TESTS)]

LINE = os.environ.get("DROPIN_LINE", "v15")
"""The InvenioRDM line whose environment runs these tests."""

REDIS_DATABASES = {
    "CACHE_REDIS_URL": 1,
    "ACCOUNTS_SESSION_REDIS_URL": 2,
    "CELERY_RESULT_BACKEND": 3,
    "RATELIMIT_STORAGE_URI": 4,
    "COMMUNITIES_IDENTITIES_CACHE_REDIS_URL": 5,
    "IIIF_CACHE_REDIS_URL": 6,
}
"""InvenioRDM's settings that name a Redis server (localhost by default), each
given a database of the test server."""


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.exit(f"the drop-in tests need {name} (run them with run-tests.sh)")
    return value


@pytest.fixture(scope="session")
def suite_uri():
    """The PostgreSQL database of the test run (its server holds ours too)."""
    uri = _required("SQLALCHEMY_DATABASE_URI")
    assert uri.startswith("postgresql"), "the drop-in tests run on PostgreSQL"
    return uri


@pytest.fixture(scope="session")
def broker_uri():
    """The Redis broker of the test run."""
    uri = _required("BROKER_URL")
    assert uri.startswith("redis://"), "the drop-in tests run on Redis"
    return uri


@pytest.fixture(scope="session")
def seed_paths(tmp_path_factory):
    """The seed's job types (``my_site``), found by entry point."""
    from seed_site.distribution import install

    return install(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="session")
def site_paths(seed_paths, tmp_path_factory):
    """The instance's own job types, found by entry point.

    The seed's, and a vocabularies datastream that reads a local file (the
    tests' own).
    """
    target = tmp_path_factory.mktemp("site")
    info = target / "dropin_jobs-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dropin-jobs\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[invenio_jobs.jobs]\n"
        "local_datastream = mock_module.jobs:LocalDatastreamJob\n"
    )
    return [*seed_paths, str(target), str(TESTS)]


@pytest.fixture(scope="session")
def app_database(suite_uri):
    """A database of its own for InvenioRDM's app, made empty."""
    from inveniordm_instance import instance_database

    with instance_database(suite_uri, f"dropin_{LINE}") as uri:
        yield uri


@pytest.fixture(scope="session")
def rdm_env(app_database, broker_uri, site_paths, tmp_path_factory):
    """The INVENIO_* settings of the app and its workers."""
    server = broker_uri.rsplit("/", 1)[0]
    env = {
        "INVENIO_SQLALCHEMY_DATABASE_URI": app_database,
        "INVENIO_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "INVENIO_SECRET_KEY": "drop-in-tests",
        "INVENIO_BROKER_URL": broker_uri,
        "INVENIO_CELERY_BROKER_URL": broker_uri,
        "INVENIO_CELERY_TASK_ALWAYS_EAGER": "False",
        "INVENIO_MAIL_SUPPRESS_SEND": "True",
        "INVENIO_RATELIMIT_ENABLED": "False",
        # The test client posts JSON without a CSRF token.
        "INVENIO_REST_CSRF_ENABLED": "False",
        # No built assets: the pages are read, not run.
        "INVENIO_WEBPACKEXT_MANIFEST_PATH": "None",
        "INVENIO_SEARCH_INDEX_PREFIX": f"dropin-{uuid.uuid4().hex[:8]}-",
        "INVENIO_JSONSCHEMAS_HOST": "localhost",
    }
    for name, number in REDIS_DATABASES.items():
        env[f"INVENIO_{name}"] = f"{server}/{number}"
    return env


@pytest.fixture(scope="session")
def app(rdm_env, site_paths):
    """The app of InvenioRDM (UI with the API under ``/api``), with its tables."""
    os.environ.update(rdm_env)
    sys.path[:0] = site_paths
    from invenio_app.factory import create_app
    from invenio_db import db

    app = create_app()
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def users(app):
    """An administrator and a user without administration rights: their e-mails."""
    from invenio_access.models import ActionUsers
    from invenio_accounts.proxies import current_datastore
    from invenio_administration.permissions import administration_access_action
    from invenio_db import db

    with app.app_context():
        admin = current_datastore.create_user(
            email="admin@example.org", password=None, active=True
        )
        current_datastore.create_user(
            email="user@example.org", password=None, active=True
        )
        db.session.add(ActionUsers.allow(administration_access_action, user=admin))
        db.session.commit()
    return {"admin": "admin@example.org", "user": "user@example.org"}


class Client:
    """A test client over HTTPS (InvenioRDM redirects plain HTTP)."""

    def __init__(self, app, email=None):
        """Signed in as ``email``, or anonymous."""
        self._client = app.test_client()
        if email:
            from invenio_accounts.testutils import login_user_via_session

            with app.app_context():
                login_user_via_session(self._client, email=email)

    def __getattr__(self, method):
        """``get``, ``post``, ``put``, ``delete`` on https://localhost."""
        call = getattr(self._client, method)
        return lambda *args, **kwargs: call(
            *args, base_url="https://localhost", **kwargs
        )


@pytest.fixture(scope="session")
def admin_client(app, users):
    """Signed in as an administrator."""
    return Client(app, users["admin"])


@pytest.fixture(scope="session")
def user_client(app, users):
    """Signed in, without administration rights."""
    return Client(app, users["user"])


@pytest.fixture(scope="session")
def anonymous_client(app):
    """Not signed in."""
    return Client(app)


@pytest.fixture()
def start_worker(rdm_env, site_paths, tmp_path):
    """Start ``celery -A invenio_app.celery worker`` processes for a test.

    Settings given as keywords (``SQLALCHEMY_DATABASE_URI=...``) override
    the app's, for a worker on another database.
    """
    from processes import Process

    started = []

    def start(**settings):
        env = {**os.environ, **rdm_env}
        env.update({f"INVENIO_{key}": value for key, value in settings.items()})
        env["PYTHONPATH"] = os.pathsep.join(site_paths)
        celery = Path(sys.executable).parent / "celery"
        args = [
            celery,
            "-A",
            "invenio_app.celery",
            "worker",
            "-l",
            "INFO",
            "-c",
            "2",
            "-Q",
            "celery",
            "-n",
            f"dropin{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        log = tmp_path / f"worker-{len(started)}.log"
        process = Process(
            [str(part) for part in args], env, log, ready="ready.", cwd=tmp_path
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def database_rows(uri: str, statement: str, **params) -> list:
    """Rows of a statement on another database (an instance's)."""
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(statement), params).all()
    finally:
        engine.dispose()
