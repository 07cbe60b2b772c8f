# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery app of processes whose instance has a job type that asks for its predecessor.

The test job types, plus ``mock_follower``, which receives the run it runs
after; added in these processes (and the tests that start them) only.
"""

from mock_module.entry_points import ENTRY_POINTS, install

FOLLOWER = "mock_follower = mock_module.jobs:FollowerJob"

ENTRY_POINTS["invenio_jobs.jobs"] = [*ENTRY_POINTS["invenio_jobs.jobs"], FOLLOWER]
install()

from invenio_app.celery import celery  # noqa: E402

__all__ = ("celery",)
