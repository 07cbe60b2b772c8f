# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Create the invenio_jobs branch."""

# revision identifiers, used by Alembic.
revision = "5c1e0f3a9b21"
down_revision = None
branch_labels = ("invenio_jobs",)
depends_on = "dbdbc1b19cf2"


def upgrade():
    """Upgrade database."""


def downgrade():
    """Downgrade database."""
