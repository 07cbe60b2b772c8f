# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages' fixtures of ``test_admin_ui``, for the other page tests.

``from admin_fixtures import *`` gives a test module the app, the live server
and a logged-in Chromium, configured as ``test_admin_ui`` configures them.
"""

from test_admin_ui import (
    admin,
    app_config,
    chromium,
    create_app,
    db_job,
    make_job,
    runs_of,
    seed_site,
    ui_assets,
    web_server,
)

__all__ = (
    "admin",
    "app_config",
    "chromium",
    "create_app",
    "db_job",
    "make_job",
    "runs_of",
    "seed_site",
    "ui_assets",
    "web_server",
)
