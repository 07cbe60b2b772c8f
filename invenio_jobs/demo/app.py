# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo's Flask apps: invenio_app's factories with the demo's settings.

Importing this module makes the demo job types visible as entry points of
the ``invenio_jobs.jobs`` group, in this process only: a distribution of the
demo is added to what ``importlib.metadata`` finds, through the
``find_distributions`` hook of a ``sys.meta_path`` finder. The UI app and the
API app mounted under ``/api`` both load their job types from there.

Settings are the demo's defaults, given to the factory as keyword arguments,
so that ``INVENIO_*`` environment variables still override them (a
PostgreSQL database, a Redis or RabbitMQ broker).
"""

import importlib.metadata
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .jobs import JOB_TYPES
from .paths import assets_env, assets_folder
from .settings import secure_headers

DISTRIBUTION = "invenio-jobs-demo"
DEFAULT_INSTANCE = ".demo-instance"


class DemoDistribution(importlib.metadata.Distribution):
    """A distribution that only declares the demo's job types as entry points."""

    def read_text(self, filename):
        """Just enough metadata: a name and the entry points."""
        if filename == "METADATA":
            return f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: 0\n"
        if filename == "entry_points.txt":
            lines = [f"{jt.id} = {jt.__module__}:{jt.__name__}" for jt in JOB_TYPES]
            return "[invenio_jobs.jobs]\n" + "\n".join(lines) + "\n"
        return None

    def locate_file(self, path):
        """It has no files."""
        return Path(os.devnull)


class DemoFinder:
    """A meta path finder that finds no module, only the demo distribution."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        """Modules are found by the other finders."""
        return None

    @staticmethod
    def find_distributions(context=importlib.metadata.DistributionFinder.Context()):
        """The demo distribution, when all or it are asked for."""
        if context.name is None or context.name == DISTRIBUTION:
            yield DemoDistribution()


def install_job_types():
    """Make the demo job types visible to this process's job registry."""
    if not any(isinstance(finder, DemoFinder) for finder in sys.meta_path):
        sys.meta_path.append(DemoFinder())


@event.listens_for(Engine, "connect")
def _sqlite_for_several_processes(dbapi_connection, connection_record):
    """WAL and a busy timeout: web, worker and beat share the SQLite file.

    WAL lets readers go on while one process writes; the busy timeout makes
    a writer wait for the other one instead of failing at once. The driver's
    own transaction handling is turned off so that ``_sqlite_begin`` can
    start every transaction itself.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Take the write lock when a transaction starts (``BEGIN IMMEDIATE``).

    A transaction that first reads and then writes, while another process
    committed in between, fails at once with "database is locked" (the busy
    timeout does not apply to that case); taking the lock up front makes it
    wait its turn instead. A connection in autocommit (a running job
    reading whether it was asked to stop) only reads: it takes no lock, so
    that a job's own open transaction never makes it wait.
    """
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def instance_path() -> Path:
    """The instance folder: ``INVENIO_INSTANCE_PATH``, as invenio_app reads it."""
    return Path(os.environ.get("INVENIO_INSTANCE_PATH") or DEFAULT_INSTANCE).resolve()


def broker_url() -> str:
    """The broker: the one the environment names, else the filesystem one."""
    return (
        os.environ.get("INVENIO_CELERY_BROKER_URL")
        or os.environ.get("INVENIO_BROKER_URL")
        or "filesystem://"
    )


def demo_config() -> dict:
    """The demo's settings; ``INVENIO_*`` environment variables override them."""
    folder = instance_path()
    broker = broker_url()
    secret = folder / "secret-key"
    config = {
        "SECRET_KEY": secret.read_text().strip() if secret.exists() else "demo",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.db'}",
        "BROKER_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": None,
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CACHE_TYPE": "SimpleCache",
        "ACCOUNTS_SESSION_REDIS_URL": None,
        "ACCOUNTS_SESSION_STORE_FACTORY": "invenio_jobs.demo.settings:shared_session_store",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
        "MAIL_DEFAULT_SENDER": "jobs@demo.org",
        "SESSION_COOKIE_SECURE": False,
        "APP_DEFAULT_SECURE_HEADERS": secure_headers(),
        "SECURITY_CONFIRMABLE": False,
        "SECURITY_POST_LOGIN_VIEW": "/administration/jobs",
        "REST_CSRF_ENABLED": True,
        "CSRF_FORCE_SECURE_REFERER": False,
        "ACCOUNTS_LOCAL_LOGIN_ENABLED": True,
        "JOBS_RUNS_RETENTION": 50,
        "JOBS_SCHEDULER_MAX_INTERVAL": 2,
        "JOBS_SCHEDULER_TIMEZONE": "UTC",
        "JOBS_HEARTBEAT_SECONDS": 5,
        "APP_THEME": ["semantic-ui"],
        "THEME_SITENAME": "invenio-jobs demo",
        "I18N_LANGUAGES": [("de", "Deutsch")],
        "WEBPACKEXT_PROJECT": "invenio_jobs.demo.webpack:project",
    }
    if broker.startswith("filesystem"):
        messages = folder / "broker"
        for name in ("queue", "processed", "control"):
            (messages / name).mkdir(parents=True, exist_ok=True)
        config["CELERY_BROKER_TRANSPORT_OPTIONS"] = {
            "data_folder_in": str(messages / "queue"),
            "data_folder_out": str(messages / "queue"),
            "processed_folder": str(messages / "processed"),
            "control_folder": str(messages / "control"),
            "store_processed": False,
            "polling_interval": 0.5,
        }
    return config


def use_built_assets():
    """Serve the admin UI's assets from the shared build folder (``.ui-assets``).

    ``INVENIO_STATIC_FOLDER`` is read by invenio_app's factory, not from the
    settings, so it goes through the environment; variables already set win.
    """
    for name, value in assets_env(assets_folder()).items():
        os.environ.setdefault(name, value)


def create_demo_app(**kwargs):
    """The combined UI and API app of the demo (API under ``/api``)."""
    install_job_types()
    use_built_assets()
    from invenio_app.factory import create_app

    return create_app(**{**demo_config(), **kwargs})


def create_demo_ui(**kwargs):
    """The UI app of the demo, as workers and beat use it."""
    install_job_types()
    use_built_assets()
    from invenio_app.factory import create_ui

    return create_ui(**{**demo_config(), **kwargs})
