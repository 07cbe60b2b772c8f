# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What the benchmarks share: a database of their own, made and dropped."""

import os
import tempfile
from contextlib import contextmanager

from sqlalchemy.engine import make_url
from sqlalchemy_utils import create_database, database_exists, drop_database

BENCH_JOB_TYPE = "bench"
"""The job type of the benchmarks' jobs: a no-op task, registered by ``bench_app``."""


def _bench_job_type():
    """A registered job type for the seeded jobs (fires of unknown ones make no run)."""
    from celery import shared_task

    from invenio_jobs.jobs import JobType

    @shared_task(name="benchmarks.noop", ignore_result=True)
    def noop(**kwargs):
        """Do nothing: the benchmarks measure the job system around it."""

    class BenchJob(JobType):
        """A job whose task does nothing."""

        id = BENCH_JOB_TYPE
        title = "Benchmark"
        task = noop

    return BenchJob


def bench_app(uri: str, **config):
    """The API app of the package on the benchmark database, with its job type."""
    from invenio_app.factory import create_api

    os.environ.setdefault("INVENIO_INSTANCE_PATH", tempfile.mkdtemp())
    app = create_api(
        SQLALCHEMY_DATABASE_URI=uri,
        SECRET_KEY="bench",
        SECURITY_PASSWORD_SALT="bench",
        TESTING=True,
        CELERY_TASK_ALWAYS_EAGER=True,
        **config,
    )
    app.extensions["invenio-jobs"].registry.register(_bench_job_type())
    return app


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
