# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Totals of the ended runs, kept as runs end, so that a scrape reads few rows.

One row of :class:`RunTotal` per job and status holds what the Prometheus
families need of the job's ended top-level runs: how many, and their
durations and scheduling lags as histograms (count, sum and one column per
bucket bound). A run that ends writes one :class:`RunTotalChange` (by a
database trigger on ``jobs_run``, in the statement that ends it, see
:mod:`invenio_jobs.run_totals`); the maintenance task folds the changes
into the totals. Readers add both up.

The rows outlive their runs: pruning runs or deleting a job leaves the
totals, since the families are Prometheus counters, which must never go
down. The task is kept beside the job id for the runs of a deleted job.
"""

import sqlalchemy as sa
from invenio_db import db

from .jobs import Run
from .types import RunStatus

DURATION_BOUNDS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
"""Upper bounds (seconds) of the run duration histogram.

Each bound is a column of :class:`RunTotal`: changing them takes a
migration that adds the columns and fills them again from the runs.
"""

LAG_BOUNDS = (0.5, 1, 5, 15, 60, 300, 3600)
"""Upper bounds (seconds) of the scheduling lag histogram (columns too)."""


def bucket_column(family: str, bound) -> str:
    """The column counting the values of ``family`` at most ``bound`` (``lag_le_0_5``)."""
    return f"{family}_le_{str(bound).replace('.', '_')}"


def _count():
    """A count column: starts at zero, never NULL."""
    return sa.Column(sa.BigInteger, nullable=False, default=0, server_default="0")


def _sum():
    """A sum of seconds (a float, as the database computes them)."""
    return sa.Column(sa.Float, nullable=False, default=0, server_default="0")


class RunTotal(db.Model):
    """What the ended top-level runs of one job in one status add up to."""

    __tablename__ = "jobs_run_total"

    job_id = sa.Column(sa.Uuid, primary_key=True)
    status = sa.Column(RunStatus, primary_key=True)
    task = sa.Column(sa.String(255), nullable=False)
    runs = sa.Column(sa.BigInteger, nullable=False, default=0, server_default="0")

    duration_count = _count()
    duration_sum = _sum()
    duration_le_1 = _count()
    duration_le_5 = _count()
    duration_le_15 = _count()
    duration_le_60 = _count()
    duration_le_300 = _count()
    duration_le_900 = _count()
    duration_le_3600 = _count()
    duration_le_14400 = _count()
    duration_le_86400 = _count()
    lag_count = _count()
    lag_sum = _sum()
    lag_le_0_5 = _count()
    lag_le_1 = _count()
    lag_le_5 = _count()
    lag_le_15 = _count()
    lag_le_60 = _count()
    lag_le_300 = _count()
    lag_le_3600 = _count()


class RunTotalChange(db.Model):
    """One run added to (``runs`` 1) or taken out of (-1) the totals, not yet folded.

    Written by the trigger that sees the run end: an INSERT that locks no
    shared row, so workers ending runs of one job at once never wait for
    each other, and a statement ending many runs writes as many rows.
    """

    __tablename__ = "jobs_run_total_change"

    id = sa.Column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )
    job_id = sa.Column(sa.Uuid, nullable=False)
    status = sa.Column(RunStatus, nullable=False)
    task = sa.Column(sa.String(255), nullable=False)
    runs = sa.Column(sa.SmallInteger, nullable=False)
    duration = sa.Column(sa.Float, nullable=True)
    lag = sa.Column(sa.Float, nullable=True)


# Made after the runs table, whose triggers keep it (no foreign key: the
# totals outlive their runs and jobs).
RunTotal.__table__.add_is_dependent_on(Run.__table__)
RunTotalChange.__table__.add_is_dependent_on(RunTotal.__table__)
