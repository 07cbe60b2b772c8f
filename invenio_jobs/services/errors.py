# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Errors that services raise and resources turn into HTTP answers."""

from invenio_i18n import gettext as _


class JobsServiceError(Exception):
    """Base class of service errors; ``description`` is what the client reads."""

    description = ""

    def __init__(self, description: str | None = None):
        """Keep the message that the client will read."""
        super().__init__(description or self.description)
        if description:
            self.description = description


class JobNotFoundError(JobsServiceError):
    """No job with this id (or the id is not a valid one): 404."""

    def __init__(self, job_id):
        """Name the id that was asked for."""
        super().__init__(_("Job not found: %(id)s", id=job_id))


class RunNotFoundError(JobsServiceError):
    """No run with this id for this job: 404."""

    def __init__(self, run_id):
        """Name the id that was asked for."""
        super().__init__(_("Run not found: %(id)s", id=run_id))


class TaskNotFoundError(JobsServiceError):
    """No job type registered with this id: 404."""

    def __init__(self, task_id):
        """Name the id that was asked for."""
        super().__init__(_("Job type not found: %(id)s", id=task_id))


class RunStateError(JobsServiceError):
    """The run's status does not allow the action (e.g. stop a finished run): 400."""
