# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Importing the package, and creating an app that does not use it, changes nothing.

InvenioRDM imports every installed module, also in processes that never
run a job. So importing ``invenio_jobs`` (each of its modules) and then
creating an app without its extension must register no SQLAlchemy
listener, no Celery signal handler, no fork or exit hook, and leave the
root logger as it was. A fresh interpreter looks, so that nothing the
other tests set up is counted.
"""

import json
import subprocess
import sys
import textwrap

import pytest

LOOK = textwrap.dedent("""
    import atexit, gc, importlib, json, logging, os, pkgutil, weakref

    hooks = {"fork": [], "exit": []}
    register_at_fork, register_at_exit = os.register_at_fork, atexit.register

    def at_fork(**kwargs):
        hooks["fork"].extend(_name(fn) for fn in kwargs.values())
        return register_at_fork(**kwargs)

    def at_exit(fn, *args, **kwargs):
        hooks["exit"].append(_name(fn))
        return register_at_exit(fn, *args, **kwargs)

    def _name(fn):
        kind = type(fn)
        module = getattr(fn, "__module__", None) or kind.__module__
        return f"{module}.{getattr(fn, '__qualname__', kind.__qualname__)}"

    os.register_at_fork, atexit.register = at_fork, at_exit

    import celery.signals
    from celery.utils.dispatch import Signal
    from sqlalchemy.event import registry

    def receivers():
        found = []
        for name, signal in vars(celery.signals).items():
            if isinstance(signal, Signal):
                for _, receiver in signal.receivers:
                    receiver = receiver() if isinstance(receiver, weakref.ref) else receiver
                    found.append(f"{_name(receiver)} on {name}")
        return found

    def root_logger():
        root = logging.getLogger()
        return {
            "level": root.level,
            "handlers": [
                [id(h), h.level, [repr(f) for f in h.filters]] for h in root.handlers
            ],
        }

    listeners, signals, root = set(registry._key_to_collection), receivers(), root_logger()

    import invenio_jobs
    for module in pkgutil.walk_packages(invenio_jobs.__path__, "invenio_jobs."):
        # The demo is an application of its own (it sets up its engine),
        # and migrations are read by alembic only.
        if not module.name.startswith(("invenio_jobs.demo", "invenio_jobs.alembic")):
            importlib.import_module(module.name)

    from flask import Flask
    from flask_celeryext import FlaskCeleryExt
    from invenio_db import InvenioDB, db

    app = Flask("host")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    InvenioDB(app)
    FlaskCeleryExt(app)
    with app.app_context():
        db.session.execute(db.text("SELECT 1"))
        db.session.commit()

    objects = {id(o): o for o in gc.get_objects()}

    def listener(key):
        function = key[2][0] if isinstance(key[2], tuple) else key[2]
        return f"{_name(objects.get(function))} on {key[1]}"

    def ours(names):
        return sorted(name for name in names if name.startswith("invenio_jobs."))

    added = (listener(key) for key in set(registry._key_to_collection) - listeners)
    print(json.dumps({
        "listeners": ours(added),
        "signals": ours(set(receivers()) - set(signals)),
        "hooks": {kind: ours(names) for kind, names in hooks.items()},
        "root_changed": root_logger() != root,
    }))
    """)


@pytest.fixture(scope="module")
def after_import():
    """What importing the package and creating an app without it changed."""
    looked = subprocess.run(
        [sys.executable, "-c", LOOK], capture_output=True, text=True, check=True
    )
    return json.loads(looked.stdout.strip().splitlines()[-1])


def test_no_celery_signal_is_connected(after_import):
    """The job context's signal handlers are connected by ``finalize_app`` only."""
    assert after_import["signals"] == []


def test_no_fork_or_exit_hook_is_registered(after_import):
    """The run logs' fork and exit hooks wait for ``finalize_app`` too."""
    assert after_import["hooks"] == {"fork": [], "exit": []}


def test_the_root_logger_is_left_as_it_was(after_import):
    """No handler, level or filter changes before a run captures its log."""
    assert after_import["root_changed"] is False


def test_no_sqlalchemy_listener_is_registered(after_import):
    """Not even on the session: the listeners of every flush of the instance."""
    assert after_import["listeners"] == []


def test_a_process_that_never_imported_the_tasks_still_sends_runs():
    """The command line or a web process sends a run before anything imported tasks.

    Sending finds the task by name; the declarations are imported then.
    """
    script = (
        "import sys\n"
        "from celery import Celery\n"
        "from invenio_jobs.worker.dispatch import task_named\n"
        "app = Celery(set_as_current=True)\n"
        "assert 'invenio_jobs.tasks' not in sys.modules\n"
        "print(task_named('invenio_jobs.tasks.execute_run').name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "invenio_jobs.tasks.execute_run"
