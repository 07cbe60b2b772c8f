# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""InvenioRDM's path to the beat scheduler.

Instances start beat with ``-S invenio_jobs.services.scheduler:RunScheduler``;
the scheduler itself lives in :mod:`invenio_jobs.beat`.
"""

from ..beat import JobsTick, RunScheduler

__all__ = ("JobsTick", "RunScheduler")
