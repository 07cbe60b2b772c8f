# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job type module whose dependency is not installed: importing it fails.

It stands for a plugin of an instance that breaks after an upgrade; the rest
of the instance must start and run without it.
"""

import invenio_jobs_tests_dependency_not_installed  # noqa: F401

from invenio_jobs.jobs import JobType


class BrokenJob(JobType):
    """Never loaded: its module cannot be imported."""

    id = "mock_broken"
    title = "Broken"
    task = print
