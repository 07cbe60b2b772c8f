# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Give each run a short number within its job (#42).

Existing top-level runs are numbered per job in creation order (then id,
for runs created in the same instant); subtasks have no number. The UPDATEs
go by groups of whole jobs holding about ``BATCH_SIZE`` runs, so that each
one is short and a job's runs are numbered by one window.
"""

import sqlalchemy as sa
from alembic import op

from invenio_jobs.alembic import refuse_what_the_take_over_refuses

# revision identifiers, used by Alembic.
revision = "c4d8e1a7b902"
down_revision = "b7e3f19a2c45"
branch_labels = ()
depends_on = None

BATCH_SIZE = 5000
"""Runs numbered per UPDATE (whole jobs: a bigger job makes a bigger one)."""

INDEX = "ix_jobs_run_job_id_number"

runs = sa.table(
    "jobs_run",
    sa.column("id"),
    sa.column("job_id"),
    sa.column("parent_run_id"),
    sa.column("created"),
    sa.column("number", sa.Integer()),
)


def _job_batches(bind):
    """Lists of job ids whose top-level runs add up to about ``BATCH_SIZE``."""
    counts = bind.execute(
        sa.select(runs.c.job_id, sa.func.count())
        .where(runs.c.parent_run_id.is_(None))
        .group_by(runs.c.job_id)
        .order_by(runs.c.job_id)
    ).all()
    batch, size = [], 0
    for job_id, count in counts:
        batch.append(job_id)
        size += count
        if size >= BATCH_SIZE:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _number_runs(bind):
    """Number the top-level runs of each job 1, 2, ... in creation order."""
    for job_ids in _job_batches(bind):
        top_level = sa.and_(runs.c.parent_run_id.is_(None), runs.c.job_id.in_(job_ids))
        ranked = (
            sa.select(
                runs.c.id,
                sa.func.row_number()
                .over(partition_by=runs.c.job_id, order_by=(runs.c.created, runs.c.id))
                .label("position"),
            )
            .where(top_level)
            .subquery("ranked")
        )
        bind.execute(
            runs.update()
            .where(runs.c.id == ranked.c.id)
            .values(number=ranked.c.position)
        )


def upgrade():
    """Add ``jobs_run.number`` and number the runs there are."""
    op.add_column("jobs_run", sa.Column("number", sa.Integer(), nullable=True))
    _number_runs(op.get_bind())
    op.create_index(INDEX, "jobs_run", ["job_id", "number"])


def downgrade():
    """Drop the run numbers."""
    refuse_what_the_take_over_refuses()
    op.drop_index(INDEX, table_name="jobs_run")
    with op.batch_alter_table("jobs_run") as batch:
        batch.drop_column("number")
