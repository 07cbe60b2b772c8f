# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An app with the extension gets the process hooks of run logs (``finalize_app``)."""

import weakref

from celery import signals

from invenio_jobs.logging import celery_signals


def connected(signal) -> list:
    """The functions connected to a Celery signal."""
    found = []
    for _, receiver in signal.receivers:
        found.append(receiver() if isinstance(receiver, weakref.ref) else receiver)
    return found


def test_the_job_context_travels_once_the_app_is_finalized(app):
    """Each of Celery's signals that carry the job context has its handler, once."""
    expected = {
        signals.before_task_publish: celery_signals.capture_context,
        signals.task_prerun: celery_signals.restore_context,
        signals.task_postrun: celery_signals.cleanup_context,
    }
    for signal, handler in expected.items():
        assert connected(signal).count(handler) == 1
