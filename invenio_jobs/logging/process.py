# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What run logs need from the process: fork, exit and Celery's signals.

Nothing here happens at import: :func:`install_process_hooks` is called by
the extension's ``finalize_app``, in the processes that build an app with
invenio-jobs (web, worker, beat, shell), once per process.

- After a fork, the child forgets the parent's captures, shared buffers
  and writer thread (which do not run in it), so that it starts its own.
- At exit, and when a Celery worker process shuts down, the buffers kept
  for the tasks of runs are written.
- Celery's signals carry the job context into the tasks a run sends, and
  bind their log lines to the run's log (``celery_signals``).
"""

import atexit
import os
import threading

from celery import signals

from .celery_signals import capture_context, cleanup_context, restore_context
from .handler import close_shared_buffers, forget_parent_captures
from .writer import forget_parent_writer

_installed = False
_installing = threading.Lock()


def install_process_hooks():
    """Register the fork and exit hooks and connect Celery's signals, once."""
    global _installed
    with _installing:
        if _installed:
            return
        os.register_at_fork(after_in_child=_forget_parent)
        atexit.register(close_shared_buffers)
        _connect_celery_signals()
        _installed = True


def _forget_parent():
    """In a forked child: the parent's buffers and writer are not ours."""
    global _installing
    _installing = threading.Lock()
    forget_parent_writer()
    forget_parent_captures()


def _connect_celery_signals():
    """Connect the handlers to Celery's signals (each once, by its id)."""
    signals.before_task_publish.connect(
        capture_context, weak=False, dispatch_uid="invenio_jobs.capture_context"
    )
    signals.task_prerun.connect(
        restore_context, weak=False, dispatch_uid="invenio_jobs.restore_context"
    )
    signals.task_postrun.connect(
        cleanup_context, weak=False, dispatch_uid="invenio_jobs.cleanup_context"
    )
    signals.worker_process_shutdown.connect(
        _close_buffers, weak=False, dispatch_uid="invenio_jobs.close_buffers"
    )


def _close_buffers(**kwargs):
    """Write what the tasks of runs logged before the worker process exits."""
    close_shared_buffers()
