# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The demo's runs count each entry once, and their messages say the same.

Every demo job runs through the real execution path (Celery eager): its
written and errored entries never exceed its total, and the numbers of its
message are its counts.
"""

import re

import pytest
from invenio_access.permissions import system_identity

from invenio_jobs.demo import models as demo_models  # noqa: F401 (its table)
from invenio_jobs.proxies import current_jobs_service, current_runs_service

pytestmark = pytest.mark.usefixtures("empty_tables")


@pytest.fixture(scope="module")
def extra_entry_points():
    """The test job types and the demo's, as the demo registers them."""
    from mock_module.entry_points import ENTRY_POINTS

    demo = [
        "demo_update_affiliations = invenio_jobs.demo.jobs:UpdateAffiliationsJob",
        "demo_check_affiliations = invenio_jobs.demo.jobs:CheckAffiliationsJob",
        "demo_clean_up = invenio_jobs.demo.jobs:CleanUpJob",
    ]
    return {
        **ENTRY_POINTS,
        "invenio_jobs.jobs": [*ENTRY_POINTS["invenio_jobs.jobs"], *demo],
    }


def run_job(task, **args) -> dict:
    """Make a job of a demo type, run it now, and return its run as the API does."""
    job = current_jobs_service.create(
        system_identity, {"title": task, "task": task, "run_args": args}
    ).to_dict()
    run = current_runs_service.create(system_identity, job["id"], {}).to_dict()
    return current_runs_service.read(system_identity, job["id"], run["id"]).to_dict()


def assert_counts_add_up(run):
    """Written and errored entries are at most the total."""
    written = run["inserted_entries"] + run["updated_entries"]
    assert written + run["errored_entries"] <= run["total_entries"], run


def test_every_demo_run_counts_each_entry_once(app, db):
    """Update (lenient, then strict), check, clean up: counts and messages agree."""
    imported = run_job("demo_update_affiliations")
    assert imported["status"] == "SUCCESS", imported
    assert_counts_add_up(imported)
    assert imported["errored_entries"] == 7  # the invalid records of the dump
    assert imported["inserted_entries"] + 7 == imported["total_entries"]

    strict = run_job("demo_update_affiliations", strict=True)
    assert strict["status"] == "PARTIAL_SUCCESS", strict
    assert_counts_add_up(strict)
    rejected, entries = map(
        int, re.match(r"(\d+) of (\d+) entries rejected", strict["message"]).groups()
    )
    assert (rejected, entries) == (strict["errored_entries"], strict["total_entries"])

    checked = run_job("demo_check_affiliations")
    assert checked["status"] == "PARTIAL_SUCCESS", checked
    assert_counts_add_up(checked)
    flagged, total = map(
        int,
        re.match(
            r"(\d+) of (\d+) affiliations need attention\.", checked["message"]
        ).groups(),
    )
    assert flagged == checked["errored_entries"] > 0
    assert total == checked["total_entries"]
    assert checked["updated_entries"] + checked["errored_entries"] == total

    cleaned = run_job("demo_clean_up")
    assert cleaned["status"] == "SUCCESS", cleaned
    assert cleaned["errored_entries"] == 0
