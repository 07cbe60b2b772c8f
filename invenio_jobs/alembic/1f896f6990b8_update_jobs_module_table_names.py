# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Rename InvenioRDM's ``job`` and ``run`` tables to ``jobs_job``/``jobs_run``.

As InvenioRDM did at this revision: the tables get the module's prefix, the
job foreign key is made again under its new name (the primary keys keep
theirs, ``pk_job`` and ``pk_run``), and ``job.default_args`` goes: from here on
a job's default arguments are computed by its job type.

Batch operations let the same steps run on SQLite, which cannot alter
constraints in place; on PostgreSQL they are plain ``ALTER TABLE``.
"""

from alembic import op

from invenio_jobs.alembic import add_json_column, drop_columns

# revision identifiers, used by Alembic.
revision = "1f896f6990b8"
down_revision = "356496a01197"
branch_labels = ()
depends_on = None


def _rename(job: str, run: str, new_job: str, new_run: str):
    """Rename both tables; the run's job foreign key follows, renamed too."""
    with op.batch_alter_table(run) as batch:
        batch.drop_constraint(f"fk_{run}_job_id_{job}", type_="foreignkey")
    op.rename_table(job, new_job)
    op.rename_table(run, new_run)
    with op.batch_alter_table(new_run) as batch:
        batch.create_foreign_key(
            f"fk_{new_run}_job_id_{new_job}", new_job, ["job_id"], ["id"]
        )


def upgrade():
    """Upgrade database."""
    _rename("job", "run", "jobs_job", "jobs_run")
    drop_columns("jobs_job", "default_args")


def downgrade():
    """Downgrade database; the dropped default arguments stay empty."""
    _rename("jobs_job", "jobs_run", "job", "run")
    add_json_column("job", "default_args")
