# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The Celery app of the demo's worker and beat (``-A invenio_jobs.demo.celery``).

The same as ``invenio_app.celery``, built from the demo's app so that the
demo's settings and job types apply.
"""

from flask_celeryext import create_celery_app

from .app import create_demo_ui

celery = create_celery_app(create_demo_ui(RATELIMIT_ENABLED=False))
"""The demo's Celery app."""
