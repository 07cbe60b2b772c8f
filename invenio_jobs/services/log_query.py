# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The log search language: InvenioRDM's query strings, read by luqum, as SQL.

InvenioRDM's clients send ``/api/logs/jobs?q=`` the query string syntax of
its search engine; the same strings are read here with luqum (the parser
invenio-records-resources uses) and turned into one SQL condition over
``jobs_run_log``:

=============================================  ================================
``word``, ``"a phrase"``, ``DOI*``              the message contains it (any case)
``message:...``                                 the same, said explicitly
``level:ERROR``, ``level:>=WARNING``            the level, or levels from one up
``@timestamp:[2026-01-01 TO now-1d]``           a time range (also ``>``, ``<=``)
``context.run_id:<uuid>``                       the lines of a run and its subtasks
``context.job_id:<uuid>``                       the lines of every run of a job
``context.task_id``, ``context.identity_id``,   the run's (or the line's own)
``context.parent_run_id``                       values
``logger``, ``module``, ``function``, ``line``  where the line was written
``AND``, ``OR``, ``NOT``, ``-``, ``+``, ``()``  as in the search engine; words
                                                side by side must all match
=============================================  ================================

Words match as substrings, so that DOIs, paths and identifiers are found
whole or in part: on PostgreSQL a trigram index on the message answers
them; SQLite reads the table. A query this module cannot read raises
:class:`LogQueryError`, which says where.
"""

import re
import uuid
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from invenio_i18n import gettext as _
from luqum import tree
from luqum.exceptions import ParseError
from luqum.thread import parse
from sqlalchemy.dialects.postgresql import ARRAY

from ..models import Run, RunLog, utcnow
from .schemas.logs import LOG_LEVELS

OWNER_FIELDS = {
    "context.run_id": "run",
    "run_id": "run",
    "context.job_id": "job",
    "job_id": "job",
}
"""Fields that name the runs whose lines are read (a run's log, a job's)."""

TEXT_FIELDS = {
    "message": lambda: RunLog.message,
    "logger": lambda: RunLog.logger,
    "module": lambda: RunLog.context["module"].as_string(),
    "function": lambda: RunLog.context["function"].as_string(),
}
"""Fields compared as text, with ``*`` and ``?`` wildcards."""

TIME_FIELDS = ("@timestamp", "timestamp")

LISTED_RUNS = 1000
"""Most run ids a query names in its statement (a job's runs, a run's subtasks)."""

RELATIVE_TIME = re.compile(r"^now(?:-(\d+)([smhdw]))?(?:/[smhdw])?$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class LogQueryError(ValueError):
    """A query that cannot be read; ``str()`` says what and where."""


def _where(item) -> str:
    """Where an element of the query starts, as a reader counts (from 1)."""
    if getattr(item, "pos", None) is None:
        return ""
    return _(" (at character %(position)s)", position=item.pos + 1)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _escape_like(char: str) -> str:
    """One character as LIKE reads it literally."""
    return char.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(value: str) -> tuple[str, bool]:
    """The LIKE pattern of a query word, and whether it had wildcards.

    ``*`` and ``?`` not escaped by a backslash are the wildcards; every
    other character stands for itself.
    """
    pattern, wild, index = [], False, 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            index += 1
            pattern.append(_escape_like(value[index]))
        elif char in "*?":
            pattern.append("%" if char == "*" else "_")
            wild = True
        else:
            pattern.append(_escape_like(char))
        index += 1
    return "".join(pattern), wild


class LogQuery:
    """One query string read into a SQL condition over ``jobs_run_log``.

    ``owner`` is the run or job id when the query only names one (``q=<id>``,
    InvenioRDM's way of asking for a log): such a log reads in time order,
    every other query is a search whose hits come newest first.
    """

    def __init__(self, text: str, dialect: str = "postgresql", read_run_ids=None):
        """Read ``text`` for ``dialect``; raise :class:`LogQueryError` if unreadable.

        ``read_run_ids(select, most)``, when given, reads the ids of the runs
        a query names (a job's runs, a run's subtasks), or returns None when
        there are more than ``most``: see :meth:`_owned`.
        """
        self.text = text
        self.dialect = dialect
        self.read_run_ids = read_run_ids
        self.owner = None
        stripped = text.strip()
        try:
            self.owner = uuid.UUID(stripped.strip('"'))
        except ValueError:
            pass
        if self.owner is not None:
            self.condition = self._owned(
                sa.or_(Run.id == self.owner, Run.job_id == self.owner)
            )
            return
        try:
            parsed = parse(stripped)
        except ParseError as error:
            raise LogQueryError(self._parse_message(str(error))) from None
        if isinstance(parsed, tree.SearchField) and parsed.name in OWNER_FIELDS:
            value = parsed.expr
            if isinstance(value, (tree.Word, tree.Phrase)):
                self.owner = self._uuid(parsed.name, value)
        self.condition = self._condition(parsed, None)

    @staticmethod
    def _parse_message(reason: str) -> str:
        found = re.search(r"position (\d+)", reason)
        if found:
            near = re.search(r"'(.*)'", reason)
            return _(
                "The query cannot be read at character %(position)s, near "
                "'%(near)s': check its quotes, parentheses and operators.",
                position=int(found.group(1)) + 1,
                near=(near.group(1) if near else "")[:40],
            )
        return _(
            "The query ends too early: a parenthesis or a quote is not closed, "
            "or an operator has nothing after it."
        )

    def _condition(self, item, field):
        """The SQL condition of one element of the tree, within ``field``."""
        if isinstance(item, (tree.AndOperation, tree.UnknownOperation)):
            return sa.and_(*(self._condition(op, field) for op in item.children))
        if isinstance(item, tree.OrOperation):
            return sa.or_(*(self._condition(op, field) for op in item.children))
        if isinstance(item, (tree.Not, tree.Prohibit)):
            # A line without the field matches NOT field:value: without
            # COALESCE, SQL's NOT NULL would leave it out.
            return sa.not_(sa.func.coalesce(self._condition(item.a, field), False))
        if isinstance(item, tree.Plus):
            return self._condition(item.a, field)
        if isinstance(item, (tree.Group, tree.FieldGroup)):
            return self._condition(item.expr, field)
        if isinstance(item, tree.Boost):
            return self._condition(item.expr, field)
        if isinstance(item, tree.SearchField):
            if field is not None:
                raise LogQueryError(
                    _("A field inside another field's value%(where)s.")
                    % {"where": _where(item)}
                )
            return self._condition(item.expr, self._field(item))
        if isinstance(item, (tree.Word, tree.Phrase)):
            return self._term(field or "message", item)
        if isinstance(item, (tree.Range, tree.From, tree.To)):
            return self._range(field or "message", item)
        raise LogQueryError(
            _(
                "This query form is not supported here%(where)s: use words, "
                "phrases, fields, ranges, AND, OR, NOT and parentheses."
            )
            % {"where": _where(item)}
        )

    @staticmethod
    def _field(item) -> str:
        known = (*OWNER_FIELDS, *TEXT_FIELDS, *TIME_FIELDS, "level", "line")
        extra = ("context.task_id", "context.identity_id", "context.parent_run_id")
        if item.name in known or item.name in extra:
            return item.name
        raise LogQueryError(
            _("Unknown field '%(field)s'%(where)s; the fields are: %(fields)s.")
            % {
                "field": item.name,
                "where": _where(item),
                "fields": ", ".join(
                    ("message", "level", "@timestamp", "logger", "module")
                    + ("function", "line", "context.run_id", "context.job_id")
                    + extra
                ),
            }
        )

    @staticmethod
    def _value(item) -> str:
        if isinstance(item, tree.Phrase):
            return _unescape(item.value[1:-1])
        return item.value

    def _uuid(self, field, item) -> uuid.UUID:
        try:
            return uuid.UUID(self._value(item).strip())
        except ValueError:
            raise LogQueryError(
                _("%(field)s takes the id of a run or a job%(where)s.")
                % {"field": field, "where": _where(item)}
            ) from None

    def _owned(self, runs_where):
        """Lines of the runs matching ``runs_where`` and of their subtasks.

        On PostgreSQL, the ids of up to :data:`LISTED_RUNS` runs are read
        first and named in the statement: the planner then knows, from each
        day's statistics, how few of that day's lines are theirs, and reads
        them through the run index (a job's phrase in today's unindexed
        partition: 15 ms instead of 100). More runs are read once into an
        array (``run_id = ANY(ARRAY(SELECT ...))``), probed the same way
        when the planner guesses so; a plain ``IN`` subquery elsewhere.
        """
        runs = sa.select(Run.id).where(
            sa.or_(
                runs_where, Run.parent_run_id.in_(sa.select(Run.id).where(runs_where))
            )
        )
        if self.dialect == "postgresql" and self.read_run_ids is not None:
            ids = self.read_run_ids(runs, LISTED_RUNS)
            if ids is not None:
                return RunLog.run_id.in_(ids)
        if self.dialect == "postgresql":
            ids = sa.func.array(runs.scalar_subquery(), type_=ARRAY(sa.Uuid))
            return RunLog.run_id == sa.any_(ids)
        return RunLog.run_id.in_(runs)

    def _term(self, field, item):
        """A word or phrase in ``field``."""
        if isinstance(item, tree.Word) and item.value == "*":
            return self._exists(field)
        if field in OWNER_FIELDS:
            owner = self._uuid(field, item)
            if OWNER_FIELDS[field] == "run":
                return self._owned(Run.id == owner)
            return self._owned(Run.job_id == owner)
        if field == "context.parent_run_id":
            return RunLog.run_id.in_(
                sa.select(Run.id).where(Run.parent_run_id == self._uuid(field, item))
            )
        if field == "context.task_id":
            task = self._value(item).strip()
            try:
                task_uuid = uuid.UUID(task)
            except ValueError:
                return RunLog.context["task_id"].as_string() == task
            return sa.or_(
                RunLog.run_id.in_(sa.select(Run.id).where(Run.task_id == task_uuid)),
                RunLog.context["task_id"].as_string() == task,
            )
        if field == "context.identity_id":
            return RunLog.run_id.in_(sa.select(Run.id).where(self._identity(item)))
        if field == "level":
            return RunLog.level == self._level(item)
        if field == "line":
            return RunLog.context["line"].as_integer() == self._integer(field, item)
        if field in TIME_FIELDS:
            start, end = self._day_or_moment(item)
            return sa.and_(RunLog.timestamp >= start, RunLog.timestamp < end)
        column = TEXT_FIELDS[field]()
        if isinstance(item, tree.Phrase):
            literal = self._value(item)
            pattern, wild = "".join(map(_escape_like, literal)), False
        else:
            literal = _unescape(item.value)
            pattern, wild = _like(item.value)
        if field == "message":
            return column.ilike(f"%{pattern}%", escape="\\")
        if wild:
            return column.like(pattern, escape="\\")
        return column == literal

    def _exists(self, field):
        if field in TEXT_FIELDS:
            return TEXT_FIELDS[field]().is_not(None)
        return sa.true()

    def _identity(self, item):
        value = self._value(item).strip()
        if value == "system":
            return Run.started_by_id.is_(None)
        return Run.started_by_id == self._integer("context.identity_id", item)

    @staticmethod
    def _integer(field, item) -> int:
        try:
            return int(item.value if isinstance(item, tree.Word) else item)
        except (TypeError, ValueError):
            raise LogQueryError(
                _("%(field)s takes a whole number%(where)s.")
                % {"field": field, "where": _where(item)}
            ) from None

    @staticmethod
    def _level(item) -> str:
        level = LogQuery._value(item).strip().upper()
        if level == "WARN":
            level = "WARNING"
        if level not in LOG_LEVELS:
            raise LogQueryError(
                _("level is one of %(levels)s%(where)s.")
                % {"levels": ", ".join(LOG_LEVELS), "where": _where(item)}
            )
        return level

    def _moment(self, item, end_of_day=False) -> datetime:
        """A time of the query: ISO 8601, a date, ``now`` or ``now-3d``."""
        value = self._value(item).strip()
        relative = RELATIVE_TIME.match(value)
        if relative:
            moment = utcnow()
            if relative.group(1):
                delta = timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
                moment -= delta
            return moment
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                if end_of_day:
                    day += timedelta(days=1)
                return datetime.combine(day, time(), tzinfo=timezone.utc)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise LogQueryError(
                _(
                    "@timestamp takes a date or time such as 2026-01-31 or "
                    "2026-01-31T12:00:00Z, or now-1d%(where)s."
                )
                % {"where": _where(item)}
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)

    def _day_or_moment(self, item):
        """``@timestamp:2026-01-31`` is that whole day; a time, that second."""
        start = self._moment(item)
        if len(self._value(item).strip()) == 10:
            return start, self._moment(item, end_of_day=True)
        return start, start + timedelta(seconds=1)

    def _range(self, field, item):
        """``[a TO b]``, ``{a TO b}``, ``>a``, ``<=b`` on time or level."""
        if isinstance(item, tree.Range):
            low, high = item.low, item.high
            include_low, include_high = item.include_low, item.include_high
        elif isinstance(item, tree.From):
            low, high, include_low, include_high = item.a, None, item.include, True
        else:
            low, high, include_low, include_high = None, item.a, True, item.include
        low = None if low is not None and self._value(low) == "*" else low
        high = None if high is not None and self._value(high) == "*" else high
        if field in TIME_FIELDS:
            parts = []
            if low is not None:
                bound = self._moment(low, end_of_day=not include_low)
                parts.append(
                    RunLog.timestamp >= bound
                    if include_low or len(self._value(low)) == 10
                    else RunLog.timestamp > bound
                )
            if high is not None:
                bound = self._moment(high, end_of_day=include_high)
                parts.append(
                    RunLog.timestamp < bound
                    if not include_high or len(self._value(high)) == 10
                    else RunLog.timestamp <= bound
                )
            return sa.and_(*parts)
        if field == "level":
            order = list(LOG_LEVELS)
            first = order.index(self._level(low)) if low is not None else 0
            last = order.index(self._level(high)) if high is not None else len(order)
            first += 0 if include_low or low is None else 1
            last += 1 if include_high and high is not None else 0
            return RunLog.level.in_(order[first:last])
        if field == "line":
            parts = []
            column = RunLog.context["line"].as_integer()
            if low is not None:
                value = self._integer(field, low)
                parts.append(column >= value if include_low else column > value)
            if high is not None:
                value = self._integer(field, high)
                parts.append(column <= value if include_high else column < value)
            return sa.and_(*parts)
        raise LogQueryError(
            _("Ranges apply to @timestamp, level and line, not %(field)s%(where)s.")
            % {"field": field, "where": _where(item)}
        )
