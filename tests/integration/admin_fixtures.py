# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin pages' fixtures of ``test_admin_ui``, for the other page tests.

``from admin_fixtures import *`` gives a test module the app, the live server
and a logged-in Chromium, configured as ``test_admin_ui`` configures them.
"""

from invenio_db import db
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

from invenio_jobs.lifecycle import number_runs

__all__ = (
    "admin",
    "app_config",
    "chromium",
    "create_app",
    "db_job",
    "make_job",
    "number_stored",
    "runs_of",
    "seed_site",
    "ui_assets",
    "web_server",
)


def number_stored(runs):
    """Number runs stored directly as the service numbers its own: 1, 2, 3... per job.

    In the order they were created, after the job's runs already stored;
    subtasks get none. A top-level run without a number reads as a subtask
    in the run page's breadcrumb.
    """
    ordered = list(runs)
    if all(run.created for run in ordered):
        ordered.sort(key=lambda run: run.created)
    rows = number_runs(
        [{"job_id": run.job_id, "parent_run_id": run.parent_run_id} for run in ordered],
        db.session.connection(),
    )
    for run, row in zip(ordered, rows):
        run.number = row["number"]
    return runs
