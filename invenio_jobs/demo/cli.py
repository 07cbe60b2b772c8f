# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio`` commands on the demo instance (``./run-demo.sh invenio jobs list``).

The plain ``invenio`` command builds an app without the demo's settings and
job types; this one builds the demo's.
"""

from invenio_base.app import create_cli

from .app import create_demo_app

cli = create_cli(create_app=create_demo_app)
"""The Flask CLI of the demo app."""

if __name__ == "__main__":
    cli()
