# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Short ways to write schedules and expectations in the schedule tests."""

from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from invenio_jobs.errors import InvalidScheduleError
from invenio_jobs.schedules import next_fire_after

UTC = timezone.utc


def utc(*args) -> datetime:
    """An aware UTC datetime, to keep the expectations short."""
    return datetime(*args, tzinfo=UTC)


def cron(**fields) -> dict:
    """A crontab schedule with the given fields."""
    return {"type": "crontab", **fields}


def every(**units) -> dict:
    """An interval schedule with the given units."""
    return {"type": "interval", **units}


def between(schedule: dict, start: datetime, end: datetime, **kwargs) -> list:
    """All fire times after `start` up to `end`."""
    result = []
    current = start
    while True:
        current = next_fire_after(schedule, current, **kwargs)
        if current > end:
            return result
        result.append(current)


@contextmanager
def raises_on(field: str):
    """Expect an InvalidScheduleError that names `field`."""
    with pytest.raises(InvalidScheduleError) as info:
        yield info
    assert info.value.field == field, str(info.value)
