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

from ..models import Job, Run, RunLog
from ..proxies import current_jobs
from .base import like_pattern, user_id_of
from .grants import require_on_job
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
    def _owner(owner_id):
        """The runs whose lines ``q`` asks for, and the run when it is one.

        A run's log holds the lines of its subtasks too, as InvenioRDM's
        holds every line written in the run's context; a job's, the lines of
        all its runs. None when ``q`` names neither.
        """
        run = db.session.get(Run, owner_id)
        if run is not None:
            runs = sa.select(Run.id).where(
                sa.or_(Run.id == run.id, Run.parent_run_id == run.id)
            )
            return runs, run
        if db.session.scalar(sa.select(Job.id).where(Job.id == owner_id)):
            return sa.select(Run.id).where(Run.job_id == owner_id), None
        return None, None

    @staticmethod
    def _contexts(lines, known: Run | None) -> dict:
        """The shared context of each run the lines belong to, in one query."""
        contexts = {known.id: run_log_context(known)} if known is not None else {}
        missing = {line.run_id for line in lines} - set(contexts)
        if missing:
            for run in db.session.scalars(sa.select(Run).where(Run.id.in_(missing))):
                contexts[run.id] = run_log_context(run)
        return contexts

    def search(self, identity, params=None):
        """``/api/logs/jobs?q=<run or job id>``: log lines in time order.

        Lines come in the order they were written (their id, which follows
        their time), continuing after ``search_after``. Without ``size``, one
        answer holds up to ``JOBS_LOGS_MAX_RESULTS`` lines, read
        ``JOBS_LOGS_BATCH_SIZE`` at a time; when more remain, a
        ``truncated_results`` warning says so and ``hits.sort`` continues.
        Queries: the owner, the count, one per batch, and the runs' contexts.
        Someone who is not an administrator reads the logs of the jobs they
        may read; of another job, they find no lines.
        """
        every_job = self.check_permission(identity, "search")
        if not every_job and user_id_of(identity) is None:
            raise PermissionDeniedError("search")
        params = self.config.search_params_schema().load(params or {})
        config = current_app.config
        limit = params["size"] or config["JOBS_LOGS_MAX_RESULTS"]
        batch = params["size"] or max(1, config["JOBS_LOGS_BATCH_SIZE"])
        runs, run = self._owner(params["id"])
        if runs is not None and not every_job:
            job_id = run.job_id if run is not None else params["id"]
            if not current_jobs.jobs_service.check_permission(
                identity, "read", job_id=str(job_id)
            ):
                runs, run = None, None
        lines, total, truncated = [], 0, False
        if runs is not None:
            base = self._filtered(
                sa.select(RunLog).where(RunLog.run_id.in_(runs)),
                params["level"],
                params["text"],
            )
            total = db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    base.with_only_columns(RunLog.id).subquery()
                )
            )
            lines, truncated = self._read(base, params["search_after"], limit, batch)
        contexts = self._contexts(lines, run)
        hits = [dump_log(line, contexts.get(line.run_id, {})) for line in lines]
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
    def _read(base, after, limit, batch):
        """Up to ``limit`` lines after the cursor, ``batch`` per query.

        One line more than ``limit`` is asked for, so that the answer knows
        whether the log goes on.
        """
        lines = []
        while True:
            wanted = min(batch, limit + 1 - len(lines))
            statement = base if after is None else base.where(RunLog.id > after)
            rows = db.session.scalars(statement.order_by(RunLog.id).limit(wanted)).all()
            lines.extend(rows)
            if len(lines) > limit:
                return lines[:limit], True
            if len(rows) < wanted:
                return lines, False
            after = rows[-1].id

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

    def tail(self, identity, job_id, run_id, params=None) -> dict:
        """The lines after a cursor, the cursor to ask with next, and the status."""
        self._require_run_read(identity, job_id)
        params = self.config.tail_params_schema().load(params or {})
        run = current_jobs.runs_service.get_run(job_id, run_id)
        __, page = self._lines(
            run.id, params["after"], params["size"], params["level"], params["text"]
        )
        lines = db.session.scalars(page).all()
        context = run_log_context(run)
        hits = [dump_log(line, context) for line in lines]
        return {
            "hits": hits,
            "next_after": hits[-1]["id"] if hits else params["after"],
            "run_status": run.status.name,
            "finished": run.status.is_finished and len(hits) < params["size"],
        }
