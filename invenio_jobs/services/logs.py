# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The run logs service: search the logs of a run or a job, tail a run's log.

Lines live in ``jobs_run_log``; the API speaks InvenioRDM's log search
(``q``, ``sort``, ``search_after``, ``hits.sort``, ``warnings``), whose
search index this module does not need.
"""

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from invenio_i18n import gettext as _
from invenio_records_resources.services.base import LinksTemplate, Service
from invenio_records_resources.services.errors import PermissionDeniedError
from marshmallow import ValidationError

from ..database.partitions import partitions
from ..models import Job, Run, RunLog, utcnow
from ..proxies import current_jobs
from .base import like_pattern, user_id_of
from .grants import readable_jobs, require_on_job
from .log_query import LogQuery, LogQueryError
from .schemas import levels_from

LINE_FIELDS = ("function", "line", "module")
"""What a line stores in its context JSON but InvenioRDM serves beside it."""


def run_log_context(run: Run | None) -> dict:
    """The context every line of a run shares; lines store only their own.

    The keys are InvenioRDM's job context (``job_id``, ``run_id``,
    ``task_id``, ``parent_task_id``, ``identity_id``); a line's own values,
    such as the Celery task that wrote it, take precedence.
    """
    if run is None:
        return {}
    return {
        "run_id": str(run.id),
        "job_id": str(run.job_id),
        "task_id": run.task_id,
        "parent_task_id": None,
        "identity_id": str(run.started_by_id) if run.started_by_id else "system",
        "parent_run_id": str(run.parent_run_id) if run.parent_run_id else None,
    }


def dump_log(line: RunLog, context: dict) -> dict:
    """One log line, as the API serves it (InvenioRDM's log entry, and ours)."""
    own = dict(line.context or {})
    extra = {name: own.pop(name, None) for name in LINE_FIELDS}
    return {
        "id": line.id,
        "timestamp": line.timestamp.isoformat(),
        "level": line.level,
        "message": line.message,
        "logger": line.logger,
        "module": extra["module"] or line.logger,
        "function": extra["function"],
        "line": extra["line"],
        "context": {**context, **own},
        "sort": [line.id],
    }


def dump_hit(line: RunLog, owner) -> dict:
    """A line found by a search: the line, with its run and the run's job.

    ``owner`` is the line's run and its job's title (None if the run is
    gone); the run's number and status let a reader tell runs apart.
    """
    if owner is None:
        return dump_log(line, {})
    run, job_title = owner
    hit = dump_log(line, run_log_context(run))
    hit["run"] = {
        "id": str(run.id),
        "number": run.number,
        "status": run.status.name if run.status else None,
        "title": run.title,
        "parent_run_id": str(run.parent_run_id) if run.parent_run_id else None,
    }
    hit["job"] = {"id": str(run.job_id), "title": job_title}
    return hit


def _read_run_ids(runs, most):
    """The ids ``runs`` selects, or None when there are more than ``most``."""
    ids = db.session.scalars(runs.limit(most + 1)).all()
    return ids if len(ids) <= most else None


def _doubling(windows):
    """Consecutive spans of time (newest first) joined in groups of 1, 1, 2, 4...

    Spans meet end to end, so a group is the span from its oldest start to
    its newest end.
    """
    index, size = 0, 1
    while index < len(windows):
        group = windows[index : index + size]
        yield group[-1][0], group[0][1]
        index += size
        size = size * 2 if index > 1 else 1


class LogsService(Service):
    """Read logs: search a run's or a job's lines, or tail one run's log.

    ``search`` follows ``APP_LOGS_PERMISSION_POLICY`` (InvenioRDM's); a run's
    own log routes (tail, download) follow the runs' policy.
    """

    def _filtered(self, statement, level, text):
        levels = levels_from(level)
        if levels:
            statement = statement.where(RunLog.level.in_(levels))
        if text.strip():
            statement = statement.where(
                RunLog.message.ilike(like_pattern(text.strip()), escape="\\")
            )
        return statement

    def _lines(self, run_id, after, size, level, text):
        statement = self._filtered(
            sa.select(RunLog).where(RunLog.run_id == run_id), level, text
        )
        return statement, (
            statement.where(RunLog.id > after) if after is not None else statement
        ).order_by(RunLog.id).limit(size)

    @staticmethod
    def _query(text):
        """The query of ``q``; a query that cannot be read is a 400 on ``q``."""
        try:
            return LogQuery(text, db.engine.dialect.name, _read_run_ids)
        except LogQueryError as error:
            raise ValidationError({"q": [str(error)]}) from None

    @staticmethod
    def _owners(lines) -> dict:
        """Each line's run and the run's job title, in one query."""
        wanted = {line.run_id for line in lines}
        if not wanted:
            return {}
        rows = db.session.execute(
            sa.select(Run, Job.title)
            .join(Job, Job.id == Run.job_id)
            .where(Run.id.in_(wanted))
        )
        return {run.id: (run, title) for run, title in rows}

    @staticmethod
    def _count(base, cap):
        """How many lines match; a search stops counting at ``cap``.

        A log (one run's or one job's) is counted whole, as InvenioRDM's;
        a search across runs counts at most ``cap`` lines, as the search
        engine's ``track_total_hits`` does, so that a common word does not
        make every answer read the whole table.
        """
        ids = base.with_only_columns(RunLog.id)
        if cap is not None:
            ids = ids.limit(cap)
        return db.session.scalar(sa.select(sa.func.count()).select_from(ids.subquery()))

    @staticmethod
    def _count_newest(base, cap, windows, room):
        """A search's hits up to ``cap``, counted from the newest days back.

        The spans counted double each time (a day, a day, two, four...):
        counting stops once ``cap`` is reached, in the newest days for a
        common word, and a rare one costs a handful of statements, each
        reading its partitions with their own plans. While the hits fit in
        ``room`` (one answer), each count also brings their ids and times,
        so that a rare word's lines are then read by their keys rather than
        by reading the current hour's partition (which has no trigram
        index) again.
        Returns the total and those keys, or ``None`` when they did not fit.
        """
        total, ids, stamps = 0, [], []
        for start, end in _doubling(windows):
            statement = base.with_only_columns(RunLog.id, RunLog.timestamp)
            if start is not None:
                statement = statement.where(RunLog.timestamp >= start)
            if end is not None:
                statement = statement.where(RunLog.timestamp < end)
            hits = statement.limit(cap - total).subquery()
            fits = sa.func.count() <= room - total
            count, found_ids, found_stamps = db.session.execute(
                sa.select(
                    sa.func.count(),
                    sa.case((fits, sa.func.array_agg(hits.c.id))),
                    sa.case((fits, sa.func.array_agg(hits.c.timestamp))),
                ).select_from(hits)
            ).one()
            total += count
            if ids is not None and found_ids is not None:
                ids.extend(found_ids)
                stamps.extend(found_stamps)
            elif count:
                ids = None
            if total >= cap:
                return total, None
        return total, (ids, stamps) if ids is not None else None

    @staticmethod
    def _read_keys(keys, after, limit):
        """The lines of a search whose every hit is known by its id and time.

        The times let PostgreSQL read only the partitions that hold them,
        each through its primary key.
        """
        ids, stamps = keys
        wanted = [
            (line_id, stamp)
            for line_id, stamp in zip(ids, stamps)
            if after is None or line_id < after
        ]
        if not wanted:
            return [], False
        rows = db.session.scalars(
            sa.select(RunLog)
            .where(
                RunLog.id.in_([line_id for line_id, _stamp in wanted]),
                RunLog.timestamp.in_(sorted({stamp for _line_id, stamp in wanted})),
            )
            .order_by(RunLog.id.desc())
            .limit(limit + 1)
        ).all()
        return rows[:limit], len(rows) > limit

    def search(self, identity, params=None):
        """``/api/logs/jobs?q=``: a run's or a job's log, or a search of all logs.

        ``q`` naming a run or a job gives its lines in the order they were
        written (their id, which follows their time); any other query
        (:mod:`.log_query`) gives the matching lines of every run newest
        first. ``sort`` overrides either order; ``search_after`` continues
        after the last line read. Without ``size``, one answer holds up to
        ``JOBS_LOGS_MAX_RESULTS`` lines, read ``JOBS_LOGS_BATCH_SIZE`` at a
        time; when more remain, a ``truncated_results`` warning says so and
        ``hits.sort`` continues. Each hit carries its run and job.
        Queries: the count, one per batch, and the hits' runs.
        Someone who is not an administrator finds the lines of the jobs
        they may read only (one more statement: their grants); without any
        grant, they are refused, as InvenioRDM refuses them.
        """
        every_job = self.check_permission(identity, "search")
        if not every_job and user_id_of(identity) is None:
            raise PermissionDeniedError("search")
        params = self.config.search_params_schema().load(params or {})
        query = self._query(params["q"])
        config = current_app.config
        limit = params["size"] or config["JOBS_LOGS_MAX_RESULTS"]
        batch = params["size"] + 1 if params["size"] else config["JOBS_LOGS_BATCH_SIZE"]
        newest_first = (
            params["sort"] == "-timestamp" if params["sort"] else query.owner is None
        )
        condition = query.condition
        if not every_job:
            granted = readable_jobs(identity)
            if not granted.any():
                raise PermissionDeniedError("search")
            condition = sa.and_(
                condition,
                RunLog.run_id.in_(sa.select(Run.id).where(granted.where(Run.job_id))),
            )
        base = self._filtered(
            sa.select(RunLog).where(condition), params["level"], params["text"]
        )
        cap = None if query.owner else config["JOBS_LOGS_SEARCH_TOTAL_LIMIT"]
        windows = self._windows() if newest_first else []
        keys = None
        if cap is not None and windows:
            total, keys = self._count_newest(base, cap, windows, limit)
        else:
            total = self._count(base, cap)
        if total <= limit and (cap is None or total < cap):
            windows = []
        if keys is not None:
            lines, truncated = self._read_keys(keys, params["search_after"], limit)
        elif newest_first and not windows and cap is not None:
            lines, truncated = self._read_few(base, params["search_after"], limit)
        elif windows:
            lines, truncated = self._read_newest(
                base, params["search_after"], limit, windows
            )
        else:
            lines, truncated = self._read(
                base, params["search_after"], limit, max(1, batch), newest_first
            )
        owners = self._owners(lines)
        hits = [dump_hit(line, owners.get(line.run_id)) for line in lines]
        warnings = []
        if truncated and not params["size"]:
            warnings.append(
                {
                    "type": "truncated_results",
                    "message": _(
                        "The log has more lines than one answer holds "
                        "(%(total)s in all); these are the first %(max)s: ask "
                        "again with search_after for the next ones.",
                        total=total,
                        max=limit,
                    ),
                    "total_available": total,
                    "max_results": limit,
                }
            )
        return self.config.result_list_cls(
            hits,
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
            warnings=warnings,
            has_more=truncated,
        )

    @staticmethod
    def _read(base, after, limit, batch, newest_first=False):
        """Up to ``limit`` lines after the cursor, ``batch`` per query.

        One line more than ``limit`` is asked for, so that the answer knows
        whether the log goes on. Newest first, "after" means older.
        """
        order = RunLog.id.desc() if newest_first else RunLog.id
        lines = []
        while True:
            wanted = min(batch, limit + 1 - len(lines))
            statement = base
            if after is not None:
                statement = base.where(
                    RunLog.id < after if newest_first else RunLog.id > after
                )
            rows = db.session.scalars(statement.order_by(order).limit(wanted)).all()
            lines.extend(rows)
            if len(lines) > limit:
                return lines[:limit], True
            if len(rows) < wanted:
                return lines, False
            after = rows[-1].id

    @staticmethod
    def _windows() -> list:
        """Spans of time to read newest first, one per partition: an hour or a day.

        Empty unless the log is partitioned (PostgreSQL). One partition a
        statement, so that each is read with the plan that suits it (for a
        job's lines, its run index; across several partitions, PostgreSQL
        would merge their id indexes, each read until its first match).
        The spans meet end to end and the first and last are open, so that
        they cover every line, also those of times without a partition (a
        gap is a span of its own). The partitions made ahead share the
        first span: no line is written ahead of its time, so each would be
        one more empty read.
        """
        parts = partitions(db.session.connection())
        if not parts:
            return []
        now = utcnow()
        parts = [part for part in parts if part.start <= now] or parts[:1]
        bounds = sorted({part.start for part in parts} | {part.end for part in parts})
        windows = [(bounds[-1], None)]
        windows += [
            (bounds[i], bounds[i + 1]) for i in reversed(range(len(bounds) - 1))
        ]
        windows.append((None, bounds[0]))
        return windows

    @staticmethod
    def _read_few(base, after, limit):
        """A search's every hit when they fit in one answer, newest first.

        Sorted by an expression of the id, not the id, so that PostgreSQL
        collects the few matches through the best index (the trigram one,
        for a rare word) and sorts them, rather than walking every
        partition's id index until each has found a match.
        """
        statement = base if after is None else base.where(RunLog.id < after)
        rows = db.session.scalars(
            statement.order_by((RunLog.id + 0).desc()).limit(limit + 1)
        ).all()
        return rows[:limit], len(rows) > limit

    @staticmethod
    def _read_newest(base, after, limit, windows):
        """Up to ``limit`` lines, newest first, one span (:meth:`_windows`) at a time.

        Across all partitions at once, PostgreSQL would merge every
        partition's index in id order, and each must find its first match
        before one line comes out; a span at a time (an hour of the current
        day, then a day), each query reads one partition with the plan that
        suits it, and a page of a common word ends in the newest span. Lines are
        ordered by id, which follows their time but may cross a span's
        start by the moments a batch waits: one last query takes the older
        spans' lines with a higher id than the page's lowest (an index probe
        per partition), so that no hit is skipped.
        """
        wanted = limit + 1
        newer = base if after is None else base.where(RunLog.id < after)
        found, start = [], None
        for start, end in windows:
            statement = newer
            if start is not None:
                statement = statement.where(RunLog.timestamp >= start)
            if end is not None:
                statement = statement.where(RunLog.timestamp < end)
            rows = db.session.scalars(
                statement.order_by(RunLog.id.desc()).limit(wanted - len(found))
            ).all()
            found.extend(rows)
            if len(found) >= wanted:
                break
        if len(found) >= wanted and start is not None:
            lowest = min(line.id for line in found)
            found.extend(
                db.session.scalars(
                    newer.where(RunLog.timestamp < start, RunLog.id > lowest)
                    .order_by(RunLog.id.desc())
                    .limit(wanted)
                )
            )
        found.sort(key=lambda line: line.id, reverse=True)
        return found[:limit], len(found) > limit

    def _require_run_read(self, identity, job_id):
        """A run's own log routes follow the runs' permission policy."""
        require_on_job(current_jobs.runs_service, identity, "read", job_id)

    def text_lines(self, identity, job_id, run_id, batch=5000):
        """The whole log as lines of text, read in batches: for a download.

        The permission and the run are checked at once; the lines come as
        the returned iterator is consumed.
        """
        self._require_run_read(identity, job_id)
        run = current_jobs.runs_service.get_run(job_id, run_id)

        def lines():
            after = None
            while True:
                __, page = self._lines(run.id, after, batch, None, "")
                rows = db.session.scalars(page).all()
                for line in rows:
                    stamp = line.timestamp.isoformat()
                    yield f"{stamp} {line.level:<8} {line.logger}: {line.message}\n"
                if len(rows) < batch:
                    return
                after = rows[-1].id

        return run, lines()

    def _lines_before(self, run_id, before, size, level, text):
        """Up to ``size`` lines before the line ``before``, in order, and whether more.

        One line more is read, so that the answer knows whether the log
        has lines before these.
        """
        statement = self._filtered(
            sa.select(RunLog).where(RunLog.run_id == run_id, RunLog.id < before),
            level,
            text,
        )
        rows = db.session.scalars(
            statement.order_by(RunLog.id.desc()).limit(size + 1)
        ).all()
        return list(reversed(rows[:size])), len(rows) > size

    def tail(self, identity, job_id, run_id, params=None) -> dict:
        """The lines after a cursor, the cursor to ask with next, and the status.

        With ``before``, the lines just before that line instead, and
        ``earlier``: whether the log has more before them.
        """
        self._require_run_read(identity, job_id)
        params = self.config.tail_params_schema().load(params or {})
        run = current_jobs.runs_service.get_run(job_id, run_id)
        context = run_log_context(run)
        if params["before"] is not None:
            lines, earlier = self._lines_before(
                run.id,
                params["before"],
                params["size"],
                params["level"],
                params["text"],
            )
            return {
                "hits": [dump_log(line, context) for line in lines],
                "earlier": earlier,
                "run_status": run.status.name,
            }
        __, page = self._lines(
            run.id, params["after"], params["size"], params["level"], params["text"]
        )
        lines = db.session.scalars(page).all()
        hits = [dump_log(line, context) for line in lines]
        return {
            "hits": hits,
            "next_after": hits[-1]["id"] if hits else params["after"],
            "run_status": run.status.name,
            "finished": run.status.is_finished and len(hits) < params["size"],
        }
