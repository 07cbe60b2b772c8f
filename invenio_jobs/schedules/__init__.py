# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Schedules of jobs: cron, intervals, time zones and DST; a time in, a time out.

A job's schedule is stored as JSON, in one of two shapes:

``{"type": "crontab", "minute": "0", "hour": "2", "day_of_week": "*",
"day_of_month": "*", "month_of_year": "*", "timezone": "Europe/Zurich"}``
    Fields use Celery's crontab syntax (``"*/15"``, ``"1-5"``, ``"mon-fri"``,
    ``"0,30"``, or an integer); a missing field means ``"*"``. Day of week
    counts from 0 = Sunday (0-6, or ``sun`` to ``sat``). Month names (``jan``
    to ``dec``) are accepted and stored as numbers, since Celery only knows
    day names. As in Celery, and unlike Vixie cron, a time fires only when
    *all* fields match: ``day_of_month="1-7"`` with ``day_of_week="mon"``
    means "the first Monday of the month". Like Celery, a range may wrap
    around (``"fri-mon"``, ``"50-10"``).

``{"type": "interval", "hours": 4}``
    One or more of ``weeks``, ``days``, ``hours``, ``minutes`` and
    ``seconds`` (integers or floats, at least 0, total above 0). Fire times
    form a grid ``anchor + k * interval`` (``k >= 1``), where the anchor is
    when the job was created or its schedule last changed, so that fire times
    never drift. Intervals count absolute time and ignore DST.

Cron schedules are evaluated on the wall clock of the schedule's time zone.
Daylight saving time follows three rules:

- each matching wall-clock time fires once;
- a wall-clock time that does not exist (the hour skipped when clocks spring
  forward) fires at the first instant after the gap: a daily 02:30 job in
  Europe/Zurich fires at 03:00 CEST on the day clocks go from 02:00 to
  03:00; several matches inside one gap fire once, at that instant;
- a wall-clock time that occurs twice (the hour repeated when clocks fall
  back) fires at its first occurrence only.

So a daily job fires exactly once on every day, DST or not, and successive
fire times always increase.

A schedule is validated and compiled once: :func:`validate_schedule` returns
a :class:`CompiledSchedule` (its ``data`` is the normalised dict to store),
and :func:`next_fire_after`, :func:`fire_times`, :func:`plan_fires` and
:func:`describe` take it as it is. They take a stored dict too, and then
compile it once per call; code that asks several questions about one
schedule compiles it first.

The modules, each importing only those listed before it:

``compiled``
    the compiled schedules: the fire times of a crontab on its zone's wall
    clock, and the grid of an interval;
``validation``
    :func:`validate_schedule`: strict checks that name the wrong field, the
    normalised stored form, Celery's parser, the time zone;
``fires``
    :func:`next_fire_after`, :func:`fire_times` and the misfire plan
    :func:`plan_fires` of a due job;
``words``
    :func:`describe`, and the short forms :func:`parse_cron_expression` and
    :func:`parse_every`;
``windows``
    maintenance windows: :func:`compile_window` and :func:`held_until`, the
    end of the windows holding a time.

Nothing here touches Flask or the database: every function takes a schedule
and aware datetimes (naive ones are taken as UTC) and returns aware UTC
datetimes.
"""

from .compiled import CompiledSchedule, CronSchedule, IntervalSchedule
from .fires import MISFIRE_POLICIES, FirePlan, fire_times, next_fire_after, plan_fires
from .validation import CRON_FIELDS, INTERVAL_UNITS, validate_schedule
from .windows import Window, compile_window, held_until, hold_fire_times
from .words import describe, parse_cron_expression, parse_every

__all__ = (
    "CRON_FIELDS",
    "INTERVAL_UNITS",
    "MISFIRE_POLICIES",
    "CompiledSchedule",
    "CronSchedule",
    "FirePlan",
    "IntervalSchedule",
    "describe",
    "fire_times",
    "next_fire_after",
    "parse_cron_expression",
    "parse_every",
    "plan_fires",
    "validate_schedule",
    "Window",
    "compile_window",
    "held_until",
    "hold_fire_times",
)
