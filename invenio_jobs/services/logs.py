# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The run logs service: search a run's log, tail it, download it."""

import sqlalchemy as sa
from invenio_db import db
from invenio_records_resources.services.base import LinksTemplate, Service

from ..models import Run, RunLog
from ..proxies import current_jobs
from .base import like_pattern
from .schemas import levels_from


def run_log_context(run: Run | None) -> dict:
    """The context every line of a run shares; lines store only their own."""
    if run is None:
        return {}
    return {
        "run_id": str(run.id),
        "job_id": str(run.job_id),
        "task_id": run.task_id,
        "parent_run_id": str(run.parent_run_id) if run.parent_run_id else None,
    }


def dump_log(line: RunLog, context: dict) -> dict:
    """One log line, as the API serves it."""
    return {
        "id": line.id,
        "timestamp": line.timestamp.isoformat(),
        "level": line.level,
        "message": line.message,
        "logger": line.logger,
        "module": line.logger,
        "context": {**context, **(line.context or {})},
        "sort": [line.id],
    }


class LogsService(Service):
    """Read the log of a run: search by run, or tail it with a cursor."""

    def _lines(self, run_id, after, size, level, text):
        statement = sa.select(RunLog).where(RunLog.run_id == run_id)
        levels = levels_from(level)
        if levels:
            statement = statement.where(RunLog.level.in_(levels))
        if text.strip():
            statement = statement.where(
                RunLog.message.ilike(like_pattern(text.strip()), escape="\\")
            )
        return statement, (
            statement.where(RunLog.id > after) if after is not None else statement
        ).order_by(RunLog.id).limit(size)

    def search(self, identity, params=None):
        """``/api/logs/jobs?q=<run_id>``: a run's log lines, oldest first.

        Pages are chained with ``search_after`` (the ``sort`` value of the
        last line), as InvenioRDM clients do.
        """
        self.require_permission(identity, "read")
        params = self.config.search_params_schema().load(params or {})
        base, page = self._lines(
            params["run_id"],
            params["search_after"],
            params["size"],
            params["level"],
            params["text"],
        )
        lines = db.session.scalars(page).all()
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                base.with_only_columns(RunLog.id).subquery()
            )
        )
        context = run_log_context(db.session.get(Run, params["run_id"]))
        return self.config.result_list_cls(
            [dump_log(line, context) for line in lines],
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
        )

    def text_lines(self, identity, job_id, run_id, batch=5000):
        """The whole log as lines of text, read in batches: for a download.

        The permission and the run are checked at once; the lines come as
        the returned iterator is consumed.
        """
        self.require_permission(identity, "read")
        run = current_jobs.runs_service.get_run(job_id, run_id)

        def lines():
            after = None
            while True:
                _, page = self._lines(run.id, after, batch, None, "")
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
        self.require_permission(identity, "read")
        params = self.config.tail_params_schema().load(params or {})
        run = current_jobs.runs_service.get_run(job_id, run_id)
        _, page = self._lines(
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
