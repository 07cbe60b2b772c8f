# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""On PostgreSQL: migrations match the models, and the constraints hold.

The alembic branch is upgraded, compared with the models and downgraded.
"""

import model_checks
import pytest
import sqlalchemy as sa
from invenio_db import db as db_

pytestmark = pytest.mark.postgresql

BRANCH_BASE = "5c1e0f3a9b21"
JOBS_TABLES = {"jobs_job", "jobs_run", "jobs_run_log"}


def _table_of(diff) -> str | None:
    """The table an alembic ``compare_metadata`` entry is about."""
    if isinstance(diff, list):  # modify_* entries come grouped
        diff = diff[0]
    kind, *rest = diff
    for item in rest:
        if isinstance(item, sa.Table):
            return item.name
        if isinstance(item, (sa.Index, sa.Constraint)):
            return item.table.name
        if isinstance(item, sa.Column):
            return item.table.name if item.table is not None else None
    # ("add_column", schema, table_name, column), ("modify_type", schema, table, ...)
    if len(rest) >= 2 and isinstance(rest[1], str):
        return rest[1]
    return None


def _jobs_diffs(alembic):
    return [d for d in alembic.compare_metadata() if _table_of(d) in JOBS_TABLES]


def _drop_everything():
    db_.session.remove()
    db_.drop_all()
    with db_.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(sa.text("DROP TABLE IF EXISTS transaction"))


def _tables():
    return set(sa.inspect(db_.engine).get_table_names())


def test_alembic_round_trip_matches_models(base_app, database):
    """upgrade creates exactly what the models declare; downgrade removes it."""
    alembic = base_app.extensions["invenio-db"].alembic
    _drop_everything()
    try:
        alembic.upgrade()
        assert JOBS_TABLES <= _tables()
        assert _jobs_diffs(alembic) == []

        alembic.downgrade(target=BRANCH_BASE)
        assert not JOBS_TABLES & _tables()
        assert {d[0] for d in _jobs_diffs(alembic)} == {"add_table", "add_index"}

        alembic.upgrade()
        assert _jobs_diffs(alembic) == []
    finally:
        _drop_everything()
        db_.create_all()


def test_second_run_for_same_fire_time_is_refused(app, db):
    """Unique (job_id, scheduled_at) holds on PostgreSQL."""
    model_checks.check_second_run_for_same_fire_time_is_refused(db)


def test_manual_runs_may_share_a_null_fire_time(app, db):
    """NULL fire times never clash."""
    model_checks.check_manual_runs_may_share_a_null_fire_time(db)


def test_status_is_stored_as_its_letter(app, db):
    """The status column holds InvenioRDM's letters."""
    model_checks.check_status_is_stored_as_its_letter(db)


def test_deleting_a_job_deletes_its_runs_and_logs(app, db):
    """ON DELETE CASCADE from jobs to runs to log lines."""
    model_checks.check_deleting_a_job_deletes_its_runs_and_logs(db)
