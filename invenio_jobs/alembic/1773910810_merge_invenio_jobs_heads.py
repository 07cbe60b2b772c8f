# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Join InvenioRDM's two heads, ``run_args`` and the time zone aware times.

Both grew from ``1753948224``; InvenioRDM merged them here. No schema change.
"""

# revision identifiers, used by Alembic.
revision = "1773910810"
down_revision = ("1757597048", "9732b5f7609a")
branch_labels = ()
depends_on = None


def upgrade():
    """Upgrade database: nothing to do, only the history joins."""


def downgrade():
    """Downgrade database: nothing to do."""
