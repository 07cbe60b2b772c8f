# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The beat: turns the schedules of active jobs into queued runs, and sends them.

:class:`~.scheduler.RunScheduler` is the Celery beat scheduler (run it as
``celery beat -S invenio_jobs.services.scheduler:RunScheduler``, InvenioRDM's
path, which names it too); :mod:`.statements` holds what a look sends to
the database.
"""

from .scheduler import JobsTick, RunScheduler

__all__ = ("JobsTick", "RunScheduler")
