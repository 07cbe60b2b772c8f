# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Start the invenio_jobs branch.

The id is InvenioRDM's, so that an instance made with InvenioRDM's
invenio-jobs recognises its own history here and upgrades in place.
"""

# revision identifiers, used by Alembic.
revision = "371f4cbcb73d"
down_revision = None
branch_labels = ("invenio_jobs",)
depends_on = "dbdbc1b19cf2"


def upgrade():
    """Upgrade database: nothing, the branch only starts here."""


def downgrade():
    """Downgrade database: nothing."""
