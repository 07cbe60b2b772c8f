# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The Celery tasks of the job system, under InvenioRDM's names.

Each declaration delegates to the worker's rooms (``invenio_jobs/worker/``),
where a run is walked in one direction:

- ``execute_run``: :mod:`.worker.execution` (claim, prepare, perform, judge,
  record, notify);
- ``execute_subtasks``: :mod:`.worker.subtasks`, the subtasks of one message;
- ``reap_runs`` and ``prune_runs``: :mod:`.worker.maintenance`;
- ``send_run_notification``: :mod:`.worker.notifications`;
- ``deliver_alerts``: :mod:`.worker.webhooks`, the alerts' due deliveries.

Sending runs lives in :mod:`.worker.dispatch`, which finds these tasks by
name; its ``send_runs`` and ``send_due_runs`` are kept importable from here.
"""

from celery import shared_task

from .worker import execution, maintenance, notifications, subtasks, webhooks
from .worker.dispatch import send_due_runs, send_runs

__all__ = (
    "deliver_alerts",
    "execute_run",
    "execute_subtasks",
    "keep_log_partitions",
    "prune_runs",
    "reap_runs",
    "send_due_runs",
    "send_run_notification",
    "send_runs",
)


@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_run")
def execute_run(self, run_id, identity_id=None, kwargs=None):
    """Claim a queued run, run its task with its log captured, record its end.

    ``kwargs`` is in the messages InvenioRDM's package sends (its beat's and
    its services'), which may wait in the broker when this package takes
    over; as there, the run's stored arguments are what the task gets.
    """
    execution.run(self.request, run_id, identity_id)


@shared_task(bind=True, ignore_result=True, name="invenio_jobs.tasks.execute_subtasks")
def execute_subtasks(self, run_ids, timeout=None, identity_id=None):
    """Claim the subtasks of one message and run them one after the other."""
    subtasks.run_subtasks(self.request, run_ids, timeout, identity_id)


@shared_task(ignore_result=True, name="invenio_jobs.tasks.reap_runs")
def reap_runs():
    """Fail runs whose worker died, end stubborn stops, find lost messages."""
    return maintenance.reap()


@shared_task(ignore_result=True, name="invenio_jobs.tasks.prune_runs")
def prune_runs(batch_size=5000):
    """Delete old log lines, and the finished runs beyond each job's retention."""
    return maintenance.prune(batch_size)


@shared_task(ignore_result=True, name="invenio_jobs.tasks.keep_log_partitions")
def keep_log_partitions():
    """Make the coming log partitions, index ended hours, join ended days."""
    return maintenance.keep_log_partitions()


@shared_task(ignore_result=True, name="invenio_jobs.tasks.send_run_notification")
def send_run_notification(run_id):
    """E-mail the job's subscribers that a run ended, with a link to it."""
    notifications.send_notification(run_id)


@shared_task(ignore_result=True, name="invenio_jobs.tasks.deliver_alerts")
def deliver_alerts():
    """Send the alerts' due webhooks and e-mails; record each outcome."""
    return maintenance.maintenance_step(webhooks.deliver_due)
