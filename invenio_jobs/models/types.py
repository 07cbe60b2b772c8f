# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Column types and values shared by the job system's tables.

Times are stored as UTC (``UTCDateTime``). A run's status is one letter, the
same as in InvenioRDM's invenio-jobs, so that clients reading it keep working.
"""

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from invenio_db import db
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
"""JSON column type: JSONB on PostgreSQL, JSON text elsewhere."""


def utcnow() -> datetime:
    """The current time, aware, in UTC: how every time of the job system is kept."""
    return datetime.now(timezone.utc)


class RunStatusEnum(enum.Enum):
    """The states a run goes through; the one-letter values are InvenioRDM's."""

    QUEUED = "Q"
    RUNNING = "R"
    SUCCESS = "S"
    FAILED = "F"
    WARNING = "W"
    CANCELLING = "C"
    CANCELLED = "X"
    PARTIAL_SUCCESS = "P"

    @classmethod
    def active(cls) -> tuple["RunStatusEnum", ...]:
        """Statuses of a run that has not ended yet."""
        return (cls.QUEUED, cls.RUNNING, cls.CANCELLING)

    @classmethod
    def finished(cls) -> tuple["RunStatusEnum", ...]:
        """Statuses of a run that has ended."""
        return tuple(s for s in cls if s not in cls.active())

    @property
    def is_finished(self) -> bool:
        """Whether a run in this status has ended."""
        return self not in self.active()


class RunTrigger(enum.StrEnum):
    """How a run came to be."""

    MANUAL = "manual"
    """Started by someone: the admin UI, the API, the command line."""
    SCHEDULED = "scheduled"
    """Its job's schedule fired on time."""
    COALESCE = "coalesce"
    """Fire times were missed; one run stands for all of them."""
    CATCH_UP = "catch_up"
    """Fire times were missed; this is one of the runs that catch up."""
    SUBTASK = "subtask"
    """Sent by another run of the job (``current_run.spawn_subtask``)."""
    AFTER = "after"
    """Another job it runs after ended (its ``after_run_id``)."""


class RunTriggerType(sa.types.TypeDecorator):
    """Stores a :class:`RunTrigger` as its word; reads it back as the member."""

    impl = sa.String(16)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """The word of a trigger (a plain word is checked, too)."""
        return None if value is None else RunTrigger(value).value

    def process_result_value(self, value, dialect):
        """The trigger of a stored word."""
        return None if value is None else RunTrigger(value)


RunStatus = sa.Enum(
    RunStatusEnum,
    name="status",
    native_enum=False,
    create_constraint=False,
    length=1,
    values_callable=lambda enum_cls: [member.value for member in enum_cls],
    validate_strings=True,
)
"""Stores a :class:`RunStatusEnum` as its letter in a one-character column."""


class UTCDateTime(db.UTCDateTime):
    """invenio-db's UTC time, in statements that SQLAlchemy may cache.

    invenio-db's type says ``cache_ok = False``, so that every statement
    naming such a column was compiled anew: a few milliseconds each, most
    of what starting or ending a run cost. Its SQL never depends on
    arguments of the type, so its statements can be cached.
    """

    cache_ok = True


def timestamp_column():
    """``created`` or ``updated`` of ``db.Timestamp``, with the cacheable type."""
    return sa.Column(
        UTCDateTime, default=lambda: datetime.now(tz=timezone.utc), nullable=False
    )


def counter_column():
    """A counter column: zero for new rows, also when written by plain SQL."""
    return sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
