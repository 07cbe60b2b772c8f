# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The metrics of the runs: their figures read from the database, made into families.

:func:`run_figures` reads, in one statement, the totals that the database
keeps as runs end (``jobs_run_total`` and its changes not folded yet, see
:mod:`invenio_jobs.run_totals`) and the few runs not ended yet; :func:`run_families` makes the Prometheus
families from those rows. :func:`run_figures_from_every_run` is the reading
the totals replace (a pass over every run, the same rows): kept to verify
them, by the tests and the benchmark that compare both.
"""

import sqlalchemy as sa
from invenio_db import db
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.utils import floatToGoString

from ..database import seconds_between as seconds_in_sql
from ..models import (
    DURATION_BOUNDS,
    LAG_BOUNDS,
    Job,
    Run,
    RunStatusEnum,
    RunTotal,
    RunTotalChange,
)
from ..models.totals import bucket_column

DURATION_BUCKETS = DURATION_BOUNDS
"""Upper bounds (seconds) of the run duration histogram (kept in the totals)."""

LAG_BUCKETS = LAG_BOUNDS
"""Upper bounds (seconds) of the scheduling lag histogram (kept in the totals)."""


def seconds_between(later, earlier):
    """SQL for the seconds from ``earlier`` to ``later`` on the app's database."""
    return seconds_in_sql(db.engine, later, earlier)


def status_name(status) -> str:
    """The name of a status (``FAILED``), from its member or its stored letter."""
    return (
        status.name if isinstance(status, RunStatusEnum) else RunStatusEnum(status).name
    )


def run_figures() -> list:
    """The top-level runs' figures by job and status, in one statement.

    Ended runs are read from their totals (``jobs_run_total``, a row per
    job and status) and the changes the maintenance task has not folded
    into them yet (a minute's ends); runs not ended yet are aggregated live
    through the status index, as they are few. The database adds them up
    per job and status, so a scrape reads as many rows as there are jobs
    (and recent ends), whatever the number of runs kept. Each row has the
    run count, the latest end (of successes: one probe per job in
    ``ix_jobs_run_last_end``), the duration and lag histograms' counts,
    sums and cumulative buckets; the families are made from these rows in
    Python. A deleted job's totals keep counting under their task, with no
    job of their own.
    """
    parts = sa.union_all(
        _ended_totals(), _changes_not_folded(), _active_figures()
    ).subquery()
    summed = [
        (
            sa.func.sum(column)
            if column.name.endswith("_sum")
            # Sums of integers are numeric on PostgreSQL: integers again.
            else sa.cast(sa.func.sum(column), sa.BigInteger)
        )
        for column in list(parts.c)[4:]
    ]
    last_end = (
        sa.select(sa.func.max(Run.finished_at))
        .where(
            Run.job_id == parts.c.job_id,
            Run.status == RunStatusEnum.SUCCESS,
            Run.parent_run_id.is_(None),
        )
        .scalar_subquery()
    )
    return db.session.execute(
        sa.select(
            Job.id,
            Job.title,
            sa.func.coalesce(Job.task, parts.c.task),
            parts.c.status,
            sa.cast(sa.func.sum(parts.c.runs), sa.BigInteger),
            sa.case((parts.c.status == RunStatusEnum.SUCCESS.value, last_end)),
            *summed,
        )
        .select_from(parts)
        .outerjoin(Job, Job.id == parts.c.job_id)
        .group_by(parts.c.job_id, Job.id, parts.c.task, parts.c.status)
        # A status whose ended runs all moved on (a changed status).
        .having(sa.func.sum(parts.c.runs) > 0)
    ).all()


def run_figures_from_every_run() -> list:
    """The rows of :func:`run_figures`, read from every top-level run.

    How the metrics were read before the totals: one pass over all runs,
    grouped by job and status, whose cost grows with the runs kept. Only
    for verifying the totals against the runs they stand for.
    """
    runs = _figures_per_run(Run.parent_run_id.is_(None))
    groups = _aggregated(runs).subquery()
    return db.session.execute(
        sa.select(Job.id, Job.title, Job.task, *list(groups.c)[1:]).join(
            groups, groups.c.job_id == Job.id
        )
    ).all()


def _ended_totals():
    """The folded totals, in the columns of :func:`_active_figures`."""
    table = RunTotal.__table__
    columns = [table.c.job_id, table.c.task, table.c.status, table.c.runs]
    for family, bounds in (("duration", DURATION_BUCKETS), ("lag", LAG_BUCKETS)):
        columns += [table.c[f"{family}_count"], table.c[f"{family}_sum"]]
        columns += [table.c[bucket_column(family, b)] for b in bounds]
    return sa.select(*columns)


def _changes_not_folded():
    """The changes written since the last fold, added up as the totals are.

    A change counts ``runs`` (1, or -1 for a run taken out) in every
    figure its values fall in.
    """
    change = RunTotalChange.__table__.c
    columns = [change.job_id, sa.func.max(change.task), change.status]
    columns.append(sa.func.sum(change.runs))
    for value, bounds in (
        (change.duration, DURATION_BUCKETS),
        (change.lag, LAG_BUCKETS),
    ):
        columns += [
            sa.func.sum(sa.case((value.is_(None), 0), else_=change.runs)),
            sa.func.coalesce(sa.func.sum(value * change.runs), 0),
        ]
        columns += [
            sa.func.sum(sa.case((value <= b, change.runs), else_=0)) for b in bounds
        ]
    return sa.select(*columns).group_by(change.job_id, change.status)


def _figures_per_run(*where):
    """Each run's job, status, end, duration and lag, in a subquery kept apart.

    ``OFFSET 0`` keeps it apart: the planner would otherwise compute the
    seconds again for every bucket.
    """
    return (
        sa.select(
            Run.job_id,
            Run.status,
            Run.finished_at,
            seconds_between(Run.finished_at, Run.started_at).label("duration"),
            seconds_between(Run.started_at, Run.scheduled_at).label("lag"),
        )
        .where(*where)
        .offset(0)
        .subquery()
    )


def _aggregated(runs, *extra, last_end=True):
    """Runs grouped by job (and ``extra`` columns) and status, as the totals are.

    ``last_end``: with the latest end after the count (the rows of
    :func:`run_figures_from_every_run`).
    """
    counted = [sa.func.count()]
    if last_end:
        counted.append(sa.func.max(runs.c.finished_at))
    for value, bounds in (
        (runs.c.duration, DURATION_BUCKETS),
        (runs.c.lag, LAG_BUCKETS),
    ):
        counted += [sa.func.count(value), sa.func.coalesce(sa.func.sum(value), 0)]
        counted += [sa.func.count().filter(value <= b) for b in bounds]
    return sa.select(runs.c.job_id, *extra, runs.c.status, *counted).group_by(
        runs.c.job_id, *extra, runs.c.status
    )


def _active_figures():
    """The top-level runs not ended yet, with their job's task, as the totals are.

    Read through the status index (``ix_jobs_run_status_created``): the
    runs queued, running or stopping now.
    """
    runs = _figures_per_run(
        Run.parent_run_id.is_(None), Run.status.in_(RunStatusEnum.active())
    )
    return _aggregated(runs, Job.task, last_end=False).join(
        Job, Job.id == runs.c.job_id
    )


class ReadCollector:
    """A collector that hands over families read once for this scrape."""

    def __init__(self, families):
        """Keep the families of this scrape."""
        self.families = families

    def collect(self):
        """The families, as prometheus-client asks for them."""
        return iter(self.families)


class _Histogram:
    """Counts, sum and cumulative buckets of one histogram, added up per label."""

    def __init__(self, bounds):
        """Start empty, with the histogram's upper bounds."""
        self.bounds = bounds
        self.count = 0
        self.total = 0.0
        self.below = [0] * len(bounds)

    def add(self, count, total, below):
        """Add one group's figures."""
        self.count += int(count or 0)
        self.total += float(total or 0)
        self.below = [a + int(b or 0) for a, b in zip(self.below, below)]

    def buckets(self):
        """Cumulative buckets as prometheus-client takes them, ``+Inf`` last."""
        pairs = [(_bound(b), n) for b, n in zip(self.bounds, self.below)]
        return pairs + [("+Inf", self.count)]


def _bound(value) -> str:
    """A bucket bound as prometheus-client writes its own (``1.0``, ``300.0``)."""
    return floatToGoString(value)


def run_families(rows) -> list:
    """Runs, durations, lags and last successes from the per-job rows."""
    runs = CounterMetricFamily(
        "invenio_jobs_runs",
        "Top-level runs by job type and status (ended runs stay counted "
        "when they are pruned).",
        labels=["task", "status"],
    )
    durations, lags, runs_by, last_success = {}, {}, {}, {}
    nd = len(DURATION_BUCKETS)
    for row in rows:
        job_id, title, task, status, count, last_end = row[:6]
        rest = row[6:]
        timed_count, timed_sum, timed_below = rest[0], rest[1], rest[2 : 2 + nd]
        rest = rest[2 + nd :]
        lag_count, lag_sum, lag_below = rest[0], rest[1], rest[2:]
        status = status_name(status).lower()
        runs_by[(task, status)] = runs_by.get((task, status), 0) + count
        durations.setdefault(task, _Histogram(DURATION_BUCKETS)).add(
            timed_count, timed_sum, timed_below
        )
        lags.setdefault(task, _Histogram(LAG_BUCKETS)).add(
            lag_count, lag_sum, lag_below
        )
        if status == "success" and last_end is not None and job_id is not None:
            last_success[job_id] = (title, task, last_end)
    for (task, status), count in sorted(runs_by.items()):
        runs.add_metric([task, status], count)
    histograms = []
    for name, documentation, by_task in (
        (
            "invenio_jobs_run_duration_seconds",
            "Duration of finished runs, by job type.",
            durations,
        ),
        (
            "invenio_jobs_scheduling_lag_seconds",
            "Time from a scheduled run's fire time to its start, by job type.",
            lags,
        ),
    ):
        family = HistogramMetricFamily(name, documentation, labels=["task"])
        for task, histogram in sorted(by_task.items()):
            family.add_metric([task], histogram.buckets(), histogram.total)
        histograms.append(family)
    success_family = GaugeMetricFamily(
        "invenio_jobs_last_success_timestamp_seconds",
        "When the latest successful run of each job ended (Unix time).",
        labels=["job_id", "job", "task"],
    )
    for job_id, (title, task, ended) in sorted(
        last_success.items(), key=lambda item: str(item[0])
    ):
        success_family.add_metric([str(job_id), title, task], ended.timestamp())
    return [runs, *histograms, success_family]
