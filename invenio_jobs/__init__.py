# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job system for InvenioRDM: run, schedule and follow background tasks."""

from .ext import InvenioJobs

__version__ = "11.90.0"

__all__ = ("__version__", "InvenioJobs")
