# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The ``invenio_jobs`` alembic branch: InvenioRDM's revision ids, then ours.

Each revision file of this folder is one step of the branch (alembic reads
every file but this one). Here: what several steps share.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy_utils.types import JSONType

INVENIORDM_COUNTERS = (
    "total_subtasks",
    "completed_subtasks",
    "failed_subtasks",
    "errored_entries",
    "total_entries",
    "inserted_entries",
    "updated_entries",
)
"""The integer counters of InvenioRDM's runs, in its order of creation."""


def inveniordm_json():
    """JSON as InvenioRDM declares it: JSONB on PostgreSQL, text elsewhere."""
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
        .with_variant(JSONType(), "mysql", "sqlite")
    )


def add_json_column(table: str, name: str):
    """Add a nullable JSON column of InvenioRDM's type."""
    op.add_column(table, sa.Column(name, inveniordm_json(), nullable=True))


def drop_columns(table: str, *names: str):
    """Drop columns, in a batch so that SQLite can too."""
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)


def json_column_steps(table: str, name: str):
    """``upgrade`` and ``downgrade`` of a revision that adds one JSON column."""

    def upgrade():
        """Upgrade database: add the column."""
        add_json_column(table, name)

    def downgrade():
        """Downgrade database: drop the column."""
        drop_columns(table, name)

    return upgrade, downgrade


def refuse_what_the_take_over_refuses():
    """Refuse now when the way back to InvenioRDM will be refused anyway.

    Going down our revisions leads to InvenioRDM's schema, whose step
    (``b7e3f19a2c45``'s downgrade) refuses crontabs in another time zone
    than Celery's. Each revision commits on its own: each of ours checks
    first, so that a refused downgrade leaves a database this code still
    reads.
    """
    import importlib

    take_over = importlib.import_module(
        "invenio_jobs.alembic.b7e3f19a2c45_take_over_inveniordm_tables"
    )
    bind = op.get_bind()
    zone = take_over._celery_timezone()
    for schedule in bind.scalars(sa.select(take_over.jobs.c.schedule)):
        try:
            take_over.schedule_to_rdm(schedule, zone)
        except (ValueError, TypeError):
            take_over._schedules_back(bind)  # raises, naming every such job
