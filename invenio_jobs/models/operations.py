# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What operators set and what the system keeps beside jobs and runs.

Pools, the pause, maintenance windows, alerts and their deliveries, the
jobs' history and running totals.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa
from invenio_accounts.models import User
from invenio_db import db

from .jobs import Job
from .types import JSON, UTCDateTime, counter_column, timestamp_column


class Pool(db.Model, db.Timestamp):
    """A concurrency pool: at most ``slots`` runs of its jobs at once.

    Jobs join a pool by its name (``Job.pool``); a run holds one of its
    slots from the moment it is sent until it ends (``Run.slot_pool``).
    """

    __tablename__ = "jobs_pool"

    name = sa.Column(sa.String(64), primary_key=True)
    description = sa.Column(sa.Text, nullable=True)
    slots = sa.Column(sa.Integer, nullable=False)
    created = timestamp_column()
    updated = timestamp_column()

    def __repr__(self) -> str:
        """Show the name and the number of slots, for logs and debugging."""
        return f"<Pool {self.name!r} {self.slots}>"


class JobEvent(db.Model):
    """One entry of a job's history: a change to it or an action on its runs.

    No foreign key to the job: a deleted job's history stays, with the
    title it had (``job_title``). ``user_id`` is who acted (NULL: the
    system), ``source`` through what (``ui``, ``api``, ``cli``, ``import``,
    ``system``), ``details`` what changed (``{"field": {"old": ..., "new":
    ...}}``) or the run and its arguments.
    """

    __tablename__ = "jobs_job_event"
    __table_args__ = (
        # A job's history, newest first, a page at a time.
        sa.Index("ix_jobs_job_event_job_id_id", "job_id", "id"),
        # The pruning of old entries.
        sa.Index("ix_jobs_job_event_created", "created"),
    )

    id = sa.Column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )
    job_id = sa.Column(sa.Uuid, nullable=False)
    job_title = sa.Column(sa.String(255), nullable=True)
    action = sa.Column(sa.String(32), nullable=False)
    user_id = sa.Column(sa.Integer, nullable=True)
    source = sa.Column(sa.String(16), nullable=False)
    details = sa.Column(JSON, nullable=True)
    created = timestamp_column()


class Counter(db.Model):
    """A running total of events that leave no row behind (reaper actions, log lines).

    Kept in the database so that every web process reports the same figures;
    see :mod:`invenio_jobs.event_totals`.
    """

    __tablename__ = "jobs_counter"

    name = sa.Column(sa.String(64), primary_key=True)
    value = sa.Column(sa.BigInteger, nullable=False, default=0, server_default="0")


class Pause(db.Model):
    """The instance-wide pause of scheduled runs: one row while it is on.

    The primary key can only be 1, so the database itself holds that there
    is one switch; every beat's look reads it in its claim statement. A
    pause with an ``until`` in the past is over without anyone deleting it.
    """

    __tablename__ = "jobs_pause"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id = sa.Column(sa.SmallInteger, primary_key=True, default=1, autoincrement=False)
    reason = sa.Column(sa.Text, nullable=False)
    paused_at = sa.Column(UTCDateTime, nullable=False)
    # NULL: until someone resumes.
    until = sa.Column(UTCDateTime, nullable=True)
    paused_by_id = sa.Column(
        sa.Integer, sa.ForeignKey(User.id, ondelete="SET NULL"), nullable=True
    )

    @classmethod
    def in_force(cls, now: datetime):
        """SQL for "a pause is on at `now`": a row whose ``until`` is ahead.

        A pause whose ``until`` passed is over without a write: the beat
        needs nobody to end it, and every reader agrees.
        """
        return sa.exists().where(sa.or_(cls.until.is_(None), cls.until > now))


class MaintenanceWindow(db.Model):
    """A recurring time when scheduled fires are held, such as Sundays 01:00-05:00.

    ``schedule`` is a stored crontab schedule (with its time zone) giving
    each window's start; ``duration`` its length in minutes.
    """

    __tablename__ = "jobs_maintenance_window"

    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    title = sa.Column(sa.String(255), nullable=False)
    schedule = sa.Column(JSON, nullable=False)
    duration = sa.Column(sa.Integer, nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created = timestamp_column()
    updated = timestamp_column()


class AlertState(db.Model):
    """Whether one alert of a job holds now: one row per job and alert kind.

    The row is what makes an alert fire once when its condition starts and
    once when it ends: the start is an upsert that only changes an ended (or
    missing) row, the end a conditional update of an open one, so several
    maintenance processes at once never fire it twice.
    """

    __tablename__ = "jobs_alert"

    job_id = sa.Column(
        sa.Uuid, sa.ForeignKey(Job.id, ondelete="CASCADE"), primary_key=True
    )
    kind = sa.Column(sa.String(16), primary_key=True)
    started_at = sa.Column(UTCDateTime, nullable=False)
    # NULL while the condition holds.
    ended_at = sa.Column(UTCDateTime, nullable=True)


class AlertDelivery(db.Model):
    """One message about an alert to one receiver (a webhook or the e-mails).

    Written in the transaction that starts or ends the alert, with the body
    it sends; sent and retried by the delivery task until it is delivered
    or out of tries. ``due_at`` is NULL once nothing more will be tried.
    """

    __tablename__ = "jobs_alert_delivery"
    __table_args__ = (
        # A job's deliveries, newest first (the job page).
        sa.Index("ix_jobs_alert_delivery_job_id", "job_id", "created"),
        # Deliveries waiting to be tried, by due time.
        sa.Index("ix_jobs_alert_delivery_due_at", "due_at"),
    )

    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    job_id = sa.Column(
        sa.Uuid, sa.ForeignKey(Job.id, ondelete="CASCADE"), nullable=False
    )
    kind = sa.Column(sa.String(16), nullable=False)
    # ``started`` or ``recovered``.
    event = sa.Column(sa.String(16), nullable=False)
    # ``webhook`` or ``email``.
    channel = sa.Column(sa.String(16), nullable=False)
    # The URL, or the e-mail addresses separated by commas.
    target = sa.Column(sa.Text, nullable=False)
    body = sa.Column(JSON, nullable=False)
    # ``pending``, ``delivered`` or ``failed``.
    status = sa.Column(sa.String(16), nullable=False, default="pending")
    tries = counter_column()
    last_error = sa.Column(sa.Text, nullable=True)
    due_at = sa.Column(UTCDateTime, nullable=True)
    delivered_at = sa.Column(UTCDateTime, nullable=True)
    created = timestamp_column()


def delete_alerts(job_id):
    """Delete a job's alerts and their deliveries; the caller commits.

    Explicit for the reason :func:`delete_runs` is.
    """
    for model in (AlertDelivery, AlertState):
        db.session.execute(
            sa.delete(model)
            .where(model.job_id == job_id)
            .execution_options(synchronize_session=False)
        )
