# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Fire times: the next one, a preview, and the misfire plan of a due job.

Each function takes a schedule, compiled or stored (a stored one is compiled
once per call), and aware datetimes (naive ones are taken as UTC); each
returns aware UTC datetimes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import InvalidScheduleError
from .compiled import CompiledSchedule
from .validation import validate_schedule

MISFIRE_POLICIES = ("coalesce", "skip", "catch_up")
"""What a job does with fire times it missed: run once, drop them, run each."""


def _as_utc(value: datetime, name: str) -> datetime:
    """Return an aware UTC datetime; naive datetimes are taken as UTC."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def next_fire_after(
    schedule: dict | CompiledSchedule,
    after: datetime,
    anchor: datetime | None = None,
    default_timezone: str = "UTC",
) -> datetime:
    """Next fire time strictly after `after`, an aware UTC datetime.

    The scheduler stores it as the job's next run time; `anchor` (creation
    or last schedule change) keeps interval schedules on their grid.
    """
    after = _as_utc(after, "after")
    if anchor is not None:
        anchor = _as_utc(anchor, "anchor")
    compiled = validate_schedule(schedule, default_timezone).anchored(anchor)
    return compiled.next_after(after)


def fire_times(
    schedule: dict | CompiledSchedule,
    after: datetime,
    count: int = 5,
    anchor: datetime | None = None,
    default_timezone: str = "UTC",
) -> list[datetime]:
    """The next `count` fire times after `after` (for previews).

    Lets administrators check a schedule before saving it.
    """
    after = _as_utc(after, "after")
    if anchor is not None:
        anchor = _as_utc(anchor, "anchor")
    compiled = validate_schedule(schedule, default_timezone).anchored(anchor)
    if count <= 0:
        return []
    result = []
    for fire in compiled.iter_after(after):
        result.append(fire)
        if len(result) >= count:
            break
    return result


@dataclass(frozen=True)
class FirePlan:
    """What the beat scheduler does for a due job, so that it stays simple."""

    fires: list[datetime]
    """Fire times to create runs for, oldest first (each a run's scheduled_at)."""

    next_run_at: datetime
    """The job's next fire time after this tick (later than `now`)."""

    missed: int
    """How many fire times were missed beyond the grace (0 when on time)."""

    policy: str | None
    """The misfire policy applied, None when nothing was missed."""


def plan_fires(
    schedule: dict | CompiledSchedule,
    next_run_at: datetime,
    now: datetime,
    policy: str = "coalesce",
    anchor: datetime | None = None,
    grace: timedelta = timedelta(seconds=60),
    max_catch_up: int = 10,
    default_timezone: str = "UTC",
) -> FirePlan:
    """Decide which runs a due job gets at `now` and its next fire time.

    Keeps the misfire rules (grace, coalesce, skip, catch up) in one tested
    place instead of in the beat scheduler. Without an anchor, an interval's
    grid goes through the stored `next_run_at`.
    """
    if policy not in MISFIRE_POLICIES:
        raise InvalidScheduleError(
            "misfire_policy",
            f"Unknown misfire policy {policy!r}: use {', '.join(MISFIRE_POLICIES)}.",
        )
    next_run_at = _as_utc(next_run_at, "next_run_at")
    now = _as_utc(now, "now")
    anchor = next_run_at if anchor is None else _as_utc(anchor, "anchor")
    compiled = validate_schedule(schedule, default_timezone).anchored(anchor)
    if next_run_at > now:
        return FirePlan(fires=[], next_run_at=next_run_at, missed=0, policy=None)
    grace = max(grace, timedelta(0))
    kept, total, late = compiled.due(
        next_run_at, now, now - grace, max(max_catch_up, 1)
    )
    upcoming = compiled.next_after(now)
    if total == 1 and now - next_run_at <= grace:
        return FirePlan(
            fires=[next_run_at], next_run_at=upcoming, missed=0, policy=None
        )
    latest = kept[-1]
    if policy == "coalesce":
        fires = [latest]
    elif policy == "skip":
        fires = [latest] if now - latest <= grace else []
    else:
        fires = list(kept)
    return FirePlan(
        fires=fires,
        next_run_at=upcoming,
        missed=late,
        policy=policy if late else None,
    )
