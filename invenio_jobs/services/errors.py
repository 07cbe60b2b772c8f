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
        # InvenioRDM's wording: clients and tests match it.
        super().__init__(_("Job with ID %(id)s does not exist.", id=job_id))


class RunNotFoundError(JobsServiceError):
    """No run with this id (for this job, when one is named): 404."""

    def __init__(self, run_id, job_id=None):
        """Name the id that was asked for, and the job when one was given."""
        if job_id:
            description = _(
                "Run with ID %(id)s for job %(job_id)s does not exist.",
                id=run_id,
                job_id=job_id,
            )
        else:
            description = _("Run with ID %(id)s does not exist.", id=run_id)
        super().__init__(description)


class TaskNotFoundError(JobsServiceError):
    """No job type registered with this id: 404."""

    def __init__(self, task_id):
        """Name the id that was asked for."""
        super().__init__(_("Job type not found: %(id)s", id=task_id))


class RunStatusChangeError(JobsServiceError):
    """The run's status does not allow the action (e.g. stop a finished run): 400.

    InvenioRDM's name and signature: ``RunStatusChangeError(run, new_status)``,
    with ``run`` and ``new_status`` kept on the error; ``description`` replaces
    the generic message when the caller knows a better one.
    """

    def __init__(self, run=None, new_status=None, description=None):
        """Say from which status to which one the run cannot move."""
        if isinstance(run, str) and new_status is None and description is None:
            run, description = None, run  # our earlier form: the message alone
        self.run = run
        self.new_status = new_status
        if description is None and run is not None:
            old = getattr(run.status, "name", run.status)
            new = getattr(new_status, "name", new_status)
            description = _(
                "The run cannot change from %(old)s to %(new)s.", old=old, new=new
            )
        super().__init__(description)


RunStateError = RunStatusChangeError
"""Our earlier name of :class:`RunStatusChangeError`; the same class."""

JobsError = JobsServiceError
"""InvenioRDM's name of the base class of service errors."""


class RunTooManyResults(JobsServiceError):
    """A log search matched more lines than one answer may hold: 400.

    InvenioRDM's name; the logs service truncates and warns instead, so that
    clients get the first lines, but instances may raise it themselves.
    """

    def __init__(self, total, max_docs):
        """Say how many lines matched and how many one answer may hold."""
        super().__init__(
            _(
                "The search matched %(total)s log lines; at most %(max)s can be "
                "returned. Narrow the search.",
                total=total,
                max=max_docs,
            )
        )


class InvalidRequestBodyError(JobsServiceError):
    """The request body cannot be read as the JSON object expected: 400.

    ``field`` names the part that is wrong (``body`` for the whole of it).
    """

    def __init__(self, description, field="body"):
        """Keep the reason and the field it concerns."""
        super().__init__(description)
        self.field = field


class RequestBodyTooLargeError(InvalidRequestBodyError):
    """The request body is larger than the API reads: 413."""


class MetricsAuthenticationError(JobsServiceError):
    """The metrics were asked for without a valid token or sign-in: 401."""

    def __init__(self, description=None):
        """Say how to authenticate, unless a better reason is given."""
        super().__init__(
            description
            or _(
                "Sign in as an administrator, or send the metrics token as "
                "'Authorization: Bearer <token>'."
            )
        )


class PoolNotFoundError(JobsServiceError):
    """No concurrency pool with this name: 404."""

    def __init__(self, name):
        """Name the pool that was asked for."""
        super().__init__(_("Pool %(name)s does not exist.", name=name))


class PoolExistsError(JobsServiceError):
    """A pool with this name exists already: 400, naming the field."""

    field = "name"

    def __init__(self, name):
        """Name the pool that exists."""
        super().__init__(
            _("Name: a pool named %(name)s exists already; choose another.", name=name)
        )


class PoolInUseError(JobsServiceError):
    """A pool that jobs still belong to cannot be deleted: 409."""

    def __init__(self, name, jobs):
        """Say how many jobs belong to it."""
        super().__init__(
            _(
                "Pool %(name)s is used by %(count)s job(s); take them out of "
                "the pool first.",
                name=name,
                count=jobs,
            )
        )


class MaintenanceWindowNotFoundError(JobsServiceError):
    """No maintenance window with this id: 404."""

    def __init__(self, window_id):
        """Name the id that was asked for."""
        super().__init__(
            _("Maintenance window with ID %(id)s does not exist.", id=window_id)
        )


class JobsFileError(JobsServiceError):
    """A file of jobs kept as code that cannot be applied: 400, nothing written.

    ``problems`` are every problem found, each with its file, line and
    field (:class:`..jobs_as_code.Problem`).
    """

    def __init__(self, problems):
        """Keep every problem; the first one is the description."""
        self.problems = list(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else ""
        if count > 1:
            description = _(
                "%(count)s problems in the jobs, nothing was changed; the first: "
                "%(first)s",
                count=count,
                first=first,
            )
        else:
            description = _(
                "A problem in the jobs, nothing was changed: %(first)s", first=first
            )
        super().__init__(description)
