# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job type that both InvenioRDM's package (5.x to 11.x) and ours load.

The switch-over tests let InvenioRDM's own beat send a run of it to the
broker, then let our worker take the message; it declares its ``id``, as
InvenioRDM's registry needs, and only what every line's ``JobType`` has.
"""

import logging

from celery import shared_task

from invenio_jobs.jobs import JobType

logger = logging.getLogger(__name__)


@shared_task
def left_in_broker(since=None):
    """Say that it ran, for the tests to read in the run's log."""
    logger.info("left_in_broker ran")
    return "ran"


class LeftInTheBroker(JobType):
    """A job whose message waits in the broker while the packages change."""

    id = "left_in_broker"
    title = "Left in the broker"
    description = "Runs after the switch-over"
    task = left_in_broker

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, **kwargs):
        """No arguments."""
        return {}
