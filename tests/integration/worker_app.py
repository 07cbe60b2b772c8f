# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Celery app of worker and beat processes started by the integration tests.

The same app as ``invenio_app.celery``, configured from ``INVENIO_*``
environment variables, with the test job types registered.
"""

from mock_module.entry_points import install

install()

from invenio_app.celery import celery  # noqa: E402

__all__ = ("celery",)
