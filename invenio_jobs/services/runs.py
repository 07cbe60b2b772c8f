# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The runs service: start, read, stop, delete and list the runs of a job."""

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from invenio_db.uow import ModelCommitOp, unit_of_work
from invenio_records_resources.services.base import LinksTemplate, Service
from marshmallow import ValidationError

from .. import lifecycle
from ..lifecycle import Dispatch
from ..models import Job, Run, RunStatusEnum, RunTrigger, delete_runs
from ..proxies import current_jobs
from .base import DumpSchemasMixin, parse_uuid, user_id_of
from .errors import JobNotFoundError, RunNotFoundError, RunStateError
from .schemas import load_task_arguments
from .uow import DispatchRunsOp, NotifyRunEndOp, RevokeTaskOp


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
            **lifecycle.queued_run(
                job.id,
                values["title"] or job.title,
                args,
                queue,
                RunTrigger.MANUAL,
                started_by_id=user_id_of(identity),
            )
        )
        db.session.add(run)
        uow.register(ModelCommitOp(run))
        identity_id = getattr(identity, "id", None)
        dispatch = Dispatch.of(run, timeout=job.timeout, identity_id=identity_id)
        uow.register(DispatchRunsOp([dispatch]))
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
        task_id = db.session.scalar(sa.select(Run.task_id).where(Run.id == run_id))
        if lifecycle.cancel(run_id, "Stopped before it started."):
            uow.register(NotifyRunEndOp(run_id))
        elif not lifecycle.request_stop(run_id):
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

    def read_by_id(self, identity, run_id):
        """One run by its id alone, whatever its job: a run id is unique.

        For clients that name a run without its job, as the CLI does.
        """
        self.require_permission(identity, "read")
        run = db.session.get(Run, parse_uuid(run_id, RunNotFoundError))
        if run is None:
            raise RunNotFoundError(run_id)
        return self.item(identity, run)

    @staticmethod
    def has_ended(run: dict) -> bool:
        """Whether a run, as this service dumps it, is in a finished status."""
        return RunStatusEnum[run["status"]].is_finished
