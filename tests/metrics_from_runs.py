# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The metrics' run figures read the way they were before the totals: every run.

Kept to verify the totals: the same data read both ways must give the same
samples. One pass over the top-level runs, grouped by job and status, in the
row shape that :func:`invenio_jobs.services.stats._run_families` takes.
"""

import pytest
import sqlalchemy as sa
from invenio_db import db

from invenio_jobs.models import Job, Run
from invenio_jobs.services.stats import (
    DURATION_BUCKETS,
    LAG_BUCKETS,
    _run_families,
    seconds_between,
)


def runs_per_job_and_status_from_runs() -> list:
    """Every top-level run, aggregated by job and status (reads them all)."""
    runs = (
        sa.select(
            Run.job_id,
            Run.status,
            Run.finished_at,
            seconds_between(Run.finished_at, Run.started_at).label("duration"),
            seconds_between(Run.started_at, Run.scheduled_at).label("lag"),
        )
        .where(Run.parent_run_id.is_(None))
        .offset(0)
        .subquery()
    )
    duration, lag = runs.c.duration, runs.c.lag
    counted = [sa.func.count(), sa.func.max(runs.c.finished_at)]
    for value, bounds in ((duration, DURATION_BUCKETS), (lag, LAG_BUCKETS)):
        counted += [sa.func.count(value), sa.func.coalesce(sa.func.sum(value), 0)]
        counted += [sa.func.count().filter(value <= b) for b in bounds]
    groups = (
        sa.select(runs.c.job_id, runs.c.status, *counted)
        .group_by(runs.c.job_id, runs.c.status)
        .subquery()
    )
    return db.session.execute(
        sa.select(Job.id, Job.title, Job.task, *list(groups.c)[1:]).join(
            groups, groups.c.job_id == Job.id
        )
    ).all()


def _samples(families) -> dict:
    """Every sample of ``families``: {(name, sorted label items): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def read_both(session):
    """The run families' samples read from every run, and from the totals."""
    from invenio_jobs.proxies import current_jobs

    session.expire_all()
    old = _samples(_run_families(runs_per_job_and_status_from_runs()))
    rows = current_jobs.stats_service._runs_per_job_and_status()
    return old, _samples(_run_families(rows))


def assert_same_metrics(session) -> dict:
    """Both readings have the same samples; returns the totals' reading.

    Counts and buckets are equal; sums of seconds are equal to the last
    float digits, since a float sum depends on the order it is made in.
    """
    old, new = read_both(session)
    assert sorted(new) == sorted(old)
    for key, value in old.items():
        if key[0].endswith("_sum"):
            assert new[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key
        else:
            assert new[key] == value, key
    return new
