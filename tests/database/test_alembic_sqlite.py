# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""On SQLite: our alembic branch walks up, down and up, and matches the models.

The tests of ``alembic_checks.py``, on SQLite: InvenioRDM's binary UUIDs and
JSON text become ours and come back.
"""

from alembic_checks import (  # noqa: F401 (collected here, run on SQLite)
    test_downgrade_refuses_a_crontab_in_another_time_zone,
    test_inveniordm_rows_upgrade_and_come_back,
    test_round_trip_matches_models,
    test_run_numbers_follow_creation_order_per_job,
    test_upgrade_refuses_rows_it_cannot_keep,
    test_upgraded_runs_have_their_totals_at_once,
)
