# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery app of processes whose instance has job type modules that cannot load.

The test job types, plus two entry points whose modules fail to import: the
worker and beat must start, and run everything else.
"""

from mock_module.entry_points import ENTRY_POINTS, install

BROKEN_ENTRY_POINTS = [
    "mock_broken = mock_module.broken_jobs:BrokenJob",
    "mock_missing = mock_module.no_such_module:MissingJob",
]
"""Added in this process only; the other test processes keep their list."""

ENTRY_POINTS["invenio_jobs.jobs"] = [
    *ENTRY_POINTS["invenio_jobs.jobs"],
    *BROKEN_ENTRY_POINTS,
]
install()

from invenio_app.celery import celery  # noqa: E402

__all__ = ("celery",)
