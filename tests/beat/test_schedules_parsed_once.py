# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A jobs list page and a schedule preview parse each schedule once.

The ``schedule_parses`` fixture counts the calls of ``compile_schedule``, the
one function that parses a schedule, here through the services and the REST
API. The scheduler's tick is counted in ``test_scheduler.py``.
"""

import json
import uuid
from datetime import datetime, timezone

import pytest
from helpers import job_row
from invenio_access.permissions import system_identity

from invenio_jobs.models import Job
from invenio_jobs.proxies import current_jobs_service

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def schedule_of(i: int) -> dict:
    """A different schedule for each job: crontabs and intervals in turn."""
    if i % 2:
        return {"type": "interval", "minutes": i + 1}
    return {
        "type": "crontab",
        "minute": str(i),
        "hour": "2",
        "day_of_week": "mon-fri",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "Europe/Zurich",
    }


@pytest.fixture()
def scheduled_jobs(db):
    """25 jobs, each with a schedule of its own; their title prefix, schedules.

    The prefix is new for each test, so that a search for it finds these 25
    jobs only, whatever other tests left in the database.
    """
    prefix = uuid.uuid4().hex
    schedules = [schedule_of(i) for i in range(25)]
    db.session.execute(
        Job.__table__.insert(),
        [
            job_row(
                f"{prefix} {i:02d}", START, schedule=schedule, schedule_anchor=START
            )
            for i, schedule in enumerate(schedules)
        ],
    )
    db.session.commit()
    return prefix, schedules


def in_order(schedules) -> list:
    """Schedules as sorted JSON texts, to compare lists whatever their order."""
    return sorted(json.dumps(schedule, sort_keys=True) for schedule in schedules)


def parsed(spy) -> list:
    """The schedules given to each parse, in a stable order."""
    return in_order(call.args[0] for call in spy.call_args_list)


def test_jobs_list_page_parses_each_schedule_once(
    app, db, admin_client, scheduled_jobs, schedule_parses
):
    """``GET /api/jobs`` of 25 jobs: 25 parses, one per job, for their words."""
    prefix, schedules = scheduled_jobs
    res = admin_client.get(f"/jobs?size=25&q={prefix}")
    assert res.status_code == 200, res.json
    hits = res.json["hits"]["hits"]
    assert len(hits) == 25
    assert all(not h["schedule_description"].startswith("invalid") for h in hits)
    assert schedule_parses.call_count == 25
    assert parsed(schedule_parses) == in_order(schedules)


def test_jobs_service_search_parses_each_schedule_once(
    app, db, scheduled_jobs, schedule_parses
):
    """The service's page of 25 jobs parses each of their schedules once."""
    prefix, schedules = scheduled_jobs
    result = current_jobs_service.search(system_identity, {"size": 25, "q": prefix})
    assert len(list(result.hits)) == 25
    assert schedule_parses.call_count == 25
    assert parsed(schedule_parses) == in_order(schedules)


def test_preview_parses_the_schedule_once(app, db, admin_client, schedule_parses):
    """A preview's fire times and words come from one parse."""
    res = admin_client.post(
        "/jobs/schedule-preview",
        json={"schedule": {"type": "crontab", "minute": "0", "hour": "*/6"}},
    )
    assert res.status_code == 200, res.json
    assert len(res.json["next_runs"]) == 5
    assert res.json["description"] == "every 6 hours at minute 0 (UTC)"
    assert schedule_parses.call_count == 1


def test_service_preview_and_explain_parse_once(app, db, schedule_parses):
    """``preview_schedule`` and ``explain_schedule`` each parse once."""
    schedule = {"type": "interval", "hours": 4}
    times = current_jobs_service.preview_schedule(system_identity, schedule, count=3)
    assert len(times) == 3
    assert schedule_parses.call_count == 1
    times, words = current_jobs_service.explain_schedule(system_identity, schedule)
    assert (len(times), words) == (5, "every 4 hours")
    assert schedule_parses.call_count == 2


def test_creating_a_job_computes_its_next_run_from_the_loaded_schedule(
    app, db, schedule_parses
):
    """Create parses once to load and once to say the schedule in its answer."""
    job = current_jobs_service.create(
        system_identity,
        {"title": "Nightly", "task": "no_args", "schedule": schedule_of(0)},
    ).to_dict()
    assert job["next_run"] is not None
    assert job["schedule"] == schedule_of(0)
    assert schedule_parses.call_count == 2
