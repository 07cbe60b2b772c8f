# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Give InvenioRDM's jobs ``notifications``: who is told about which runs.

Nullable JSON, ``{"emails": [...], "statuses": [...]}``, as InvenioRDM made it
at this revision; our models read and write it as it is.
"""

from invenio_jobs.alembic import json_column_steps

# revision identifiers, used by Alembic.
revision = "1764848648"
down_revision = "1773910810"
branch_labels = ()
depends_on = None


upgrade, downgrade = json_column_steps("jobs_job", "notifications")
