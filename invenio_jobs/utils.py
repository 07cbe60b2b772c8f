# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""InvenioRDM's helper functions, at the import path code expects them.

``job_arg_json_dumper`` turns a run's arguments into JSON (a job type's
``since`` is a ``datetime``); ``send_run_notification(run, job)`` e-mails a
job's subscribers about a run that ended. Both keep InvenioRDM's meaning;
the e-mail itself is the one this package's workers send.
"""

import logging
from datetime import date, datetime

logger = logging.getLogger(__name__)


def job_arg_json_dumper(obj):
    """The JSON form of a value ``json.dumps`` cannot write: ``default=`` of it.

    A datetime becomes its ISO 8601 form with its UTC offset written as
    ``+00:00`` (never ``Z``, which ``datetime.fromisoformat`` of older
    Pythons, and so some job types' tasks, cannot read); a date its ISO form.
    Anything else is refused, as ``json.dumps`` refuses it.
    """
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def is_subscribed(run, job) -> bool:
    """Whether ``job`` asks for an e-mail when a run ends as ``run`` did.

    It does when it has at least one address and the run's status is one of
    the statuses it names.
    """
    notifications = job.notifications or {}
    statuses = notifications.get("statuses") or []
    return bool(notifications.get("emails")) and run.status.name in statuses


def send_run_notification(run, job):
    """E-mail the job's subscribers now about ``run``, if they asked for it.

    InvenioRDM's function: the run and its job are given, nothing is sent
    unless the job subscribes to the run's status, and a failure to send is
    logged, never raised (a notification never fails a run). Returns whether
    the e-mail was sent.
    """
    if not is_subscribed(run, job):
        return False
    from .tasks import send_run_notification as send

    try:
        send(str(run.id))
    except Exception:  # noqa: BLE001 -- a notification never fails a run
        logger.error("Could not send the notification of run %s", run.id, exc_info=True)
        return False
    return True
