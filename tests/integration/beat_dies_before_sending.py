# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery app of a beat that is killed right after its commit, before its publish.

The fault point of the lost-messages tests: the first time the scheduler
is about to send the runs it has just committed, the process writes their
ids to the file named by ``JOBS_TEST_KILLED_RUNS`` and kills itself with
SIGKILL, as an operator's ``kill -9`` or the kernel's OOM killer would.
"""

import os
import signal

from worker_app import celery

from invenio_jobs.beat import scheduler

_send_runs = scheduler.send_runs


def _die_before_sending(dispatches):
    if not dispatches:
        return _send_runs(dispatches)
    with open(os.environ["JOBS_TEST_KILLED_RUNS"], "a") as handle:
        for dispatch in dispatches:
            for run_id in dispatch.run_ids:
                handle.write(f"{run_id}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


scheduler.send_runs = _die_before_sending

__all__ = ("celery",)
