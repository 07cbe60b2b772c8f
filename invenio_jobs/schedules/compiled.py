# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Compiled schedules: the fire times of a schedule that is parsed already.

A compiled schedule is what ``validate_schedule`` returns, and the object that
answers every question about a schedule without parsing it again:

- :class:`CronSchedule` walks the wall clock of its time zone, following the
  DST rules of the package (see the ``invenio_jobs.schedules`` docstring);
- :class:`IntervalSchedule` counts a grid ``anchor + k * interval``;
  :meth:`CompiledSchedule.anchored` puts it on a job's grid.

A compiled schedule reads like the normalised stored schedule it comes from
(a read-only mapping with the same keys and values), so code written for the
stored dict keeps working; :attr:`CompiledSchedule.data` is a plain dict to
store in the database.

Every datetime in and out here is aware and in UTC: the functions of
``fires`` convert what callers give.
"""

from calendar import monthrange
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from ..errors import InvalidScheduleError

_SEARCH_YEARS = 401
"""How far ahead a cron search looks: one 400-year Gregorian cycle and a bit.

Every date that exists falls on every weekday within one cycle, so a schedule
that passed validation always fires within this window (a 29 February that
must also be a Monday can be 40 years away).
"""

_WALK_CAP = 100_000
"""How many missed cron fire times :meth:`CronSchedule.due` counts one by one."""

_ONE_MICROSECOND = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)


class CompiledSchedule(Mapping):
    """A validated schedule, parsed once, that answers every question about it.

    It reads as the normalised stored schedule (``schedule["type"]``,
    ``schedule == {...}``); :attr:`data` is a plain copy to store. Times in
    and out are aware UTC datetimes.
    """

    def __init__(self, data: dict):
        """Keep the normalised stored schedule."""
        self._data = data

    @property
    def data(self) -> dict:
        """The normalised schedule as stored in the database: a new plain dict."""
        return dict(self._data)

    def __getitem__(self, key):
        """A field of the normalised schedule."""
        return self._data[key]

    def __iter__(self):
        """The keys of the normalised schedule."""
        return iter(self._data)

    def __len__(self) -> int:
        """How many keys the normalised schedule has."""
        return len(self._data)

    def __repr__(self) -> str:
        """The class and the normalised schedule."""
        return f"{type(self).__name__}({self._data!r})"

    def anchored(self, anchor: datetime | None) -> "CompiledSchedule":
        """The schedule with its grid through `anchor`, without parsing again.

        Only intervals have a grid; a crontab returns itself.
        """
        return self

    def iter_after(self, after: datetime) -> Iterator[datetime]:
        """The fire times strictly after `after`, in order, without repeats."""
        raise NotImplementedError

    def next_after(self, after: datetime) -> datetime:
        """The first fire time strictly after `after`."""
        return next(self.iter_after(after))

    def due(self, first: datetime, now: datetime, cutoff: datetime, keep: int):
        """The fire times from `first` (itself one) up to `now`.

        Returns the last `keep` of them, how many there are, and how many are
        older than `cutoff`.
        """
        raise NotImplementedError


class IntervalSchedule(CompiledSchedule):
    """A compiled interval schedule: a grid of fire times.

    The grid goes through its anchor (see :meth:`anchored`); without one, it
    starts at the time asked about.
    """

    def __init__(self, data: dict, delta: timedelta, anchor: datetime | None = None):
        """Keep the normalised schedule, the interval's length and the anchor."""
        super().__init__(data)
        self.delta = delta
        self.anchor = anchor

    def anchored(self, anchor: datetime | None) -> "IntervalSchedule":
        """The same interval on the grid through `anchor`."""
        return IntervalSchedule(self._data, self.delta, anchor)

    def _anchor_for(self, after: datetime) -> datetime:
        """The grid's anchor; without one, the grid starts at `after`."""
        return self.anchor if self.anchor is not None else after

    def _k_after(self, anchor: datetime, after: datetime) -> int:
        """The index of the first grid point strictly after `after`."""
        return max(1, (after - anchor) // self.delta + 1)

    def next_after(self, after: datetime) -> datetime:
        """The first grid point strictly after `after`, without iterating."""
        anchor = self._anchor_for(after)
        return anchor + self._k_after(anchor, after) * self.delta

    def iter_after(self, after: datetime) -> Iterator[datetime]:
        """The grid points strictly after `after`, in order."""
        anchor = self._anchor_for(after)
        k = self._k_after(anchor, after)
        while True:
            yield anchor + k * self.delta
            k += 1

    def due(self, first: datetime, now: datetime, cutoff: datetime, keep: int):
        """Count the fire times from `first` up to `now` without listing them.

        Returns the last `keep` of them, how many there are, and how many are
        older than `cutoff`.
        """
        anchor = self._anchor_for(first)
        k_low = self._k_after(anchor, first)
        k_high = (now - anchor) // self.delta
        on_grid = max(0, k_high - k_low + 1)
        k_late = min(k_high, (cutoff - _ONE_MICROSECOND - anchor) // self.delta)
        late = max(0, k_late - k_low + 1) + (1 if first < cutoff else 0)
        kept = [
            anchor + k * self.delta
            for k in range(max(k_low, k_high - keep + 1), k_high + 1)
        ]
        if len(kept) < keep:
            kept.insert(0, first)
        return kept, on_grid + 1, late


class CronSchedule(CompiledSchedule):
    """A compiled crontab schedule, evaluated on the zone's wall clock."""

    def __init__(self, data: dict, parsed: crontab, zone: ZoneInfo):
        """Keep Celery's expanded fields as sorted lists, and the time zone."""
        super().__init__(data)
        self.parsed = parsed
        self.minutes = sorted(parsed.minute)
        self.hours = sorted(parsed.hour)
        self.days_of_week = set(parsed.day_of_week)
        self.days_of_month = sorted(parsed.day_of_month)
        self.months = sorted(parsed.month_of_year)
        self.zone = zone

    def _to_utc(self, wall: datetime) -> datetime:
        """The instant a wall-clock time fires at, following the DST rules."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(timezone.utc)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            # It exists; fold=0 is its first occurrence when it is repeated.
            return first
        # It falls in a gap: find the instant the gap ends, to the second.
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(timezone.utc)
        low, high = min(first, second), max(first, second)
        offset = low.astimezone(self.zone).utcoffset()
        while high - low > _ONE_SECOND:
            middle = low + ((high - low) // 2 // _ONE_SECOND) * _ONE_SECOND
            if middle.astimezone(self.zone).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return high

    def _days_from(self, start: date) -> Iterator[date]:
        """The dates from `start` on whose day, month and weekday all match."""
        for year in range(start.year, min(start.year + _SEARCH_YEARS, 10000)):
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                length = monthrange(year, month)[1]
                for day in self.days_of_month:
                    if day > length:
                        break
                    current = date(year, month, day)
                    if current < start:
                        continue
                    if current.isoweekday() % 7 in self.days_of_week:
                        yield current

    def iter_after(self, after: datetime) -> Iterator[datetime]:
        """The fire times strictly after `after`, in order, without repeats."""
        last = after
        wall = after.astimezone(self.zone).replace(tzinfo=None)
        for day in self._days_from(wall.date()):
            first_day = day == wall.date()
            for hour in self.hours:
                if first_day and hour < wall.hour:
                    continue
                for minute in self.minutes:
                    if first_day and hour == wall.hour and minute < wall.minute:
                        continue
                    fire = self._to_utc(datetime.combine(day, time(hour, minute)))
                    # Wall-clock order maps to UTC order, but times in a gap
                    # share an instant and the repeated hour maps back in
                    # time: keep only instants after the last one.
                    if fire > last:
                        last = fire
                        yield fire
        raise InvalidScheduleError(
            "day_of_month",
            f"The schedule does not fire within {_SEARCH_YEARS} years of {after}.",
        )

    def due(self, first: datetime, now: datetime, cutoff: datetime, keep: int):
        """Walk the fire times from `first` up to `now`.

        Returns the last `keep` of them, how many there are, and how many are
        older than `cutoff`. Past ``_WALK_CAP`` fire times, the walk jumps to
        shortly before `now`, and the counts are lower bounds.
        """
        kept = deque([first], maxlen=keep)
        total = 1
        late = 1 if first < cutoff else 0
        walked = first
        for fire in self.iter_after(first):
            if fire > now:
                return list(kept), total, late
            if total >= _WALK_CAP:
                break
            kept.append(fire)
            total += 1
            late += fire < cutoff
            walked = fire
        # A huge backlog: find the latest `keep` fire times by looking back
        # from `now` over a window that doubles until it holds enough of them.
        window = timedelta(hours=1)
        while True:
            start = max(walked, now - window)
            recent = []
            for fire in self.iter_after(start):
                if fire > now:
                    break
                recent.append(fire)
            if len(recent) >= keep or start == walked:
                break
            window *= 2
        kept.extend(recent)
        total += len(recent)
        late += sum(1 for fire in recent if fire < cutoff)
        return list(kept), total, late
