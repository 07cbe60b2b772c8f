# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Public errors of the job system.

Job tasks raise :class:`TaskExecutionPartialError` to tell the job system
that a run partly succeeded; the other errors describe bad set-up
or bad input and are turned into clear messages by the services and the CLI.
"""

import warnings


class JobsError(Exception):
    """Base class of the errors raised by the job system."""


class TaskExecutionError(JobsError):
    """Deprecated: a job's task finished with errors; the run ends PARTIAL_SUCCESS.

    Kept for job types written for InvenioRDM's invenio-jobs, where it has
    this meaning; raising it warns (``DeprecationWarning``). Raise
    :class:`TaskExecutionPartialError` instead.
    """

    def __init__(self, message: str = "The task was executed with errors.", *args):
        """Keep the message so that the run can show it; warn of the deprecation."""
        if not isinstance(self, TaskExecutionPartialError):
            warnings.warn(
                "TaskExecutionError is deprecated; raise TaskExecutionPartialError.",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        """Show the message alone, as administrators read it."""
        return str(self.message)


class TaskExecutionPartialError(TaskExecutionError):
    """A job's task finished, but some entries failed.

    The run ends as PARTIAL_SUCCESS with the message. The number of entries
    that failed (``errored_entries_count``, InvenioRDM's name, or
    ``errored_entries``) is the task's errored entries in all: it sets the
    count, and the entries the task already counted with
    ``current_run.progress(errored=...)`` are part of it, never added twice.
    """

    def __init__(
        self,
        message: str = "The task was executed with errors.",
        errored_entries_count: int | None = None,
        *args,
        errored_entries: int | None = None,
    ):
        """Keep the number of entries that failed, under both names."""
        super().__init__(message, *args)
        if errored_entries is None:
            errored_entries = errored_entries_count
        self.errored_entries_count = int(errored_entries or 0)

    @property
    def errored_entries(self) -> int:
        """The number of entries that failed (``errored_entries_count``)."""
        return self.errored_entries_count


class DuplicateJobTypeError(JobsError):
    """Two job types were registered under the same id."""

    def __init__(self, job_type_id: str, first: str, second: str):
        """Name both registrations, so that the conflict can be fixed."""
        super().__init__(
            f"Job type id '{job_type_id}' is registered twice: by {first} and by "
            f"{second}. Give one of them another 'id'."
        )
        self.job_type_id = job_type_id
        self.first = first
        self.second = second


class InvalidJobTypeError(JobsError):
    """A registered job type lacks what the job system needs to run it."""


class InvalidScheduleError(ValueError):
    """A stored or submitted schedule that cannot be used."""

    def __init__(self, field: str, message: str, template=None, params=None):
        """Name the schedule field that is wrong and why.

        ``template`` and ``params`` give the message again as a catalog
        entry and its values (``template % params == message``), so that the
        API can say it in the reader's language.
        """
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.template = template or message
        self.params = params or {}
