# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The schemas under InvenioRDM's import path ``invenio_jobs.services.schema``."""

from .schemas import JobSchema, RunSchema

__all__ = ("JobSchema", "RunSchema")
