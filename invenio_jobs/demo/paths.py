# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Where the demo keeps its built admin UI: shared by the app and the build."""

import os
from pathlib import Path

DEFAULT_FOLDER = ".ui-assets"
"""Where the admin UI is built when ``JOBS_UI_ASSETS`` does not say."""


def assets_folder() -> Path:
    """The folder of the built assets: ``JOBS_UI_ASSETS`` or ``.ui-assets``."""
    return Path(os.environ.get("JOBS_UI_ASSETS") or DEFAULT_FOLDER).resolve()


def assets_env(folder: Path) -> dict:
    """Environment of an app that builds into, or serves from, ``folder``."""
    return {
        "INVENIO_WEBPACKEXT_PROJECT_BUILDDIR": str(folder / "assets"),
        "INVENIO_STATIC_FOLDER": str(folder / "static"),
    }
