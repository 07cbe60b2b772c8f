# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The runs service: start, read, stop, delete and list the runs of a job."""

import copy
import uuid
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
from flask import current_app
from invenio_accounts.models import User
from invenio_db import db
from invenio_i18n import gettext as _
from invenio_records_resources.services.base import LinksTemplate, Service
from marshmallow import ValidationError

from .. import lifecycle
from ..database import one_statement, speaks_postgresql, write_run_rows
from ..lifecycle import Dispatch
from ..logging.jobs import current_job_context
from ..models import Job, Run, RunLog, RunStatusEnum, RunTrigger, delete_runs, utcnow
from ..proxies import current_jobs
from ..runtime import current_run
from ..worker.context import worker_name
from ..worker.endings import finish_parent
from .base import DumpSchemasMixin, like_pattern, parse_uuid, user_id_of
from .errors import JobNotFoundError, RunNotFoundError, RunStatusChangeError
from .grants import require_on_job
from .later import chosen_time, queue_timed_run
from .pools import pool_waits
from .results import DeferredItem
from .schemas import load_task_arguments, started_by_of
from .uow import DispatchRunsOp, NotifyRunEndOp, RevokeTaskOp, unit_of_work


def _matching(text: str):
    """Runs that ``q`` names: by run or Celery task id (InvenioRDM's), or title."""
    condition = Run.title.ilike(like_pattern(text), escape="\\")
    try:
        as_id = uuid.UUID(text)
    except ValueError:
        return condition
    return sa.or_(condition, Run.id == as_id, Run.task_id == str(as_id))


def _stop_note(identity, via=None) -> str:
    """Who asked a run to stop, and when: for the run's log and message."""
    user_id = user_id_of(identity)
    user = db.session.get(User, user_id) if user_id is not None else None
    who = f"by {user.email or f'user {user.id}'}" if user is not None else ""
    who = " ".join(part for part in (who, via) if part) or "by the system"
    when = utcnow().strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"Stop requested {who} at {when}."


def _cannot_stop(run) -> RunStatusChangeError:
    """The error of a stop asked of a run that has ended (InvenioRDM's, 400)."""
    return RunStatusChangeError(
        run,
        RunStatusEnum.CANCELLING,
        _(
            "The run has already finished (%(status)s); there is nothing to stop.",
            status=run.status.name,
        ),
    )


SEEN_JOBS_KEPT = 1024
"""How many jobs a process remembers as it last read them to start their runs."""


@dataclass(frozen=True)
class _JobAsSeen:
    """What starting a run reads of its job (:data:`lifecycle.JOB_AS_SEEN`)."""

    id: uuid.UUID
    task: str
    run_args: dict
    default_queue: str | None
    timeout: int | None
    pool: str | None

    @classmethod
    def of(cls, job: Job) -> "_JobAsSeen":
        """A copy of a job's values, which later changes of the object leave alone."""
        values = {key: getattr(job, key) for key in lifecycle.JOB_AS_SEEN}
        values["run_args"] = copy.deepcopy(values["run_args"])
        return cls(id=job.id, **values)

    def values(self) -> dict:
        """The values, by column, as the INSERT compares them."""
        return {key: getattr(self, key) for key in lifecycle.JOB_AS_SEEN}


def _no_wait(job):
    """No wait to read for a new run of a job without a pool; None: read it."""
    return {} if job.pool is None else None


class RunsService(DumpSchemasMixin, Service):
    """Start, read, stop, delete and list the runs of a job."""

    @cached_property
    def run_now_schema(self):
        """The schema of "run now" requests, made once: making one per run costs."""
        return self.config.create_schema()

    def item(self, identity, run, subtasks=None, waits=None):
        """A run as a result item, with its links.

        ``subtasks`` are the run's dumped subtasks (see :meth:`subtasks_of`);
        when not given they are read here, one query for a run that has any.
        ``waits``: what runs wait for (see :func:`pool_waits`), by run id;
        when not given it is read here, only for a run that may wait for a
        slot of its job's pool (``pool_wait``, else null).
        """
        if subtasks is None:
            subtasks = self.subtasks_of([run]).get(run.id, [])

        def pool_wait():
            found = pool_waits([run]) if waits is None else waits
            return found.get(run.id)

        return self.result_item(
            self,
            identity,
            run,
            self.dump_schema,
            links_tpl=LinksTemplate(self.config.links_item),
            extra={
                "started_by": lambda: started_by_of(run, identity),
                "subtasks": subtasks,
                "pool_wait": pool_wait,
            },
        )

    def subtasks_of(self, runs) -> dict:
        """The first subtasks of each run, dumped, by run id: one query at most.

        InvenioRDM lists a run's subtasks in its JSON; a run may have
        thousands, so each lists its first ``JOBS_RUN_SUBTASKS_DUMPED``
        (oldest first) and ``total_subtasks`` tells how many there are. No
        query when no run has subtasks.
        """
        parents = [run.id for run in runs if run.total_subtasks]
        if not parents:
            return {}
        limit = current_app.config["JOBS_RUN_SUBTASKS_DUMPED"]
        rank = (
            sa.func.row_number()
            .over(partition_by=Run.parent_run_id, order_by=(Run.created, Run.id))
            .label("rank")
        )
        ranked = (
            sa.select(Run.id, rank).where(Run.parent_run_id.in_(parents)).subquery()
        )
        children = db.session.scalars(
            sa.select(Run)
            .join(ranked, ranked.c.id == Run.id)
            .where(ranked.c.rank <= limit)
            .order_by(Run.parent_run_id, Run.created, Run.id)
        ).all()
        found = {}
        for child in children:
            dumped = self.dump_schema.dump(child)
            dumped["started_by"] = started_by_of(child, None)
            found.setdefault(child.parent_run_id, []).append(dumped)
        return found

    def get_run(self, job_id, run_id) -> Run:
        """The run of this job, or the matching not-found error."""
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        run = db.session.get(Run, parse_uuid(run_id, RunNotFoundError))
        if run is None or run.job_id != job_uuid:
            raise RunNotFoundError(run_id)
        return run

    def read(self, identity, job_id, run_id):
        """One run of a job."""
        require_on_job(self, identity, "read", job_id)
        return self.item(identity, self.get_run(job_id, run_id))

    def search(self, identity, job_id, params=None):
        """A page of a job's runs, newest first, optionally by status and trigger."""
        require_on_job(self, identity, "search", job_id, read_action="search")
        params = self.config.search_params_schema().load(params or {})
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        found = db.session.execute(
            sa.select(Job.id, Job.pool).where(Job.id == job_uuid)
        ).first()
        if found is None:
            raise JobNotFoundError(job_id)
        statement = sa.select(Run).where(Run.job_id == job_uuid)
        if params["parent_run_id"] is not None:
            statement = statement.where(Run.parent_run_id == params["parent_run_id"])
        elif not params["include_subtasks"]:
            statement = statement.where(Run.parent_run_id.is_(None))
        if params["status"]:
            statement = statement.where(Run.status.in_(params["status"]))
        if params["trigger"]:
            statement = statement.where(Run.trigger.in_(params["trigger"]))
        if params["q"].strip():
            statement = statement.where(_matching(params["q"].strip()))
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                statement.with_only_columns(Run.id).subquery()
            )
        )
        page, size = params["page"], params["size"]
        order = (Run.created, Run.id)
        if params["sort"] == "-created":
            order = (Run.created.desc(), Run.id.desc())
        runs = db.session.scalars(
            statement.order_by(*order).limit(size).offset((page - 1) * size)
        ).all()
        subtasks = self.subtasks_of(runs)
        waits = pool_waits(runs, {found.id: found.pool})
        return self.result_list(
            self,
            identity,
            [self.item(identity, run, subtasks.get(run.id, []), waits) for run in runs],
            total,
            params,
            links_tpl=LinksTemplate(self.config.links_search),
            sort_by=params["sort"],
            links_context={"job_id": str(job_uuid)},
        )

    @unit_of_work()
    def create(self, identity, job_id, data=None, uow=None):
        """Run a job now: validate the arguments, queue a run, send it after commit.

        The run is one INSERT (:func:`lifecycle.insert_run`), and after its
        publish one UPDATE marks it sent (see ``worker.dispatch``). Outside
        any transaction (a script, a task), the INSERT is its own autocommit
        statement, with no BEGIN, COMMIT or ping, and it inserts only if the
        job is still as this process last read it: the job is read (then
        remembered) only when it is new here, or was changed or deleted
        since. Within a caller's transaction (a request, a unit of work),
        the job's read and the INSERT join it.
        """
        require_on_job(self, identity, "create", job_id)
        alone = getattr(uow, "alone", False) and speaks_postgresql(db.engine)
        if alone and not (data or {}).get("at"):
            seen = self._seen_jobs.get(parse_uuid(job_id, JobNotFoundError))
            if seen is not None:
                try:
                    run = self._queue_run(identity, seen, data, uow, alone, check=True)
                except ValidationError:  # maybe for what changed: judged below
                    run = None
                if run is not None:
                    return self.item(identity, run, waits=_no_wait(seen))
        job = _JobAsSeen.of(current_jobs.jobs_service.get_job(job_id, alone=alone))
        if alone:
            self._remember_job(job)
        run = self._queue_run(identity, job, data, uow, alone, check=False)
        return self.item(identity, run, waits=_no_wait(job))

    @cached_property
    def _seen_jobs(self) -> dict:
        """The jobs this process started runs of, as it last read them, by id."""
        return {}

    def _remember_job(self, job: "_JobAsSeen"):
        seen = self._seen_jobs
        if len(seen) >= SEEN_JOBS_KEPT and job.id not in seen:
            seen.clear()  # a rare reread each is cheaper than an LRU's upkeep
        seen[job.id] = job

    def _queue_run(self, identity, job, data, uow, alone, check):
        """Validate and insert the run, register its sending; the run.

        ``check``: insert only if the job is as ``job`` says (None if not).
        """
        values = self.run_now_schema.load(data or {})
        reason = current_jobs.registry.unavailable_reason(job.task)
        if reason is not None:  # removed, renamed, or its module fails to load
            raise ValidationError({"task": [reason]})
        job_type = current_jobs.registry.get(job.task)
        args = values["args"]
        if args is None:
            args = copy.deepcopy(job.run_args)
        if values["custom_args"]:  # InvenioRDM's run form: the task's args verbatim
            args = {**(args or {}), "custom_args": values["custom_args"]}
        try:
            args = load_task_arguments(job_type, args)
        except ValidationError as exc:
            raise ValidationError({"args": exc.normalized_messages()}) from exc
        queue = values["queue"] or job.default_queue or current_jobs.default_queue
        at = chosen_time(values["at"])
        # A blank title stays blank: the pages call it "Manual run", as the
        # form's placeholder promises, in the reader's language.
        queued = lifecycle.queued_run(
            job.id,
            (values["title"] or "").strip() or None,
            args,
            queue,
            RunTrigger.MANUAL,
            started_by_id=user_id_of(identity),
        )
        if at is not None:
            return queue_timed_run(queued, at, alone)
        # One INSERT ... RETURNING: the run's number is given by the INSERT.
        seen = job.values() if check else None

        def insert(connection=None):
            return lifecycle.insert_run(queued, db.session, connection, seen)

        run = one_statement(db.engine, insert) if alone else insert()
        if run is None:
            return None
        identity_id = getattr(identity, "id", None)
        dispatch = Dispatch.of(
            run, timeout=job.timeout, identity_id=identity_id, pool=job.pool
        )
        uow.register(DispatchRunsOp([dispatch]))
        return run

    @unit_of_work()
    def stop(self, identity, job_id, run_id, uow=None, via=None):
        """Stop a run: a queued one at once, a running one at its next check.

        A running run is asked to stop (CANCELLING) and its Celery task is
        revoked; the task sees the request at its next ``current_run`` call
        (at most a second later, with any pool). One that does not stop
        within ``JOBS_STOP_GRACE_SECONDS`` is terminated by the maintenance
        task. Its subtasks stop with it. The run's log and message say who
        asked and when; ``via`` names the channel (the command line).
        """
        require_on_job(self, identity, "stop", job_id)
        run = self.get_run(job_id, run_id)
        if run.status.is_finished:
            raise _cannot_stop(run)
        note = _stop_note(identity, via)
        for target in [run.id, *self._active_children(run.id)]:
            self._request_stop(target, uow, note)
        db.session.flush()
        db.session.refresh(run)
        if run.status.is_finished and run.status is not RunStatusEnum.CANCELLED:
            raise _cannot_stop(run)
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
    def _request_stop(run_id, uow, note):
        """Cancel a queued run, or ask a running one to stop; conditional both.

        Either way a line of the run's log says who asked and when.
        """
        task_id, parent_run_id = db.session.execute(
            sa.select(Run.task_id, Run.parent_run_id).where(Run.id == run_id)
        ).one()
        if parent_run_id is not None:
            # A subtask's message may carry others: its stop is seen in its
            # status (claims are conditional), never by revoking the message.
            task_id = None
        if lifecycle.cancel(run_id, f"Stopped before it started. {note}"):
            uow.register(NotifyRunEndOp(run_id))
        elif not lifecycle.request_stop(run_id, message=note):
            return
        db.session.execute(
            sa.insert(RunLog).values(
                run_id=run_id,
                timestamp=utcnow(),
                level="WARNING",
                logger="invenio_jobs.stop",
                message=note,
            )
        )
        if task_id:
            uow.register(RevokeTaskOp(task_id))

    @unit_of_work()
    def delete(self, identity, job_id, run_id, uow=None):
        """Delete a finished run with its log and its subtasks."""
        require_on_job(self, identity, "delete", job_id)
        run = self.get_run(job_id, run_id)
        if not run.status.is_finished:
            raise RunStatusChangeError(
                run,
                None,
                _(
                    "The run is %(status)s; stop it before deleting it.",
                    status=run.status.name,
                ),
            )
        delete_runs([run.id])
        db.session.expunge(run)
        return True

    def read_by_id(self, identity, run_id):
        """One run by its id alone, whatever its job: a run id is unique.

        For clients that name a run without its job, as the CLI does, and
        InvenioRDM's address of a run page. Whoever may not read its job is
        told the run does not exist.
        """
        run = db.session.get(Run, parse_uuid(run_id, RunNotFoundError))
        if run is None:
            raise RunNotFoundError(run_id)
        try:
            require_on_job(self, identity, "read", run.job_id)
        except JobNotFoundError:
            raise RunNotFoundError(run_id) from None
        return self.item(identity, run)

    @staticmethod
    def has_ended(run: dict) -> bool:
        """Whether a run, as this service dumps it, is in a finished status."""
        return RunStatusEnum[run["status"]].is_finished

    # -- InvenioRDM's steps for subtasks that a module sends itself ----------------
    #
    # invenio-vocabularies makes a subtask run, sends its own Celery task and
    # reports the task's start and end through these methods. Each step is
    # written at once on a connection of its own (``uow`` is accepted for
    # InvenioRDM's signatures): parallel tasks counting on one parent never
    # lose a count, and the caller's transaction is neither committed nor
    # needed.

    def get(self, identity, job_id, run_id):
        """One run of a job (InvenioRDM's name of :meth:`read`)."""
        return self.read(identity, job_id, run_id)

    def _fresh_item(self, identity, run_id):
        """A run as stored after a write on another connection, read when used."""

        def load():
            run = db.session.get(Run, run_id, populate_existing=True)
            return self.item(identity, run)

        return DeferredItem(run_id, load)

    def add_total_entries(self, identity, run_id, job_id, total_entries, uow=None):
        """Add to the number of entries a run processes, atomically."""
        self.require_permission(identity, "update")
        current_run.check_cancelled()  # the job's progress call sees a stop
        if isinstance(total_entries, bool) or not isinstance(total_entries, int):
            raise ValueError("total_entries must be an integer")
        if total_entries < 0:
            raise ValueError("total_entries cannot be negative")
        run_uuid = parse_uuid(run_id, RunNotFoundError)
        job_uuid = parse_uuid(job_id, JobNotFoundError)
        if current_run and (current_run.id, current_run.job_id) == (
            run_uuid,
            job_uuid,
        ):
            # The run's own task counts its entries batch by batch: added
            # to its counts, written with them (throttled), not per call.
            current_run.add_total(total_entries)
            return self._fresh_item(identity, run_uuid)
        found = write_run_rows(
            db.engine,
            lambda conn: lifecycle.add_total_entries(
                run_uuid, job_uuid, total_entries, conn
            ),
            commit_session=True,
            single=True,
        )
        if not found:
            raise RunNotFoundError(run_id, job_id=job_id)
        return self._fresh_item(identity, run_uuid)

    def create_subtask_run(self, identity, parent_run_id, job_id, args=None, uow=None):
        """Add a QUEUED subtask run to a run, counted on it at once.

        The job system never sends it: the module that made it sends its
        own task and reports it with :meth:`start_processing_subtask` and
        :meth:`finalize_subtask`.
        """
        self.require_permission(identity, "create")
        current_run.check_cancelled()  # the job's progress call sees a stop
        parent = self.get_run(job_id, parent_run_id)
        # Queued too, as InvenioRDM: a module may prepare subtasks before the
        # parent's task starts; an ended parent would never count them.
        if parent.status not in (RunStatusEnum.QUEUED, RunStatusEnum.RUNNING):
            raise RunStatusChangeError(
                parent,
                RunStatusEnum.RUNNING,
                _(
                    "The run is %(status)s; it takes no new subtask.",
                    status=parent.status.name,
                ),
            )
        child = write_run_rows(
            db.engine,
            lambda conn: lifecycle.add_subtask(
                parent.id,
                parent.job_id,
                parent.queue,
                f"Run {parent.id} — Subtask",  # InvenioRDM's title
                args or {},
                conn,
                driven_by_caller=True,
                started_by_id=user_id_of(identity),
            ),
            commit_session=True,
        )
        return self._fresh_item(identity, child["id"])

    def start_processing_subtask(self, identity, run_id, job_id, uow=None):
        """A subtask's task started: QUEUED -> RUNNING, or RunStatusChangeError.

        The Celery task of the job context becomes the run's task, so that
        stopping the run revokes it.
        """
        self.require_permission(identity, "update")
        run = self.get_run(job_id, run_id)
        values = {}
        task_id = (current_job_context() or {}).get("task_id")
        if run.task_id is None and task_id:
            try:
                values["task_id"] = str(uuid.UUID(str(task_id)))
            except ValueError:
                pass
        worker = worker_name()
        moved = write_run_rows(
            db.engine,
            lambda conn: lifecycle.claim(run.id, worker, connection=conn, **values),
            commit_session=True,
            single=True,
        )
        if not moved:
            raise RunStatusChangeError(run, RunStatusEnum.RUNNING)
        return self._fresh_item(identity, run.id)

    def finalize_subtask(
        self,
        identity,
        run_id,
        job_id,
        errored_entries_count=0,
        success=True,
        inserted_entries_count=0,
        updated_entries_count=0,
        uow=None,
    ):
        """End a running subtask and count it, with its entries, on its parent.

        The parent ends when its own task has returned and its last subtask
        has ended (see :func:`invenio_jobs.lifecycle.finish_parent`). A
        subtask that is not running any more raises RunStatusChangeError and
        is not counted twice.
        """
        self.require_permission(identity, "update")
        run = self.get_run(job_id, run_id)
        status = RunStatusEnum.SUCCESS if success else RunStatusEnum.FAILED
        counts = {
            "inserted": int(inserted_entries_count or 0),
            "updated": int(updated_entries_count or 0),
            "errored": int(errored_entries_count or 0),
        }

        def end(conn):
            moved = lifecycle.finish(
                run.id,
                status,
                connection=conn,
                **{f"{key}_entries": count for key, count in counts.items()},
            )
            if moved and run.parent_run_id is not None:
                return moved, lifecycle.count_subtask(
                    run.parent_run_id, success, conn, **counts
                )
            return moved, False

        moved, ready = write_run_rows(db.engine, end, commit_session=True)
        if not moved:
            raise RunStatusChangeError(run, status)
        if ready:
            finish_parent(run.parent_run_id)
        return self._fresh_item(identity, run.id)
