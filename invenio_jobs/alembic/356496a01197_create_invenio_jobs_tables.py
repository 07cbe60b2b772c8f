# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Create the first tables of InvenioRDM's invenio-jobs: ``job`` and ``run``.

Reproduces InvenioRDM's schema at this revision (tables, column types, names
of constraints), so that databases made by either package have the same
history. Later revisions rename the tables and ``b7e3f19a2c45`` turns them
into ours.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils.types import UUIDType

from invenio_jobs.alembic import inveniordm_json

# revision identifiers, used by Alembic.
revision = "356496a01197"
down_revision = "371f4cbcb73d"
branch_labels = ()
# The runs reference accounts_user: the accounts tables come first.
depends_on = ["9848d0149abd"]


def upgrade():
    """Upgrade database."""
    op.create_table(
        "job",
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("task", sa.String(length=255), nullable=True),
        sa.Column("default_queue", sa.String(length=64), nullable=True),
        sa.Column("default_args", inveniordm_json(), nullable=True),
        sa.Column("schedule", inveniordm_json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
    )
    op.create_table(
        "run",
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("job_id", UUIDType(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("task_id", UUIDType(), nullable=True),
        # The status letter (Q, R, S, F, W, C, X, P).
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("args", inveniordm_json(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name="fk_run_job_id_job"),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["accounts_user.id"],
            name="fk_run_started_by_id_accounts_user",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_run"),
    )


def downgrade():
    """Downgrade database."""
    op.drop_table("run")
    op.drop_table("job")
