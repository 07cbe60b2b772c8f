# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job's run history filtered by status and trigger: ``GET /jobs/<id>/runs``."""

import uuid

import pytest
from test_jobs_resource import create, error_fields

from invenio_jobs.models import Run, RunStatusEnum, RunTrigger


@pytest.fixture()
def history(app, db, admin_client):
    """A job with runs of several statuses and triggers: (job id, run ids by name)."""
    job = create(admin_client)
    kinds = {
        "manual_failed": (RunStatusEnum.FAILED, RunTrigger.MANUAL),
        "manual_partial": (RunStatusEnum.PARTIAL_SUCCESS, RunTrigger.MANUAL),
        "manual_ok": (RunStatusEnum.SUCCESS, RunTrigger.MANUAL),
        "scheduled_failed": (RunStatusEnum.FAILED, RunTrigger.SCHEDULED),
        "scheduled_ok": (RunStatusEnum.SUCCESS, RunTrigger.SCHEDULED),
        "coalesced_ok": (RunStatusEnum.SUCCESS, RunTrigger.COALESCE),
    }
    ids = {}
    for name, (status, trigger) in kinds.items():
        run = Run(
            id=uuid.uuid4(),
            job_id=uuid.UUID(job["id"]),
            queue="celery",
            status=status,
            trigger=trigger,
        )
        db.session.add(run)
        ids[name] = str(run.id)
    db.session.commit()
    return job["id"], ids


def found(admin_client, job_id, query):
    res = admin_client.get(f"/jobs/{job_id}/runs?{query}")
    assert res.status_code == 200, res.json
    return {hit["id"] for hit in res.json["hits"]["hits"]}, res.json["hits"]["total"]


def test_status_and_trigger_filters_combine(history, admin_client):
    """Repeated statuses are alternatives; a trigger narrows them down."""
    job_id, ids = history
    hits, total = found(
        admin_client, job_id, "status=FAILED&status=PARTIAL_SUCCESS&trigger=manual"
    )
    assert hits == {ids["manual_failed"], ids["manual_partial"]} and total == 2


def test_triggers_are_alternatives_and_accept_commas(history, admin_client):
    """``trigger=scheduled,coalesce`` is the same as repeating the key."""
    job_id, ids = history
    expected = {ids["scheduled_failed"], ids["scheduled_ok"], ids["coalesced_ok"]}
    assert found(admin_client, job_id, "trigger=scheduled,coalesce")[0] == expected
    assert (
        found(admin_client, job_id, "trigger=scheduled&trigger=coalesce")[0] == expected
    )
    assert found(admin_client, job_id, "trigger=catch_up") == (set(), 0)


@pytest.mark.parametrize(
    "query, field, words",
    [
        ("trigger=cron", "trigger", ["Unknown trigger 'cron'", "manual", "catch_up"]),
        ("status=BROKEN", "status", ["Unknown status 'BROKEN'", "PARTIAL_SUCCESS"]),
        ("trigger=manual&status=nope", "status", ["Unknown status 'nope'"]),
    ],
)
def test_unknown_filter_values_are_400_naming_the_field(
    history, admin_client, query, field, words
):
    """A bad value is refused with the field and the values it accepts."""
    job_id, _ = history
    res = admin_client.get(f"/jobs/{job_id}/runs?{query}")
    assert error_fields(res) == {field}
    message = " ".join(" ".join(error["messages"]) for error in res.json["errors"])
    for word in words:
        assert word in message
