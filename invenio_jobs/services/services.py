# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs, runs and tasks services: permission check, load, act, commit."""

import uuid
from datetime import datetime, timezone
from functools import cached_property

import sqlalchemy as sa
from celery import current_app as current_celery_app
from flask import current_app
from invenio_db import db
from invenio_db.uow import ModelCommitOp, Operation, unit_of_work
from invenio_records_resources.services.base import LinksTemplate, Service
from marshmallow import ValidationError

from ..models import Job, Run, RunLog, RunStatusEnum, delete_runs, transition_run
from ..proxies import current_jobs
from ..schedules import describe, fire_times, next_fire_after
from ..tasks import Dispatch, notify_run_end, send_runs
from .arguments import describe_schema
from .errors import (
    JobNotFoundError,
    RunNotFoundError,
    RunStateError,
    TaskNotFoundError,
)
from .schemas import levels_from, load_task_arguments


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def parse_uuid(value, not_found):
    """A UUID from a path or a client; a malformed one is "not found"."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise not_found(value) from None


def user_id_of(identity):
    """The accounts user id of an identity; None for the system process."""
    try:
        return int(identity.id)
    except (TypeError, ValueError):
        return None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DispatchRunsOp(Operation):
    """Send queued runs to the workers once they are committed."""

    def __init__(self, dispatches):
        """Keep what to send."""
        self.dispatches = list(dispatches)

    def on_post_commit(self, uow):
        """Send; a run that cannot be sent now is sent again by the reaper."""
        send_runs(self.dispatches)


class NotifyRunEndOp(Operation):
    """Notify the job's subscribers of a run's end, once it is committed."""

    def __init__(self, run_id):
        """Keep the run id."""
        self.run_id = run_id

    def on_post_commit(self, uow):
        """Send the notification if the job asks for one."""
        notify_run_end(self.run_id)


class RevokeTaskOp(Operation):
    """Ask workers to skip (or stop) a Celery task, once the change is committed."""

    def __init__(self, task_id: str, terminate: bool = False):
        """Keep the task id; ``terminate`` kills a task already running."""
        self.task_id = task_id
        self.terminate = terminate

    def on_post_commit(self, uow):
        """Broadcast the revoke; a broker that is down must not fail the request."""
        try:
            current_celery_app.control.revoke(self.task_id, terminate=self.terminate)
        except Exception:  # noqa: BLE001 -- the run's status already says it all
            current_app.logger.warning(
                "Could not revoke Celery task %s", self.task_id, exc_info=True
            )


def latest_runs(job_ids) -> dict:
    """The latest run of each job, in one query whatever the number of jobs.

    For each job, a correlated subquery picks the id of its newest run through
    the ``(job_id, created)`` index; the outer query loads those runs with the
    user who started them.
    """
    if not job_ids:
        return {}
    newest = (
        sa.select(Run.id)
        .where(Run.job_id == Job.id)
        .order_by(Run.created.desc(), Run.id.desc())
        .limit(1)
        .correlate(Job)
        .scalar_subquery()
    )
    ids = sa.select(newest).select_from(Job).where(Job.id.in_(list(job_ids)))
    runs = db.session.scalars(sa.select(Run).where(Run.id.in_(ids))).all()
    return {run.job_id: run for run in runs}


class DumpSchemasMixin:
    """One dump schema instance per service: building one per item is slow."""

    @cached_property
    def dump_schema(self):
        """The schema instance that dumps this service's items."""
        return self.config.schema()


class JobsService(DumpSchemasMixin, Service):
    """Create, read, update, delete and search jobs."""

    @property
    def schema(self):
        """The job schema class."""
        return self.config.schema

    def _links(self):
        return LinksTemplate(self.config.links_item)

    def _item(self, identity, job, last_run):
        last = None
        if last_run is not None:
            last = current_jobs.runs_service.item(identity, last_run).to_dict()
        return self.result_item(
            self,
            identity,
            job,
            self.dump_schema,
            links_tpl=self._links(),
            extra={"last_run": last},
        )

    def get_job(self, job_id) -> Job:
        """The job with this id, or JobNotFoundError."""
        job = db.session.get(Job, parse_uuid(job_id, JobNotFoundError))
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def next_run_at(self, job: Job, now: datetime) -> datetime | None:
        """When an active, scheduled job fires next; None otherwise."""
        if not job.active or not job.schedule:
            return None
        return next_fire_after(
            job.schedule,
            now,
            anchor=job.schedule_anchor,
            default_timezone=current_app.config["JOBS_SCHEDULER_TIMEZONE"],
        )

    def read(self, identity, id_):
        """One job, with its last run."""
        self.require_permission(identity, "read")
        job = self.get_job(id_)
        return self._item(identity, job, latest_runs([job.id]).get(job.id))

    def search(self, identity, params=None):
        """A page of jobs: filter by text and active, sort, with last runs.

        Three queries whatever the page size: the count, the page, and the
        latest run of each job of the page.
        """
        self.require_permission(identity, "search")
        params = self.config.search_params_schema().load(params or {})
        statement = sa.select(Job)
        if params["q"].strip():
            pattern = _like_pattern(params["q"].strip())
            statement = statement.where(
                sa.or_(
                    Job.title.ilike(pattern, escape="\\"),
                    Job.description.ilike(pattern, escape="\\"),
                )
            )
        if params["active"] is not None:
            statement = statement.where(Job.active.is_(params["active"]))
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(statement.subquery())
        )
        statement = statement.order_by(*self._order_by(params["sort"]))
        page, size = params["page"], params["size"]
        jobs = db.session.scalars(statement.limit(size).offset((page - 1) * size)).all()
        last = latest_runs([job.id for job in jobs])
        items = [self._item(identity, job, last.get(job.id)) for job in jobs]
        return self.result_list(
            self,
            identity,
            items,
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
            sort_by=params["sort"],
        )

    @staticmethod
    def _order_by(sort: str):
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        if key == "title":
            column = sa.func.lower(Job.title)
        elif key == "created":
            column = Job.created
        elif key == "next_run":
            column = Job.next_run_at
        else:  # last_run_start_time: the newest run's creation, from the index
            column = (
                sa.select(sa.func.max(Run.created))
                .where(Run.job_id == Job.id)
                .correlate(Job)
                .scalar_subquery()
            )
        if key == "title":  # never NULL: keep the order the index gives
            return (column.desc(), Job.id.desc()) if descending else (column, Job.id)
        order = column.desc() if descending else column.asc()
        return (order.nulls_last(), Job.id)

    @unit_of_work()
    def create(self, identity, data, uow=None):
        """Create a job; its first fire time is computed in the same transaction."""
        self.require_permission(identity, "create")
        values = self.schema().load(data or {})
        now = utcnow()
        job = Job(id=uuid.uuid4(), **values)
        job.schedule_anchor = now if job.schedule else None
        job.next_run_at = self.next_run_at(job, now)
        uow.register(ModelCommitOp(job))
        return self._item(identity, job, None)

    @unit_of_work()
    def update(self, identity, id_, data, uow=None):
        """Change the fields given; the next fire time follows the change.

        Only the fields present are changed, so that activating a job is
        ``{"active": true}``. A new schedule restarts an interval's grid now.
        """
        self.require_permission(identity, "update")
        job = self.get_job(id_)
        schema = self.schema(
            partial=True, context={"task": job.task, "run_args": job.run_args}
        )
        values = schema.load(data or {})
        now = utcnow()
        schedule_changed = "schedule" in values and values["schedule"] != job.schedule
        active_changed = "active" in values and values["active"] != job.active
        for key, value in values.items():
            setattr(job, key, value)
        if schedule_changed:
            job.schedule_anchor = now if job.schedule else None
        if schedule_changed or active_changed:
            job.next_run_at = self.next_run_at(job, now)
        uow.register(ModelCommitOp(job))
        return self._item(identity, job, latest_runs([job.id]).get(job.id))

    @unit_of_work()
    def delete(self, identity, id_, uow=None):
        """Delete a job with its runs and their logs; stop its active runs."""
        self.require_permission(identity, "delete")
        job = self.get_job(id_)
        active = db.session.scalars(
            sa.select(Run.task_id).where(
                Run.job_id == job.id,
                Run.status.in_(RunStatusEnum.active()),
                Run.task_id.is_not(None),
            )
        ).all()
        delete_runs(sa.select(Run.id).where(Run.job_id == job.id))
        db.session.delete(job)
        for task_id in active:
            uow.register(RevokeTaskOp(task_id))
        return True

    def preview_schedule(self, identity, schedule, count=5, anchor=None):
        """The next fire times of a schedule being edited, without saving it."""
        times, _ = self.explain_schedule(identity, schedule, count, anchor)
        return times

    def explain_schedule(self, identity, schedule, count=5, anchor=None):
        """The next fire times and the schedule in words, validated once."""
        self.require_permission(identity, "search")
        values = self.schema(partial=True).load({"schedule": schedule})
        normalised = values.get("schedule")
        timezone = current_app.config["JOBS_SCHEDULER_TIMEZONE"]
        if normalised is None:
            return [], describe(None, timezone)
        times = fire_times(
            normalised, utcnow(), count=count, anchor=anchor, default_timezone=timezone
        )
        return times, describe(normalised, timezone)


class RunsService(DumpSchemasMixin, Service):
    """Start, read, stop, delete and list the runs of a job."""

    def item(self, identity, run):
        """A run as a result item, with its links."""
        return self.result_item(
            self,
            identity,
            run,
            self.dump_schema,
            links_tpl=LinksTemplate(self.config.links_item),
        )

    def get_run(self, job_id, run_id) -> Run:
        """The run of this job, or the matching not-found error."""
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        run = db.session.get(Run, parse_uuid(run_id, RunNotFoundError))
        if run is None or run.job_id != job_uuid:
            raise RunNotFoundError(run_id)
        return run

    def read(self, identity, job_id, run_id):
        """One run of a job."""
        self.require_permission(identity, "read")
        return self.item(identity, self.get_run(job_id, run_id))

    def search(self, identity, job_id, params=None):
        """A page of a job's runs, newest first, optionally by status."""
        self.require_permission(identity, "search")
        params = self.config.search_params_schema().load(params or {})
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        if db.session.scalar(sa.select(Job.id).where(Job.id == job_uuid)) is None:
            raise JobNotFoundError(job_id)
        statement = sa.select(Run).where(Run.job_id == job_uuid)
        if params["status"]:
            statement = statement.where(Run.status.in_(params["status"]))
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                statement.with_only_columns(Run.id).subquery()
            )
        )
        page, size = params["page"], params["size"]
        runs = db.session.scalars(
            statement.order_by(Run.created.desc(), Run.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        ).all()
        return self.result_list(
            self,
            identity,
            [self.item(identity, run) for run in runs],
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
            sort_by=params["sort"],
            links_context={"job_id": str(job_uuid)},
        )

    @unit_of_work()
    def create(self, identity, job_id, data=None, uow=None):
        """Run a job now: validate the arguments, queue a run, send it after commit."""
        self.require_permission(identity, "create")
        job = current_jobs.jobs_service.get_job(job_id)
        values = self.config.create_schema().load(data or {})
        if job.task not in current_jobs.registry:
            raise ValidationError(
                {"task": [f"Job type '{job.task}' is not registered any more."]}
            )
        job_type = current_jobs.registry.get(job.task)
        args = values["args"] if values["args"] is not None else job.run_args
        try:
            args = load_task_arguments(job_type, args)
        except ValidationError as exc:
            raise ValidationError({"args": exc.normalized_messages()}) from exc
        queue = (
            values["queue"]
            or job.default_queue
            or current_app.config["JOBS_DEFAULT_QUEUE"]
        )
        run = Run(
            id=uuid.uuid4(),
            job_id=job.id,
            status=RunStatusEnum.QUEUED,
            title=values["title"] or job.title,
            args=args,
            queue=queue,
            task_id=str(uuid.uuid4()),
            started_by_id=user_id_of(identity),
            trigger="manual",
        )
        db.session.add(run)
        uow.register(ModelCommitOp(run))
        uow.register(
            DispatchRunsOp(
                [Dispatch.of(run, job, identity_id=getattr(identity, "id", None))]
            )
        )
        return self.item(identity, run)

    @unit_of_work()
    def stop(self, identity, job_id, run_id, uow=None):
        """Stop a run: a queued one at once, a running one at its next check.

        A running run is asked to stop (CANCELLING) and its Celery task is
        revoked; the task sees the request at its next ``current_run`` call.
        One that does not stop within ``JOBS_STOP_GRACE_SECONDS`` is
        terminated by the maintenance task. Its subtasks stop with it.
        """
        self.require_permission(identity, "stop")
        run = self.get_run(job_id, run_id)
        if run.status.is_finished:
            raise RunStateError(
                f"The run has already finished ({run.status.name}); "
                "there is nothing to stop."
            )
        for target in [run.id, *self._active_children(run.id)]:
            self._request_stop(target, uow)
        db.session.flush()
        db.session.refresh(run)
        if run.status.is_finished and run.status is not RunStatusEnum.CANCELLED:
            raise RunStateError(
                f"The run has already finished ({run.status.name}); "
                "there is nothing to stop."
            )
        return self.item(identity, run)

    @staticmethod
    def _active_children(run_id):
        return db.session.scalars(
            sa.select(Run.id).where(
                Run.parent_run_id == run_id,
                Run.status.in_(RunStatusEnum.active()),
            )
        ).all()

    @staticmethod
    def _request_stop(run_id, uow):
        """Cancel a queued run, or ask a running one to stop; conditional both."""
        now = utcnow()
        task_id = db.session.scalar(sa.select(Run.task_id).where(Run.id == run_id))
        if transition_run(
            run_id,
            [RunStatusEnum.QUEUED],
            RunStatusEnum.CANCELLED,
            finished_at=now,
            message="Stopped before it started.",
        ):
            uow.register(NotifyRunEndOp(run_id))
        elif not transition_run(
            run_id,
            [RunStatusEnum.RUNNING],
            RunStatusEnum.CANCELLING,
            stop_requested_at=now,
        ):
            return
        if task_id:
            uow.register(RevokeTaskOp(task_id))

    @unit_of_work()
    def delete(self, identity, job_id, run_id, uow=None):
        """Delete a finished run with its log and its subtasks."""
        self.require_permission(identity, "delete")
        run = self.get_run(job_id, run_id)
        if not run.status.is_finished:
            raise RunStateError(
                f"The run is {run.status.name}; stop it before deleting it."
            )
        delete_runs([run.id])
        db.session.expunge(run)
        return True


class TasksService(Service):
    """The registered job types, and the arguments each one takes."""

    def _item(self, identity, job_type):
        return self.result_item(
            self,
            identity,
            job_type,
            _JobTypeDump(),
            links_tpl=LinksTemplate(self.config.links_item),
        )

    def get_job_type(self, task_id):
        """The job type with this id, or TaskNotFoundError."""
        if task_id not in current_jobs.registry:
            raise TaskNotFoundError(task_id)
        return current_jobs.registry.get(task_id)

    def search(self, identity, params=None):
        """Every registered job type, sorted by id."""
        self.require_permission(identity, "search")
        params = self.config.search_params_schema().load(params or {})
        job_types = [current_jobs.registry.get(i) for i in current_jobs.registry]
        page, size = params["page"], params["size"]
        page_items = job_types[(page - 1) * size : page * size]
        return self.result_list(
            self,
            identity,
            [self._item(identity, jt) for jt in page_items],
            len(job_types),
            params,
            links_tpl=LinksTemplate(self.config.links_search),
        )

    def read(self, identity, task_id):
        """One job type."""
        self.require_permission(identity, "read")
        return self._item(identity, self.get_job_type(task_id))

    def read_registered_task_arguments(self, identity, task_id) -> dict:
        """The arguments of a job type, described for a generated form."""
        self.require_permission(identity, "read")
        job_type = self.get_job_type(task_id)
        return {
            "id": job_type.id,
            "title": str(job_type.title or job_type.id),
            "fields": describe_schema(job_type.arguments_schema),
        }


class _JobTypeDump:
    """Dumps a job type class: id, title, description."""

    def dump(self, job_type) -> dict:
        return {
            "id": job_type.id,
            "title": str(job_type.title or job_type.id),
            "description": str(job_type.description or ""),
        }


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
                RunLog.message.ilike(_like_pattern(text.strip()), escape="\\")
            )
        return statement, (
            statement.where(RunLog.id > after) if after is not None else statement
        ).order_by(RunLog.id).limit(size)

    def search(self, identity, params=None) -> dict:
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
        hits = [dump_log(line, context) for line in lines]
        result = {"hits": {"hits": hits, "total": total}, "links": {}}
        api = current_app.config.get("SITE_API_URL", "/api")
        query = f"q={params['run_id']}&size={params['size']}"
        if params["level"]:
            query += f"&level={params['level']}"
        result["links"]["self"] = f"{api}/logs/jobs?{query}"
        if len(hits) == params["size"]:
            result["links"][
                "next"
            ] = f"{api}/logs/jobs?{query}&search_after={hits[-1]['id']}"
        return result

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
