# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs service: create, read, update, delete and search jobs."""

import json
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from invenio_accounts.models import User
from invenio_db import db
from invenio_db.uow import ModelCommitOp
from invenio_i18n import gettext as _
from invenio_records_resources.services.base import LinksTemplate, Service
from invenio_records_resources.services.errors import PermissionDeniedError

from ..database import Prepared, one_statement
from ..jobs import build_default_arguments
from ..lifecycle import as_stored
from ..models import (
    AlertDelivery,
    AlertState,
    Job,
    Run,
    RunStatusEnum,
    delete_alerts,
    delete_runs,
    last_success_order,
    last_success_where,
    utcnow,
)
from ..proxies import current_jobs
from ..schedules import CompiledSchedule, describe, fire_times, next_fire_after
from .access import revoke_all_grants
from .base import (
    DumpSchemasMixin,
    current_language,
    like_pattern,
    parse_uuid,
    user_id_of,
)
from .copies import copy_of_job
from .errors import JobNotFoundError
from .grants import readable_jobs, require_on_job
from .history import JobAction, job_fields, record_job_changes, record_job_event
from .pools import pool_waits
from .run_after import check_run_after, forget_job, neighbours
from .schemas.alerts import AlertDeliverySchema, AlertStateSchema
from .uow import RevokeTaskOp, unit_of_work

ALERT_DELIVERIES_SHOWN = 50
"""The latest deliveries of a job's alerts its page lists."""


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


def _newest_run_of_job(*conditions):
    """The id of a job's run matching ``conditions``, correlated to ``Job``."""
    return (
        sa.select(Run.id)
        .where(Run.job_id == Job.id, *conditions)
        .correlate(Job)
        .limit(1)
    )


def latest_runs(job_ids, with_success: bool = False):
    """The latest run of each job, in one query whatever the number of jobs.

    For each job, a correlated subquery picks the id of its newest run through
    the ``(job_id, created)`` index; the outer query loads those runs with the
    user who started them. With ``with_success``, the same statement also
    loads each job's last successful run (where a run continues ``since``),
    and a second mapping of those is returned.
    """
    if not job_ids:
        return ({}, {}) if with_success else {}
    newest = _newest_run_of_job().order_by(Run.created.desc(), Run.id.desc())
    picks = [newest]
    if with_success:
        picks.append(
            _newest_run_of_job(*last_success_where(Run.__table__.c)).order_by(
                *last_success_order(Run.__table__.c)
            )
        )
    jobs = Job.id.in_(list(job_ids))
    wanted = [
        Run.id.in_(sa.select(pick.scalar_subquery()).select_from(Job).where(jobs))
        for pick in picks
    ]
    runs = db.session.scalars(sa.select(Run).where(sa.or_(*wanted))).all()
    latest, success = {}, {}
    for run in runs:
        known = latest.get(run.job_id)
        if known is None or (run.created, run.id) > (known.created, known.id):
            latest[run.job_id] = run
        if (
            run.status is RunStatusEnum.SUCCESS
            and run.parent_run_id is None
            and run.started_at is not None
        ):
            best = success.get(run.job_id)
            if best is None or (run.started_at, run.id) > (best.started_at, best.id):
                success[run.job_id] = run
    return (latest, success) if with_success else latest


def default_args(job: Job, last_success: Run | None) -> str:
    """What the job's next run would give its task, as JSON text (InvenioRDM's).

    The job type's ``_build_task_arguments`` over the stored arguments, with
    ``since`` from the last successful run given, so that a page of jobs
    needs no query per job; a job type that fails here gives ``"{}"``.
    """
    since = last_success.started_at if last_success is not None else None
    if job.task not in current_jobs.registry:
        return "{}"  # its job type is gone: ``task_error`` says so
    try:
        job_type = current_jobs.registry.get(job.task)
        arguments = build_default_arguments(
            job_type, job, job.run_args, since, since_known=True
        )
        return json.dumps(arguments, default=_json_default, sort_keys=True)
    except Exception:  # noqa: BLE001 -- a job type's code must not break a read
        current_app.logger.warning(
            "Could not compute the default arguments of job %s", job.id, exc_info=True
        )
        return "{}"


def task_availability(task: str) -> dict:
    """Whether a job's type can run, and why not: ``task_available``, ``task_error``.

    A job of a removed, renamed or failing job type is kept with its
    schedule; these fields tell the administrator why it creates no runs.
    """
    reason = current_jobs.registry.unavailable_reason(task)
    return {"task_available": reason is None, "task_error": reason}


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


_JOB_BY_ID = sa.select(Job).where(Job.id == sa.bindparam("job_id", type_=Job.id.type))
"""The read of :meth:`JobsService.get_job`."""


_JOB_ROW_BY_ID = Prepared(
    sa.select(Job.__table__).where(
        Job.__table__.c.id == sa.bindparam("job_id", type_=Job.id.type)
    )
)
"""The read of :meth:`JobsService.get_job` out of the session."""


def _read_job(connection, job_id) -> Job | None:
    """The job read on ``connection``, as an object of the session."""
    row = _JOB_ROW_BY_ID.execute(connection, {"job_id": job_id}).first()
    return None if row is None else as_stored(db.session(), Job, row._asdict())


def _job_key(job_id):
    """The session's identity key of a job."""
    return Job.__mapper__.identity_key_from_primary_key((job_id,))


class JobsService(DumpSchemasMixin, Service):
    """Create, read, update, delete and search jobs."""

    @property
    def schema(self):
        """The job schema class."""
        return self.config.schema

    def _links(self):
        return LinksTemplate(self.config.links_item)

    def _item(
        self, identity, job, last_run, last_success=None, subtasks=None, waits=None
    ):
        last = None
        if last_run is not None:
            last = current_jobs.runs_service.item(
                identity,
                last_run,
                subtasks=(subtasks or {}).get(last_run.id, []),
                waits=(
                    pool_waits([last_run], {job.id: job.pool})
                    if waits is None
                    else waits
                ),
            ).to_dict()
        return self.result_item(
            self,
            identity,
            job,
            self.dump_schema,
            links_tpl=self._links(),
            extra={
                "last_run": last,
                "default_args": default_args(job, last_success),
                **task_availability(job.task),
            },
        )

    def _items(self, identity, jobs):
        """Items of jobs with their last runs; a few queries, for any number.

        The last runs (and last successes, for ``default_args``) in one; the
        subtasks of those last runs in another, only when one has subtasks;
        and the use of their pools, only when a last run waits for a slot.
        """
        latest, success = latest_runs([job.id for job in jobs], with_success=True)
        subtasks = current_jobs.runs_service.subtasks_of(latest.values())
        waits = pool_waits(latest.values(), {job.id: job.pool for job in jobs})
        return [
            self._item(
                identity,
                job,
                latest.get(job.id),
                success.get(job.id),
                subtasks,
                waits,
            )
            for job in jobs
        ]

    def get_job(self, job_id, alone=False) -> Job:
        """The job with this id, or JobNotFoundError.

        One loaded in the session is used as it is; otherwise it is read
        by a statement built once (``Session.get`` builds its own per call,
        which cost more than the read). ``alone``: read in autocommit, out
        of the session's transaction (:func:`one_statement`), for a caller
        that has none and needs none for reading.
        """
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        session = db.session()
        loaded = session.identity_map.get(_job_key(job_uuid))
        if loaded is not None and not sa.inspect(loaded).expired:
            job = session.get(Job, job_uuid)
        elif alone:
            job = one_statement(db.engine, lambda conn: _read_job(conn, job_uuid))
        else:
            job = session.execute(_JOB_BY_ID, {"job_id": job_uuid}).scalar()
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
        require_on_job(self, identity, "read", id_)
        job = self.get_job(id_)
        return self._items(identity, [job])[0].add_fields(neighbours(job))

    def search(self, identity, params=None):
        """A page of jobs: filter by text and active, sort, with last runs.

        Three queries whatever the page size: the count, the page, and the
        latest run of each job of the page. Someone who is not an
        administrator sees the jobs granted to them: one query more, for
        their grants (:func:`.grants.readable_jobs`).
        """
        readable = self._readable_jobs(identity)
        params = self.config.search_params_schema().load(params or {})
        statement = sa.select(Job)
        if readable is not None:
            statement = statement.where(readable.where(Job.id))
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
        items = self._items(identity, jobs)
        return self.result_list(
            self,
            identity,
            items,
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
            sort_by=params["sort"],
        )

    def _readable_jobs(self, identity):
        """The jobs a search shows: None for all (administrators), else a filter.

        Someone with a grant on some job finds those jobs; someone with none
        is refused (403), as InvenioRDM refuses all but administrators.
        """
        if self.check_permission(identity, "search"):
            return None
        if user_id_of(identity) is None:
            raise PermissionDeniedError("search")
        readable = readable_jobs(identity)
        if not readable.any():
            raise PermissionDeniedError("search")
        return readable

    @staticmethod
    def _order_by(sort: str):
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        key = "title" if key == "jobs" else key  # InvenioRDM's name
        if key == "title":
            column = sa.func.lower(Job.title)
        elif key == "created":
            column = Job.created
        elif key == "next_run":
            column = Job.next_run_at
        elif key == "user":  # who started the last run; the system sorts last
            column = (
                sa.select(sa.func.lower(sa.func.coalesce(User.username, User.email)))
                .select_from(Run)
                .outerjoin(User, User.id == Run.started_by_id)
                .where(Run.job_id == Job.id)
                .order_by(Run.created.desc(), Run.id.desc())
                .limit(1)
                .correlate(Job)
                .scalar_subquery()
            )
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
        if values.get("run_as_id") is not None:
            self.require_permission(identity, "set_run_as")
        check_run_after(None, values.get("run_after"))
        schedule = _store_schedule(values)
        now = utcnow()
        job = Job(id=uuid.uuid4(), **values)
        job.schedule_anchor = now if job.schedule else None
        job.next_run_at = self.next_run_at(job, now, schedule)
        uow.register(ModelCommitOp(job))
        record_job_event(job, JobAction.CREATED, identity, job_fields(job))
        return self._item(identity, job, None)

    @unit_of_work()
    def update(self, identity, id_, data, uow=None):
        """Change the fields given; the next fire time follows the change.

        Only the fields present are changed, so that activating a job is
        ``{"active": true}``. A new schedule restarts an interval's grid now.
        """
        require_on_job(self, identity, "update", id_)
        job = self.get_job(id_)
        schema = self.schema(
            partial=True, context={"task": job.task, "run_args": job.run_args}
        )
        values = schema.load(data or {})
        if "run_as_id" in values and values["run_as_id"] != job.run_as_id:
            self.require_permission(identity, "set_run_as")
        if "run_after" in values:
            check_run_after(job.id, values["run_after"])
        schedule = _store_schedule(values)
        before = job_fields(job)
        now = utcnow()
        schedule_changed = "schedule" in values and values["schedule"] != job.schedule
        active_changed = "active" in values and values["active"] != job.active
        windows_changed = (
            "ignore_maintenance_windows" in values
            and values["ignore_maintenance_windows"] != job.ignore_maintenance_windows
        )
        for key, value in values.items():
            setattr(job, key, value)
        if schedule_changed:
            job.schedule_anchor = now if job.schedule else None
        if schedule_changed or active_changed:
            job.next_run_at = self.next_run_at(job, now, schedule)
            job.held_since = None
        elif windows_changed and job.held_since is not None:
            # Fires a window holds are planned again at the next look.
            job.next_run_at, job.held_since = job.held_since, None
        uow.register(ModelCommitOp(job))
        record_job_changes(job, before, identity)
        return self._items(identity, [job])[0]

    @unit_of_work()
    def clone(self, identity, id_, uow=None):
        """An inactive copy of a job, named "Copy of ...", to edit before use.

        Every setting is copied (see :func:`.copies.copy_of_job`), its runs
        are not; inactive, the copy fires nothing until it is switched on.
        """
        require_on_job(self, identity, "read", id_)
        self.require_permission(identity, "create")
        original = self.get_job(id_)
        if original.run_as_id is not None:
            # The copy would run as the same service account.
            self.require_permission(identity, "set_run_as")
        job = copy_of_job(original, _("Copy of %(title)s", title=original.title))
        uow.register(ModelCommitOp(job))
        record_job_event(job, JobAction.CREATED, identity, job_fields(job))
        return self._item(identity, job, None)

    @unit_of_work()
    def delete(self, identity, id_, uow=None):
        """Delete a job with its runs, their logs and its grants; stop its active runs."""
        require_on_job(self, identity, "delete", id_)
        job = self.get_job(id_)
        active = db.session.scalars(
            sa.select(Run.task_id).where(
                Run.job_id == job.id,
                Run.status.in_(RunStatusEnum.active()),
                Run.task_id.is_not(None),
            )
        ).all()
        delete_runs(sa.select(Run.id).where(Run.job_id == job.id))
        revoke_all_grants(job.id)
        delete_alerts(job.id)
        record_job_event(job, JobAction.DELETED, identity)
        forget_job(job.id)
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
            return [], describe(None, language=current_language())
        times = fire_times(compiled, utcnow(), count=count, anchor=anchor)
        return times, describe(compiled, language=current_language())

    def alerts(self, identity, job_id, size=ALERT_DELIVERIES_SHOWN) -> dict:
        """Which of a job's alerts hold or held, and their latest deliveries.

        Three statements: the job, its alerts, a page of its deliveries from
        the ``(job_id, created)`` index.
        """
        require_on_job(self, identity, "read", job_id)
        job = self.get_job(job_id)
        states = db.session.scalars(
            sa.select(AlertState)
            .where(AlertState.job_id == job.id)
            .order_by(AlertState.kind)
        ).all()
        deliveries = db.session.scalars(
            sa.select(AlertDelivery)
            .where(AlertDelivery.job_id == job.id)
            .order_by(AlertDelivery.created.desc(), AlertDelivery.id)
            .limit(size)
        ).all()
        return {
            "alerts": AlertStateSchema(many=True).dump(states),
            "deliveries": AlertDeliverySchema(many=True).dump(deliveries),
        }

    def next_fire_times(self, identity, job_id, count=5):
        """The next fire times of a job's saved schedule, from its anchor.

        Empty for a job without a schedule. An inactive job gets the times its
        schedule gives, though they do not fire while it stays inactive.
        """
        require_on_job(self, identity, "read", job_id)
        job = self.get_job(job_id)
        if not job.schedule:
            return []
        return self.preview_schedule(
            identity, job.schedule, count=count, anchor=job.schedule_anchor
        )
