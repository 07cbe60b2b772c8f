# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Give InvenioRDM's jobs ``run_args``: the arguments an administrator set.

Nullable JSON, as InvenioRDM made it at this revision; ``b7e3f19a2c45`` fills
the NULLs and makes it NOT NULL.
"""

from invenio_jobs.alembic import json_column_steps

# revision identifiers, used by Alembic.
revision = "1757597048"
down_revision = "1753948224"
branch_labels = ()
depends_on = None


upgrade, downgrade = json_column_steps("jobs_job", "run_args")
