# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The admin UI's JavaScript, one entry per page, for ``invenio webpack``.

The dependencies carry the same major versions as invenio-administration's
and invenio-search-ui's, so that one ``node_modules`` serves them all.
"""

from invenio_assets.webpack import WebpackThemeBundle

jobs = WebpackThemeBundle(
    __name__,
    "assets",
    default="semantic-ui",
    themes={
        "semantic-ui": dict(
            entry={
                "invenio-jobs-list": "./js/invenio_jobs/admin/list.js",
                "invenio-jobs-form": "./js/invenio_jobs/admin/form.js",
                "invenio-jobs-details": "./js/invenio_jobs/admin/details.js",
                "invenio-jobs-run": "./js/invenio_jobs/admin/run.js",
                "invenio-jobs-pools": "./js/invenio_jobs/admin/pools.js",
                "invenio-jobs-logs": "./js/invenio_jobs/admin/logs.js",
                "invenio-jobs-curator-job": "./js/invenio_jobs/curator/job.js",
                "invenio-jobs-theme": "./less/invenio_jobs/admin.less",
            },
            dependencies={
                # Not bundled: the accessibility check of the browser tests
                # injects its browser build from node_modules.
                "axe-core": "^4.10.0",
                "axios": "^1.7.7",
                "chart.js": "^4.4.0",
                "i18next": "^20.3.0",
                "i18next-browser-languagedetector": "^6.1.0",
                "lodash": "^4.17.0",
                "luxon": "^1.23.0",
                "prop-types": "^15.7.2",
                "react": "^16.13.0",
                "react-dom": "^16.13.0",
                "react-i18next": "^11.11.0",
                "semantic-ui-react": "^2.1.0",
            },
            aliases={
                "@js/invenio_jobs": "js/invenio_jobs",
                "@less/invenio_jobs": "less/invenio_jobs",
            },
        ),
    },
)
