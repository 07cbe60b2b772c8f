# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The worker side of a run: sending it, and finding it again when its message is lost.

``tasks.py`` declares the Celery tasks under InvenioRDM's names; the rooms
here hold what they do.
"""
