# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What the benchmarks share: a database of their own, made and dropped."""

import os
import tempfile
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy_utils import create_database, database_exists, drop_database

BENCH_JOB_TYPE = "bench"
"""The job type of the benchmarks' jobs: a no-op task, registered by ``bench_app``."""

BENCH_FANOUT_JOB_TYPE = "bench_fanout"
"""A job type whose task spawns ``count`` no-op subtasks: the subtask path."""

NOOP_TASK = "benchmarks.noop"
"""Name of the no-op Celery task: the body of bench runs and of fan-out subtasks."""


def _bench_job_types():
    """Registered job types for the benchmarks (fires of unknown ones make no run)."""
    from celery import shared_task
    from marshmallow import fields, validate

    from invenio_jobs.jobs import JobType, PredefinedArgsSchema
    from invenio_jobs.runtime import current_run

    @shared_task(name=NOOP_TASK, ignore_result=True)
    def noop(**kwargs):
        """Do nothing: the benchmarks measure the job system around it."""

    @shared_task(name="benchmarks.fanout", ignore_result=True)
    def fanout(count=10_000, **kwargs):
        """Hand ``count`` no-op subtasks to the job system, one by one."""
        for index in range(count):
            current_run.spawn_subtask(noop, kwargs={"index": index})

    class BenchJob(JobType):
        """A job whose task does nothing."""

        id = BENCH_JOB_TYPE
        title = "Benchmark"
        task = noop

    class FanoutArguments(PredefinedArgsSchema):
        """How many subtasks the run spawns."""

        count = fields.Integer(load_default=10_000, validate=validate.Range(min=0))

    class FanoutJob(JobType):
        """A job whose task spawns no-op subtasks."""

        id = BENCH_FANOUT_JOB_TYPE
        title = "Benchmark fan-out"
        task = fanout
        arguments_schema = FanoutArguments

    return BenchJob, FanoutJob


def bench_app(uri: str, **config):
    """The API app of the package on the benchmark database, with its job types.

    Tasks run eagerly unless ``config`` says otherwise (a benchmark with a
    real worker passes ``CELERY_TASK_ALWAYS_EAGER=False`` and its broker).
    """
    from invenio_app.factory import create_api

    os.environ.setdefault("INVENIO_INSTANCE_PATH", tempfile.mkdtemp())
    settings = dict(
        SQLALCHEMY_DATABASE_URI=uri,
        SECRET_KEY="bench",
        SECURITY_PASSWORD_SALT="bench",
        TESTING=True,
        CELERY_TASK_ALWAYS_EAGER=True,
        # Not localhost: invenio-jsonschemas warns about it in every process.
        JSONSCHEMAS_HOST="jobs-bench.example.org",
    )
    settings.update(config)
    app = create_api(**settings)
    registry = app.extensions["invenio-jobs"].registry
    for job_type in _bench_job_types():
        registry.register(job_type)
    return app


def worker_settings(broker_url: str, cache_prefix: str) -> tuple[dict, str]:
    """Settings of an app whose tasks go through the broker to a real worker.

    With the permission cache as InvenioRDM ships it (see
    :func:`shipped_access_cache`); returns the settings and the cache's label.
    """
    cache, label = shipped_access_cache(broker_url, cache_prefix)
    settings = dict(BROKER_URL=broker_url, CELERY_BROKER_URL=broker_url)
    settings.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_RESULT_BACKEND=None)
    settings.update(CELERY_TASK_IGNORE_RESULT=True, MAIL_SUPPRESS_SEND=True)
    return {**settings, **cache}, label


def shipped_access_cache(broker_url: str | None, prefix: str) -> tuple[dict, str]:
    """Settings of the permission cache as InvenioRDM ships it, and their label.

    ``ACCESS_CACHE`` is invenio-cache's cache: Redis on the broker's server
    when the broker is Redis (another database number than the broker's),
    an in-process ``SimpleCache`` otherwise. ``prefix`` keeps the keys of
    one benchmark apart from any other user of that Redis database.
    """
    settings = {
        "ACCESS_CACHE": "invenio_cache:current_cache",
        "CACHE_KEY_PREFIX": prefix,
    }
    url = make_url(broker_url) if broker_url else None
    if url is None or url.drivername not in ("redis", "rediss"):
        settings["CACHE_TYPE"] = "flask_caching.backends.SimpleCache"
        return settings, "SimpleCache (in process)"
    broker_db = int(url.database or 0)
    cache_url = url.set(database=str(_other_redis_db(broker_url, broker_db)))
    cache_uri = cache_url.render_as_string(hide_password=False)
    settings.update(
        CACHE_TYPE="flask_caching.backends.RedisCache",
        CACHE_REDIS_URL=cache_uri,
    )
    return settings, f"Redis {cache_url.render_as_string(hide_password=True)}"


def _other_redis_db(broker_url: str, broker_db: int) -> int:
    """A Redis database number of the broker's server that is not the broker's."""
    import redis

    try:
        client = redis.Redis.from_url(broker_url)
        count = int(client.config_get("databases").get("databases", 16))
    except Exception:  # noqa: BLE001 -- CONFIG may be refused: assume the default
        count = 16
    return (broker_db + count // 2) % count


def bench_admin(app, db, email: str = "bench@example.org"):
    """An account with the ``administration-access`` grant, committed."""
    from datetime import datetime, timezone

    from flask_security.utils import hash_password
    from invenio_access.models import ActionUsers
    from invenio_administration.permissions import administration_access_action

    datastore = app.extensions["security"].datastore
    user = datastore.create_user(
        email=email,
        password=hash_password("bench-pass"),
        active=True,
        confirmed_at=datetime.now(timezone.utc),
    )
    db.session.add(ActionUsers.allow(administration_access_action, user=user))
    db.session.commit()
    return user


@contextmanager
def bench_database(name: str, keep: bool = False):
    """Yield (uri, label) of a fresh database for benchmark ``name``.

    Next to the database of ``SQLALCHEMY_DATABASE_URI`` (its name with
    ``_bench_<name>`` appended), so that a benchmark never touches real
    data; a temporary SQLite file when the variable is not set. Dropped at
    the end unless ``keep``.
    """
    base = os.environ.get("SQLALCHEMY_DATABASE_URI")
    if base:
        url = make_url(base)
        url = url.set(database=f"{url.database}_bench_{name}")
        uri, label = url.render_as_string(hide_password=False), url.get_backend_name()
    else:
        path = tempfile.mkstemp(prefix=f"bench_{name}", suffix=".db")[1]
        uri, label = f"sqlite:///{path}", "sqlite (temporary file)"
    if database_exists(uri):
        drop_database(uri)
    create_database(uri)
    try:
        yield uri, label
    finally:
        if not keep:
            drop_database(uri)


def filled_values(table, given: dict) -> dict:
    """``given`` plus a literal for every other required column with a default.

    Keeps the bulk inserts working when a column is added to the model.
    """
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default:
            continue
        default = column.default
        if default is not None and default.is_scalar:
            values[column.name] = sa.literal(default.arg, column.type)
        elif default is not None and default.is_callable:
            values[column.name] = sa.literal(default.arg(None), column.type)
        else:
            raise SystemExit(f"no value for the required column {column}")
    return values


def insert_generated(session, model, given: dict, rows, *joined):
    """One ``INSERT ... SELECT`` of ``model`` rows made by the database.

    ``given`` maps columns to SQL expressions over ``rows`` (a generated
    series) and the ``joined`` selectables, each joined on true; the
    other required columns take their defaults (:func:`filled_values`).
    """
    values = filled_values(model.__table__, given)
    select = sa.select(*values.values()).select_from(rows)
    for other in joined:
        select = select.join(other, sa.true())
    session.execute(sa.insert(model).from_select(list(values), select))
