# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The webpack project of a plain instance: the demo's and the browser tests'.

An InvenioRDM instance gets the Semantic UI ``theme.config`` and the
``@templates`` folder from its own package (cookiecutter-invenio-rdm). A
plain Invenio app has neither, so ``invenio webpack buildall`` fails on
invenio-theme's entry. ``instance`` adds both; ``project`` is invenio-assets'
project with the bundles of the entry points plus ``instance``. It is not an
entry point itself, so that it never competes with an instance's own theme.
"""

from flask_webpackext import WebpackBundleProject
from invenio_assets import webpack as invenio_assets_webpack
from invenio_assets.webpack import WebpackThemeBundle
from pywebpack import bundles_from_entry_point

instance = WebpackThemeBundle(
    __name__,
    "assets",
    default="semantic-ui",
    themes={
        "semantic-ui": dict(
            entry={},
            dependencies={},
            aliases={
                "../../theme.config$": "less/invenio_jobs_demo/theme.config",
                "../../less/site": "less/invenio_jobs_demo/site",
            },
        ),
    },
)


def _bundles():
    yield from bundles_from_entry_point("invenio_assets.webpack")
    yield instance


project = WebpackBundleProject(
    invenio_assets_webpack.__name__,
    project_folder="assets",
    config_path="build/config.json",
    bundles=_bundles(),
    package_json_source_path="package.json",
)
