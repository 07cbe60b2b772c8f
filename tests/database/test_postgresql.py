# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""On PostgreSQL: migrations match the models, and the constraints hold.

The alembic branch is upgraded, compared with the models and downgraded,
empty and with InvenioRDM's rows (see ``alembic_checks.py``).
"""

import model_checks
import pytest
from alembic_checks import (  # noqa: F401 (collected here, run on PostgreSQL)
    test_downgrade_refuses_a_crontab_in_another_time_zone,
    test_inveniordm_rows_upgrade_and_come_back,
    test_round_trip_matches_models,
    test_run_numbers_follow_creation_order_per_job,
    test_upgrade_refuses_rows_it_cannot_keep,
    test_upgraded_runs_have_their_totals_at_once,
)

pytestmark = pytest.mark.postgresql


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
    """ON DELETE CASCADE from jobs to runs; log lines go with delete_runs."""
    model_checks.check_deleting_a_job_deletes_its_runs_and_logs(db)
