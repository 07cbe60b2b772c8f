# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery app of the worker that ``run_throughput.py`` starts.

``bench_app`` on the database of ``SQLALCHEMY_DATABASE_URI`` (the benchmark
passes its own), sending and consuming through ``BROKER_URL`` for real, with
the permission cache as InvenioRDM ships it. Each pool process counts the SQL
statements it sends, from its first task on (start-up reads are not the
job system's cost per run), and writes its totals to
``$BENCH_WORKER_STATS/<pid>.json`` at most every half second and when it
exits, so that the benchmark can sum what the whole worker did.

    celery -A worker_app worker --pool prefork -c 2 -Q celery
"""

import json
import os
import threading
import time

from celery.signals import (
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_process_shutdown,
)
from common import bench_app, worker_settings
from sqlalchemy import event

WRITE_SECONDS = 0.5
"""A pool process writes its totals at most this often."""

_settings, _ = worker_settings(
    os.environ["BROKER_URL"], os.environ.get("BENCH_CACHE_PREFIX", "")
)
flask_app = bench_app(os.environ["SQLALCHEMY_DATABASE_URI"], **_settings)
celery = flask_app.extensions["flask-celeryext"].celery


class Totals:
    """What one pool process did: statements and tasks, and when it last ended one."""

    def __init__(self, folder: str):
        """Count nothing until the first task starts."""
        self.path = os.path.join(folder, f"{os.getpid()}.json")
        self.lock = threading.Lock()
        self.counting = False
        self.statements = 0
        self.tasks = 0
        self.last_end = None
        self.dirty = True
        self.stop = threading.Event()

    def statement(self, *args):
        """``before_cursor_execute``: one statement sent, by any thread."""
        if self.counting:
            with self.lock:
                self.statements += 1
                self.dirty = True

    def task_started(self, **kwargs):
        """From the first task on, statements count."""
        self.counting = True

    def task_ended(self, **kwargs):
        """One more task done, and when."""
        with self.lock:
            self.tasks += 1
            self.last_end = time.time()
            self.dirty = True

    def write(self):
        """Replace the file in one step, so that a reader never sees half of it."""
        with self.lock:
            if not self.dirty:
                return
            figures = {
                "pid": os.getpid(),
                "statements": self.statements,
                "tasks": self.tasks,
                "last_end": self.last_end,
            }
            self.dirty = False
        partial = f"{self.path}.part"
        with open(partial, "w") as out:
            json.dump(figures, out)
        os.replace(partial, self.path)

    def keep_writing(self):
        """The writer thread: changes reach the file within half a second."""
        while not self.stop.wait(WRITE_SECONDS):
            self.write()


_totals = None


@worker_process_init.connect
def _count_statements(**kwargs):
    """In each pool process: listen on its engine and start the writer thread."""
    global _totals
    folder = os.environ.get("BENCH_WORKER_STATS")
    if not folder:
        return
    from invenio_db import db

    _totals = Totals(folder)
    with flask_app.app_context():
        event.listen(db.engine, "before_cursor_execute", _totals.statement)
    task_prerun.connect(_totals.task_started, weak=False)
    task_postrun.connect(_totals.task_ended, weak=False)
    _totals.write()
    threading.Thread(target=_totals.keep_writing, daemon=True).start()


@worker_process_shutdown.connect
def _write_totals(**kwargs):
    """The last totals of a pool process that exits."""
    if _totals is not None:
        _totals.stop.set()
        _totals.write()
