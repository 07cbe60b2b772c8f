# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Alerts: which jobs went wrong, found for every job at once.

A job's ``alerts`` settings name the conditions watched, each with its
threshold:

- ``late_minutes``: a fire time passed that long ago and no run started;
- ``no_success_hours``: no successful run started within that time;
- ``too_long_minutes`` / ``too_long_factor``: a run has been running longer
  than that, or than that many times the median of the job's last
  successful runs;
- ``failures_in_row``: that many runs in a row ended FAILED;

and ``recovered`` (true unless set false) whether the all-clear is sent
when a condition ends. Each condition is an SQL expression on ``jobs_job``;
:func:`evaluate` opens the alerts whose condition now holds and closes
those whose condition no longer does, two statements per kind whatever the
number of jobs, and writes one delivery per receiver of each change in the
same transaction (:mod:`.webhooks` sends them).

An open alert is a ``jobs_alert`` row with ``ended_at`` NULL. Opening is an
upsert that only touches a missing or ended row, closing a conditional
update of an open one, each returning the rows it changed: several
maintenance processes at once fire each change once.
"""

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from celery.utils.log import get_task_logger
from invenio_db import db
from sqlalchemy.dialects import postgresql, sqlite

from ..database import seconds_between, speaks_postgresql
from ..models import AlertDelivery, AlertState, Job, Run, RunStatusEnum
from ..models import last_success_order as latest_start_first
from ..models import last_success_where as can_be_last_success
from ..models import utcnow
from .dispatch import task_named
from .webhooks import alert_body, receivers

logger = get_task_logger(__name__)

KINDS = ("late", "no_success", "too_long", "failures")
"""The conditions an alert watches, in the order they are evaluated."""

SETTINGS = {
    "late": ("late_minutes",),
    "no_success": ("no_success_hours",),
    "too_long": ("too_long_minutes", "too_long_factor"),
    "failures": ("failures_in_row",),
}
"""The settings that switch each kind on (any of them)."""

MEDIAN_OF = 20
"""How many of a job's last successful runs give its usual duration."""

BEFORE_ANY_RUN = sa.literal(
    datetime(1970, 1, 1, tzinfo=timezone.utc), Run.__table__.c.created.type
)
"""A time before every run: where a job that never ended otherwise counts from."""

DELIVER_ALERTS = "invenio_jobs.tasks.deliver_alerts"
"""The Celery task that sends the alerts' due deliveries."""


def _number(name: str):
    """A number of the job's alert settings, NULL when unset."""
    return Job.alerts[name].as_float()


def _configured(kind: str):
    """Whether the job watches ``kind``."""
    return sa.or_(*(_number(name).is_not(None) for name in SETTINGS[kind]))


def _top_level_runs(*conditions):
    """The job's top-level runs matching ``conditions``, correlated to ``Job``."""
    return sa.select(Run.id).where(
        Run.job_id == Job.id, Run.parent_run_id.is_(None), *conditions
    )


def _late(now):
    """A fire time passed ``late_minutes`` ago and no run started.

    Either the beat has not made the fire's run (``next_run_at`` is that
    old), or it made it and the run still waits for a worker.
    """
    limit = _number("late_minutes") * 60
    age = seconds_between(db.engine, now, Job.next_run_at)
    waiting = _top_level_runs(
        Run.status == RunStatusEnum.QUEUED,
        Run.scheduled_at.is_not(None),
        Run.started_at.is_(None),
        seconds_between(db.engine, now, Run.scheduled_at) > limit,
    )
    return sa.and_(
        Job.active.is_(True),
        sa.or_(sa.and_(Job.next_run_at.is_not(None), age > limit), waiting.exists()),
    )


def _no_success(now):
    """No successful run started within ``no_success_hours`` (or since creation)."""
    columns = Run.__table__.c
    last_start = (
        sa.select(Run.started_at)
        .where(Run.job_id == Job.id, *can_be_last_success(columns))
        .order_by(*latest_start_first(columns))
        .limit(1)
        .correlate(Job)
        .scalar_subquery()
    )
    since = sa.func.coalesce(last_start, Job.created)
    return seconds_between(db.engine, now, since) > _number("no_success_hours") * 3600


def _usual_duration():
    """Seconds of the job's usual successful run: the median of the last ones.

    PostgreSQL's ``percentile_cont``; SQLite, which has no ordered-set
    aggregate, takes their mean instead.
    """
    columns = Run.__table__.c
    last = (
        sa.select(
            seconds_between(db.engine, Run.finished_at, Run.started_at).label("took")
        )
        .where(
            Run.job_id == Job.id,
            Run.finished_at.is_not(None),
            *can_be_last_success(columns),
        )
        .order_by(*latest_start_first(columns))
        .limit(MEDIAN_OF)
        .correlate(Job)
        .subquery()
    )
    if speaks_postgresql(db.engine):
        usual = sa.func.percentile_cont(0.5).within_group(last.c.took)
    else:
        usual = sa.func.avg(last.c.took)
    return sa.select(usual).scalar_subquery()


def _too_long(now):
    """A run has run longer than ``too_long_minutes``, or ``too_long_factor`` x usual."""
    running = seconds_between(db.engine, now, Run.started_at)
    return _top_level_runs(
        Run.status.in_((RunStatusEnum.RUNNING, RunStatusEnum.CANCELLING)),
        Run.started_at.is_not(None),
        sa.or_(
            running > _number("too_long_minutes") * 60,
            running > _number("too_long_factor") * _usual_duration(),
        ),
    ).exists()


def _failures(now):
    """The job's last ``failures_in_row`` ended runs all FAILED.

    The failures are counted since the job's last run that ended otherwise,
    found by walking its ``(job_id, created)`` index backwards.
    """
    ended_otherwise = (
        _top_level_runs(
            Run.status.in_(
                [s for s in RunStatusEnum.finished() if s != RunStatusEnum.FAILED]
            )
        )
        .with_only_columns(Run.created)
        .order_by(Run.created.desc())
        .limit(1)
        .correlate(Job)
        .scalar_subquery()
    )
    streak = (
        _top_level_runs(
            Run.status == RunStatusEnum.FAILED,
            # One range of the index: an OR with "none yet" would scan them all.
            Run.created > sa.func.coalesce(ended_otherwise, BEFORE_ANY_RUN),
        )
        .with_only_columns(sa.func.count())
        .correlate(Job)
        .scalar_subquery()
    )
    return streak >= _number("failures_in_row")


CONDITIONS = {
    "late": _late,
    "no_success": _no_success,
    "too_long": _too_long,
    "failures": _failures,
}
"""Each kind's condition, as SQL on ``jobs_job`` at a given time."""


def holds(kind: str, now):
    """Whether the job watches ``kind`` and its condition holds at ``now``."""
    return sa.and_(Job.alerts.is_not(None), _configured(kind), CONDITIONS[kind](now))


def _open(kind: str, now) -> list:
    """Open the alerts of ``kind`` that now hold; the job ids opened.

    The SELECT leaves out alerts already open; the upsert's condition is
    the guard against another process opening the same one meanwhile.
    """
    already_open = sa.select(AlertState.job_id).where(
        AlertState.job_id == Job.id,
        AlertState.kind == kind,
        AlertState.ended_at.is_(None),
    )
    starting = sa.select(
        Job.id, sa.literal(kind), sa.literal(now, AlertState.started_at.type)
    ).where(holds(kind, now), ~already_open.exists())
    dialect = postgresql if speaks_postgresql(db.engine) else sqlite
    statement = dialect.insert(AlertState).from_select(
        ["job_id", "kind", "started_at"], starting
    )
    statement = statement.on_conflict_do_update(
        index_elements=["job_id", "kind"],
        set_={"started_at": statement.excluded.started_at, "ended_at": None},
        where=AlertState.ended_at.is_not(None),
    ).returning(AlertState.job_id, AlertState.started_at)
    return db.session.execute(statement).all()


def _close(kind: str, now) -> list:
    """Close the open alerts of ``kind`` whose condition ended; their rows."""
    still = sa.select(Job.id).where(Job.id == AlertState.job_id, holds(kind, now))
    return db.session.execute(
        sa.update(AlertState)
        .where(
            AlertState.kind == kind,
            AlertState.ended_at.is_(None),
            ~still.exists(),
        )
        .values(ended_at=now)
        .returning(AlertState.job_id, AlertState.started_at)
        .execution_options(synchronize_session=False)
    ).all()


def check() -> dict:
    """The maintenance pass's alerts step: evaluate, and have due deliveries sent.

    Deliveries that wait for a retry are sent again from here, once their
    due time has come: their delays live in the database, not the broker.
    """
    counts = evaluate()
    if not counts and deliveries_due():
        send_deliveries()
    return counts


def evaluate() -> dict:
    """Open and close every job's alerts, and queue their deliveries.

    Two statements per kind, then, when something changed, one to read the
    changed jobs' settings and one to insert the deliveries; one commit.
    Returns the number of alerts opened and closed of each kind.
    """
    now = utcnow()
    changes = []
    for kind in KINDS:
        for job_id, started_at in _open(kind, now):
            changes.append((job_id, kind, "started", started_at, None))
        for job_id, started_at in _close(kind, now):
            changes.append((job_id, kind, "recovered", started_at, now))
    deliveries = _deliveries(changes, now) if changes else []
    if deliveries:
        db.session.execute(sa.insert(AlertDelivery).values(deliveries))
    db.session.commit()
    if deliveries:
        send_deliveries()
    counts = {}  # a change told no one still counts
    for _job_id, kind, event, _started, _ended in changes:
        key = f"{kind}_{event}"
        counts[key] = counts.get(key, 0) + 1
    if counts:
        logger.info("Alerts changed: %s", counts)
    return counts


def _deliveries(changes, now) -> list[dict]:
    """The delivery rows of the alerts' changes: one per receiver.

    A change of a kind the job no longer watches (its setting was removed)
    and an all-clear of a job that does not want them are told no one.
    """
    jobs = {
        row.id: row
        for row in db.session.execute(
            sa.select(Job.id, Job.title, Job.alerts).where(
                Job.id.in_({change[0] for change in changes})
            )
        )
    }
    rows = []
    for job_id, kind, event, started_at, ended_at in changes:
        job = jobs.get(job_id)
        settings = (job.alerts if job else None) or {}
        if not any(settings.get(name) is not None for name in SETTINGS[kind]):
            continue
        if event == "recovered" and settings.get("recovered") is False:
            continue
        for channel, target, slack in receivers(settings):
            body = alert_body(job, kind, event, started_at, ended_at, slack=slack)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "job_id": job_id,
                    "kind": kind,
                    "event": event,
                    "channel": channel,
                    "target": target,
                    "body": body,
                    "status": "pending",
                    "tries": 0,
                    "due_at": now,
                    "created": now,
                }
            )
    return rows


def send_deliveries():
    """Ask a worker to send the due deliveries; they stay due if it cannot."""
    try:
        task_named(DELIVER_ALERTS).delay()
    except Exception:  # noqa: BLE001 -- the next maintenance pass asks again
        logger.warning("Could not send the alerts' delivery task", exc_info=True)


def deliveries_due(now=None) -> bool:
    """Whether a delivery waits to be tried (one probe of its due-time index)."""
    now = now or utcnow()
    return (
        db.session.scalar(
            sa.select(AlertDelivery.id).where(AlertDelivery.due_at <= now).limit(1)
        )
        is not None
    )


def open_alert_counts() -> dict:
    """How many jobs each kind of alert holds for now (the health panel, metrics)."""
    rows = db.session.execute(
        sa.select(AlertState.kind, sa.func.count())
        .where(AlertState.ended_at.is_(None))
        .group_by(AlertState.kind)
    ).all()
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: count for kind, count in rows})
    return counts
