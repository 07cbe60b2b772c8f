# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Health at a glance: run statistics of a time window, and Prometheus metrics.

Every figure is aggregated by the database, so that the cost of an answer
depends on the window (and the number of jobs), not on the history kept, and
so that every web process answers the same.

Query budget: :meth:`StatsService.read` sends six statements (runs by
bucket and status, the latest failed runs, the jobs whose last run failed,
the scheduling lag percentiles, the runs queued and running now, the open
alerts by kind); :meth:`StatsService.metrics` sends five (the ended runs'
totals with the runs not ended yet, by job and status; the runs queued and
running now; the stored counters; the open alerts by kind; the pause), none
of which reads the ended runs: a scrape costs the same at a million runs
as at ten.
"""

import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from invenio_access.permissions import authenticated_user
from invenio_db import db
from invenio_i18n import lazy_gettext as _
from invenio_records_resources.services.base import Service
from invenio_records_resources.services.base.config import (
    ConfiguratorMixin,
    FromConfig,
    ServiceConfig,
)
from marshmallow import Schema, fields, validate
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
)
from sqlalchemy.dialects import postgresql

from ..database import speaks_postgresql
from ..event_totals import (
    LOG_LINES_DROPPED,
    LOG_LINES_WRITTEN,
    REAPER_ACTIONS,
    read_counts,
)
from ..models import Job, Pause, Run, RunStatusEnum, utcnow
from ..worker.alerts import open_alert_counts
from .errors import MetricsAuthenticationError
from .metric_families import (  # noqa: F401 -- the bounds' import path
    DURATION_BUCKETS,
    LAG_BUCKETS,
    ReadCollector,
    run_families,
    run_figures,
    seconds_between,
    status_name,
)
from .permissions import RunPermissionPolicy

WINDOWS = {
    "24h": (timedelta(hours=24), timedelta(hours=1)),
    "7d": (timedelta(days=7), timedelta(hours=6)),
}
"""Each window the stats cover: its length and the width of its buckets."""

FAILED_RUNS_SHOWN = 20
"""Failed runs of the window listed by name (the count covers all of them)."""

FAILING_JOBS_SHOWN = 50
"""Jobs whose last run failed, listed at most."""

PERCENTILES = (50, 95)
"""The scheduling lag percentiles of the stats, by nearest rank."""


class StatsParamsSchema(Schema):
    """Query string of the stats."""

    class Meta:
        """Ignore parameters that browsers and proxies add."""

        unknown = "exclude"

    window = fields.String(
        load_default="24h",
        validate=validate.OneOf(
            list(WINDOWS),
            error=_("Window: give one of 24h or 7d (not '{input}')."),
        ),
    )


class StatsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the stats service: the runs' permission policy."""

    service_id = "job-stats"
    permission_policy_cls = FromConfig(
        "JOBS_RUNS_PERMISSION_POLICY", default=RunPermissionPolicy, import_string=True
    )
    params_schema = StatsParamsSchema


def _bucket_of(column, since, width: timedelta):
    """SQL for the number of the bucket of ``column`` (0 for the first)."""
    seconds = seconds_between(column, sa.literal(since, db.UTCDateTime))
    size = width.total_seconds()
    if speaks_postgresql(db.engine):
        return sa.cast(sa.func.floor(seconds / size), sa.Integer)
    return sa.cast(seconds / size, sa.Integer)  # never negative: truncation floors


def _nearest_rank(percent: int, rank, total):
    """Whether a row is the ``percent`` percentile by nearest rank (integers only)."""
    return sa.and_(rank * 100 >= percent * total, (rank - 1) * 100 < percent * total)


def _seconds(value):
    """Seconds of a lag, to the millisecond; a start before its fire time is 0."""
    return None if value is None else round(max(float(value), 0.0), 3)


def _iso(value):
    return value.isoformat() if value is not None else None


class StatsService(Service):
    """Figures of the runs for the health panel and for Prometheus."""

    # -- the health panel -----------------------------------------------------
    def read(self, identity, params=None) -> dict:
        """The health of the runs over a window (``24h`` or ``7d``) ending now."""
        self.require_permission(identity, "read_stats")
        params = self.config.params_schema().load(params or {})
        length, width = WINDOWS[params["window"]]
        until = utcnow()
        since = until - length
        buckets = self._buckets(since, until, width)
        totals = {}
        for bucket in buckets:
            for status, count in bucket["counts"].items():
                totals[status] = totals.get(status, 0) + count
        queued, running = self._active_counts()
        return {
            "window": params["window"],
            "since": _iso(since),
            "until": _iso(until),
            "bucket_seconds": int(width.total_seconds()),
            "buckets": buckets,
            "totals": totals,
            "total": sum(totals.values()),
            "failed": {
                "count": totals.get("FAILED", 0),
                "runs": self._failed_runs(since),
            },
            "failing_jobs": self._failing_jobs(),
            "lag": self._lag_percentiles(since),
            "now": {"queued": queued, "running": running},
            "alerts": open_alert_counts(),
        }

    def _buckets(self, since, until, width) -> list[dict]:
        """Top-level runs created in the window, by bucket and status.

        Read from ``ix_jobs_run_health_created`` (created, status) alone;
        empty buckets are filled here so that the chart has every hour.
        """
        bucket = _bucket_of(Run.created, since, width).label("bucket")
        rows = db.session.execute(
            sa.select(bucket, Run.status, sa.func.count())
            .where(Run.parent_run_id.is_(None), Run.created >= since)
            .group_by(bucket, Run.status)
        ).all()
        count = int((until - since) / width)
        result = [
            {"start": _iso(since + i * width), "counts": {}} for i in range(count)
        ]
        for number, status, runs in rows:
            number = min(max(int(number), 0), count - 1)
            counts = result[number]["counts"]
            name = status_name(status)
            counts[name] = counts.get(name, 0) + runs
        return result

    def _failed_runs(self, since) -> list[dict]:
        """The latest failed top-level runs of the window, with their job's title."""
        rows = db.session.execute(
            sa.select(Run.id, Run.job_id, Job.title, Run.created, Run.message)
            .join(Job, Job.id == Run.job_id)
            .where(
                Run.status == RunStatusEnum.FAILED,
                Run.created >= since,
                Run.parent_run_id.is_(None),
            )
            .order_by(Run.created.desc())
            .limit(FAILED_RUNS_SHOWN)
        ).all()
        return [
            {
                "id": str(run_id),
                "job_id": str(job_id),
                "job_title": title,
                "created": _iso(created),
                "message": (message or "").split("\n", 1)[0],
            }
            for run_id, job_id, title, created, message in rows
        ]

    def _failing_jobs(self) -> list[dict]:
        """Jobs whose latest top-level run failed, most recent failure first.

        A correlated subquery picks each job's latest run through the
        ``(job_id, created)`` index: one probe per job, one statement.
        """
        latest = (
            sa.select(Run.id)
            .where(Run.job_id == Job.id, Run.parent_run_id.is_(None))
            .order_by(Run.created.desc(), Run.id.desc())
            .limit(1)
            .correlate(Job)
            .scalar_subquery()
        )
        rows = db.session.execute(
            sa.select(Job.id, Job.title, Run.id, Run.created, Run.message)
            .join(Run, Run.id == latest)
            .where(Run.status == RunStatusEnum.FAILED)
            .order_by(Run.created.desc())
            .limit(FAILING_JOBS_SHOWN)
        ).all()
        return [
            {
                "id": str(job_id),
                "title": title,
                "last_run": {
                    "id": str(run_id),
                    "created": _iso(created),
                    "message": (message or "").split("\n", 1)[0],
                },
            }
            for job_id, title, run_id, created, message in rows
        ]

    def _lag_percentiles(self, since) -> dict:
        """Seconds from fire time to start of the window's scheduled runs: p50, p95.

        Nearest-rank percentiles: ``percentile_disc`` on PostgreSQL, window
        functions elsewhere (SQLite has no ordered-set aggregates); the runs
        are read from ``ix_jobs_run_health_scheduled_at``.
        """
        lag = seconds_between(Run.started_at, Run.scheduled_at).label("lag")
        in_window = (Run.scheduled_at >= since, Run.started_at.is_not(None))
        result = {f"p{p}": None for p in PERCENTILES}
        if speaks_postgresql(db.engine):
            # One sort for both: percentile_disc is the nearest rank.
            fractions = postgresql.array([p / 100 for p in PERCENTILES])
            total, values = db.session.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.percentile_disc(fractions).within_group(lag),
                ).where(*in_window)
            ).one()
            for percent, value in zip(PERCENTILES, values or []):
                result[f"p{percent}"] = _seconds(value)
            result["count"] = total
            return result
        ranked = (
            sa.select(
                lag,
                sa.func.row_number().over(order_by=lag).label("rank"),
                sa.func.count().over().label("total"),
            )
            .where(*in_window)
            .subquery()
        )
        picks = [
            sa.case(
                (_nearest_rank(p, ranked.c.rank, ranked.c.total), p),
                else_=None,
            )
            for p in PERCENTILES
        ]
        rows = db.session.execute(
            sa.select(ranked.c.lag, ranked.c.total, *picks).where(
                sa.or_(
                    *(
                        _nearest_rank(p, ranked.c.rank, ranked.c.total)
                        for p in PERCENTILES
                    )
                )
            )
        ).all()
        result["count"] = 0
        for value, total, *matches in rows:
            result["count"] = total
            for percent, match in zip(PERCENTILES, matches):
                if match is not None:
                    result[f"p{percent}"] = _seconds(value)
        return result

    def _active_counts(self) -> tuple[int, int]:
        """Runs queued and running (cancelling included) now, subtasks included."""
        rows = db.session.execute(
            sa.select(Run.status, sa.func.count())
            .where(Run.status.in_(RunStatusEnum.active()))
            .group_by(Run.status)
        ).all()
        counts = {RunStatusEnum(status): n for status, n in rows}
        queued = counts.get(RunStatusEnum.QUEUED, 0)
        return queued, sum(counts.values()) - queued

    # -- Prometheus -------------------------------------------------------------
    def check_metrics_access(self, identity, token: str | None = None) -> None:
        """Let a scraper in with the configured token, or a permitted identity.

        A token that is given must match ``JOBS_METRICS_TOKEN`` (compared in
        constant time); without one, an identity allowed ``read_metrics``
        (administrators, the system) reads them, an anonymous caller is asked
        to authenticate (401) and any other is refused (403).
        """
        expected = current_app.config.get("JOBS_METRICS_TOKEN")
        if token is not None:
            if expected and hmac.compare_digest(token.encode(), expected.encode()):
                return
            raise MetricsAuthenticationError(_("The metrics token is not valid."))
        if self.check_permission(identity, "read_metrics"):
            return
        if authenticated_user not in identity.provides:
            raise MetricsAuthenticationError()
        self.require_permission(identity, "read_metrics")

    def metrics(self, identity, token: str | None = None) -> bytes:
        """The metrics in Prometheus' text format, read from the database."""
        self.check_metrics_access(identity, token)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(ReadCollector(self._metric_families()))
        return generate_latest(registry)

    def _metric_families(self) -> list:
        """Every metric family, from five statements."""
        per_job = run_figures()
        queued, running = self._active_counts()
        counts = read_counts(db.session)
        families = run_families(per_job)
        alerts = GaugeMetricFamily(
            "invenio_jobs_alerts_open",
            "Jobs for which an alert of this kind holds now.",
            labels=["kind"],
        )
        for kind, count in open_alert_counts().items():
            alerts.add_metric([kind], count)
        families.append(alerts)
        families.append(
            GaugeMetricFamily(
                "invenio_jobs_runs_queued",
                "Runs waiting for a worker now.",
                value=queued,
            )
        )
        families.append(
            GaugeMetricFamily(
                "invenio_jobs_runs_running",
                "Runs executing (or stopping) now.",
                value=running,
            )
        )
        families.append(
            GaugeMetricFamily(
                "invenio_jobs_paused",
                "1 while all scheduled runs are paused, else 0.",
                value=int(bool(db.session.scalar(sa.select(Pause.in_force(utcnow()))))),
            )
        )
        reaper = CounterMetricFamily(
            "invenio_jobs_reaper_actions",
            "Runs the maintenance task acted on: lost (no heartbeat), resent "
            "(never taken by a worker), terminated (did not stop in time).",
            labels=["action"],
        )
        for action, name in REAPER_ACTIONS.items():
            reaper.add_metric([action], counts.get(name, 0))
        families.append(reaper)
        families.append(
            CounterMetricFamily(
                "invenio_jobs_log_lines_written",
                "Log lines stored for runs.",
                value=counts.get(LOG_LINES_WRITTEN, 0),
            )
        )
        families.append(
            CounterMetricFamily(
                "invenio_jobs_log_lines_dropped",
                "Log lines dropped at a run's JOBS_LOGS_MAX_PER_RUN.",
                value=counts.get(LOG_LINES_DROPPED, 0),
            )
        )
        return families
