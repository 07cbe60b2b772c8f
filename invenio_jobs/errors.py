# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Public errors of the job system.

Job tasks raise :class:`TaskExecutionError` or :class:`TaskExecutionPartialError`
to tell the job system how a run ended; the other errors describe bad set-up
or bad input and are turned into clear messages by the services and the CLI.
"""


class JobsError(Exception):
    """Base class of the errors raised by the job system."""


class TaskExecutionError(JobsError):
    """A job's task failed; the run ends as FAILED with this message."""

    def __init__(self, message: str = "", *args):
        """Keep the message so that the run can show it."""
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        """Show the message alone, as administrators read it."""
        return str(self.message)


class TaskExecutionPartialError(TaskExecutionError):
    """A job's task finished, but some entries failed.

    The run ends as PARTIAL_SUCCESS; ``errored_entries`` (when given) is stored
    on the run next to the counters the task reported.
    """

    def __init__(self, message: str = "", errored_entries: int | None = None, *args):
        """Keep the number of entries that failed."""
        super().__init__(message, *args)
        self.errored_entries = errored_entries


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

    def __init__(self, field: str, message: str):
        """Name the schedule field that is wrong and why."""
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
