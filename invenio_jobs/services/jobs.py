# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs service: create, read, update, delete and search jobs."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from invenio_db.uow import ModelCommitOp, unit_of_work
from invenio_records_resources.services.base import LinksTemplate, Service

from ..models import Job, Run, RunStatusEnum, delete_runs, utcnow
from ..proxies import current_jobs
from ..schedules import CompiledSchedule, describe, fire_times, next_fire_after
from .base import DumpSchemasMixin, like_pattern, parse_uuid
from .errors import JobNotFoundError
from .uow import RevokeTaskOp


def _store_schedule(values: dict):
    """Put the stored form of a loaded schedule in `values`; return it compiled.

    The job schema loads a schedule compiled (or None); the job keeps its
    normalised dict, and the caller its compiled form for the fire times.
    None when `values` has no schedule.
    """
    schedule = values.get("schedule")
    if schedule is not None:
        values["schedule"] = schedule.data
    return schedule


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

    def next_run_at(
        self, job: Job, now: datetime, schedule: CompiledSchedule | None = None
    ) -> datetime | None:
        """When an active, scheduled job fires next; None otherwise.

        `schedule` is the job's schedule compiled already (as the job schema
        loads it), so that it is not parsed again; without it, the stored
        schedule is compiled here.
        """
        if not job.active or not job.schedule:
            return None
        return next_fire_after(
            job.schedule if schedule is None else schedule,
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
            pattern = like_pattern(params["q"].strip())
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
        schedule = _store_schedule(values)
        now = utcnow()
        job = Job(id=uuid.uuid4(), **values)
        job.schedule_anchor = now if job.schedule else None
        job.next_run_at = self.next_run_at(job, now, schedule)
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
        schedule = _store_schedule(values)
        now = utcnow()
        schedule_changed = "schedule" in values and values["schedule"] != job.schedule
        active_changed = "active" in values and values["active"] != job.active
        for key, value in values.items():
            setattr(job, key, value)
        if schedule_changed:
            job.schedule_anchor = now if job.schedule else None
        if schedule_changed or active_changed:
            job.next_run_at = self.next_run_at(job, now, schedule)
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
        """The next fire times and the schedule in words, validated once.

        The job schema's field checks and compiles the schedule; the fire
        times and the words both come from that compiled schedule.
        """
        self.require_permission(identity, "search")
        values = self.schema(partial=True).load({"schedule": schedule})
        compiled = values.get("schedule")
        if compiled is None:
            return [], describe(None)
        times = fire_times(compiled, utcnow(), count=count, anchor=anchor)
        return times, describe(compiled)

    def next_fire_times(self, identity, job_id, count=5):
        """The next fire times of a job's saved schedule, from its anchor.

        Empty for a job without a schedule. An inactive job gets the times its
        schedule gives, though they do not fire while it stays inactive.
        """
        self.require_permission(identity, "read")
        job = self.get_job(job_id)
        if not job.schedule:
            return []
        return self.preview_schedule(
            identity, job.schedule, count=count, anchor=job.schedule_anchor
        )
