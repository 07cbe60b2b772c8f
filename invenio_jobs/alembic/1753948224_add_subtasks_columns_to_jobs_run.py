# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Give InvenioRDM's runs subtasks and entry counters.

InvenioRDM added, at this revision, the link from a subtask run to its parent
run (indexed), the counters of subtasks and of processed entries, and
``subtasks_closed`` (set when a parent has sent all its subtasks). Every
counter is NOT NULL with a server default, so existing rows need no update.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils.types import UUIDType

from invenio_jobs.alembic import INVENIORDM_COUNTERS

# revision identifiers, used by Alembic.
revision = "1753948224"
down_revision = "1f896f6990b8"
branch_labels = ()
depends_on = None


def upgrade():
    """Upgrade database."""
    op.add_column("jobs_run", sa.Column("parent_run_id", UUIDType(), nullable=True))
    op.create_index("ix_jobs_run_parent_run_id", "jobs_run", ["parent_run_id"])
    for name in INVENIORDM_COUNTERS:
        op.add_column(
            "jobs_run",
            sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )
    op.add_column(
        "jobs_run",
        sa.Column(
            "subtasks_closed",
            sa.Boolean(),
            nullable=False,
            server_default=sa.text("false"),
        ),
    )
    with op.batch_alter_table("jobs_run") as batch:
        batch.create_foreign_key(
            "fk_jobs_run_parent_run_id_jobs_run", "jobs_run", ["parent_run_id"], ["id"]
        )


def downgrade():
    """Downgrade database."""
    with op.batch_alter_table("jobs_run") as batch:
        batch.drop_constraint("fk_jobs_run_parent_run_id_jobs_run", type_="foreignkey")
    op.drop_index("ix_jobs_run_parent_run_id", table_name="jobs_run")
    with op.batch_alter_table("jobs_run") as batch:
        for name in (*INVENIORDM_COUNTERS, "subtasks_closed", "parent_run_id"):
            batch.drop_column(name)
