# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs list costs a constant number of SQL queries, whatever the page."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from helpers import count_queries, job_row

from invenio_jobs.models import Job, Run, RunStatusEnum


@pytest.fixture()
def many_jobs(db):
    """30 jobs with 50 runs each, the last one of each job distinguishable."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    jobs, runs = [], []
    for i in range(30):
        job_id = uuid.uuid4()
        jobs.append(job_row(f"Job {i:02d}", start, id=job_id))
        for r in range(50):
            when = start + timedelta(minutes=r)
            runs.append(
                dict(
                    id=uuid.uuid4(),
                    job_id=job_id,
                    status=RunStatusEnum.SUCCESS if r < 49 else RunStatusEnum.FAILED,
                    title=f"run {r}",
                    args={},
                    queue="celery",
                    trigger="manual",
                    attempt=1,
                    created=when,
                    updated=when,
                )
            )
    db.session.execute(Job.__table__.insert(), jobs)
    db.session.execute(Run.__table__.insert(), runs)
    db.session.commit()


def test_job_list_queries_do_not_grow_with_page_size(app, db, admin_client, many_jobs):
    """One query for the jobs, one for their last runs: not one per job."""
    engine = db.session.get_bind()
    admin_client.get("/jobs?size=1")  # warm up the login and the session

    with count_queries(engine) as small:
        res = admin_client.get("/jobs?size=5&q=Job")
    assert res.status_code == 200
    with count_queries(engine) as page:
        res = admin_client.get("/jobs?size=25&q=Job")
    hits = res.json["hits"]["hits"]
    assert len(hits) == 25
    assert all(h["last_run"]["title"] == "run 49" for h in hits)
    assert all(h["last_run"]["status"] == "FAILED" for h in hits)
    assert len(page) == len(small)
    job_queries = [s for s in page if "jobs_" in s]
    assert len(job_queries) == 3, job_queries  # count, page, latest runs


def test_run_history_queries_do_not_grow_with_page_size(
    app, db, admin_client, many_jobs
):
    """A page of runs is a fixed number of queries."""
    engine = db.session.get_bind()
    job_id = db.session.query(Job.id).first()[0]
    admin_client.get(f"/jobs/{job_id}/runs?size=1")
    with count_queries(engine) as small:
        admin_client.get(f"/jobs/{job_id}/runs?size=2")
    with count_queries(engine) as page:
        res = admin_client.get(f"/jobs/{job_id}/runs?size=25")
    assert len(res.json["hits"]["hits"]) == 25
    assert len(page) == len(small)
    assert len([s for s in page if "jobs_" in s]) == 3
