# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The embedded demo instance: web app, Celery worker and beat in one command.

``./run-demo.sh`` (or ``python -m invenio_jobs.demo``) starts everything on
SQLite and kombu's filesystem broker in an instance folder, with demo job
types that do real work on data shipped here. Nothing in this package is
registered globally: its job types and its table exist only in the processes
that the demo starts, so InvenioRDM instances never see them.
"""
