# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Concurrency pools: create, read, change, delete; how busy each one is.

A pool's slots are counted by the database when runs are admitted (see
:mod:`invenio_jobs.lifecycle.pools`); this service only keeps the pools
themselves, and tells how many slots are busy and how many runs wait.
"""

import sqlalchemy as sa
from flask import current_app
from invenio_db import db
from invenio_db.uow import Operation
from invenio_i18n import gettext as _
from invenio_records_resources.services.base import LinksTemplate, Service
from invenio_records_resources.services.base.config import (
    ConfiguratorMixin,
    FromConfig,
    ServiceConfig,
)
from invenio_records_resources.services.base.links import ExternalLink
from marshmallow import ValidationError

from .. import lifecycle
from ..models import Job, Pool, Run, RunStatusEnum, utcnow
from ..worker.dispatch import send_pool_runs
from .base import DumpSchemasMixin
from .errors import PoolExistsError, PoolInUseError, PoolNotFoundError
from .links import list_links
from .permissions import PoolPermissionPolicy
from .results import ItemResult, ListResult
from .schemas import PoolSchema, find_pool
from .uow import unit_of_work


class PoolsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the pools service."""

    service_id = "job-pools"
    permission_policy_cls = FromConfig(
        "JOBS_POOLS_PERMISSION_POLICY", default=PoolPermissionPolicy, import_string=True
    )
    result_item_cls = ItemResult
    result_list_cls = ListResult
    schema = PoolSchema
    links_item = {
        "self": ExternalLink(
            "{+api}/jobs/pools/{name}", vars=lambda o, v: v.update(name=o.name)
        ),
    }
    links_search = list_links("{+api}/jobs/pools")


class AdmitWaitingRunsOp(Operation):
    """Start the runs that a pool's new slots admit, once the change is committed."""

    def __init__(self, name):
        """Keep the pool's name."""
        self.name = name

    def on_post_commit(self, uow):
        """Admit and send; what fails here the beat's next look does."""
        try:
            send_pool_runs({self.name})
        except Exception as error:  # noqa: BLE001 -- the beat admits them
            db.session.rollback()
            current_app.logger.warning(
                "Could not start waiting runs of pool %s (%s).", self.name, error
            )


def waiting_text(name, busy, slots) -> str:
    """What a waiting run says, in the reader's language."""
    return _(
        "waiting for pool %(pool)s (%(busy)s of %(slots)s busy)",
        pool=name,
        busy=busy,
        slots=slots,
    )


def pool_waits(runs, pool_of_job=None) -> dict:
    """What each run that waits for a slot waits for, by run id.

    ``{"pool", "busy", "slots", "text"}`` for a top-level QUEUED run, not
    sent, whose job is in a pool and that holds no slot (nor waits for a
    retry's back-off). No statement when no run may wait so; otherwise one
    for the pools' use, and one for the jobs' pools unless ``pool_of_job``
    (job id to pool name) gives them.
    """
    now = utcnow()
    candidates = [
        run
        for run in runs
        if run is not None
        and run.status is RunStatusEnum.QUEUED
        and run.parent_run_id is None
        and run.slot_pool is None
        and run.dispatched_at is None
        # A retry waits for its back-off first, then for a slot.
        and not (run.attempt > 1 and run.due_at is not None and run.due_at > now)
    ]
    if not candidates:
        return {}
    job_ids = {run.job_id for run in candidates}
    if pool_of_job is None:
        pool_of_job = dict(
            db.session.execute(
                sa.select(Job.id, Job.pool).where(
                    Job.id.in_(job_ids), Job.pool.is_not(None)
                )
            )
            .tuples()
            .all()
        )
    pools = {
        job_id: pool_of_job[job_id] for job_id in job_ids if pool_of_job.get(job_id)
    }
    if not pools:
        return {}
    use = lifecycle.usage(pools.values(), db.session.connection())
    waits = {}
    for run in candidates:
        name = pools.get(run.job_id)
        if name not in use:
            continue
        busy, slots = use[name]
        waits[run.id] = {
            "pool": name,
            "busy": busy,
            "slots": slots,
            "text": waiting_text(name, busy, slots),
        }
    return waits


class PoolsService(DumpSchemasMixin, Service):
    """Keep the concurrency pools; administrators only, by default."""

    def _item(self, identity, pool, use=None, counts=None):
        busy, _slots = (use or {}).get(pool.name, (0, pool.slots))
        jobs, waiting = (counts or {}).get(pool.name, (0, 0))
        return self.result_item(
            self,
            identity,
            pool,
            self.dump_schema,
            links_tpl=LinksTemplate(self.config.links_item),
            extra={"busy": busy, "jobs": jobs, "waiting": waiting},
        )

    def _items(self, identity, pools):
        """Items with their use: three statements whatever the number of pools."""
        names = [pool.name for pool in pools]
        if not names:
            return []
        use = lifecycle.usage(names, db.session.connection())
        counts = _jobs_and_waiting(names)
        return [self._item(identity, pool, use, counts) for pool in pools]

    def get_pool(self, name) -> Pool:
        """The pool with this name, or PoolNotFoundError."""
        pool = find_pool(name)
        if pool is None:
            raise PoolNotFoundError(name)
        return pool

    def search(self, identity, params=None):
        """Every pool, by name (there are few: no paging)."""
        self.require_permission(identity, "search")
        pools = db.session.scalars(sa.select(Pool).order_by(Pool.name)).all()
        items = self._items(identity, pools)
        return self.result_list(
            self,
            identity,
            items,
            len(items),
            {"page": 1, "size": max(len(items), 1)},
            links_tpl=LinksTemplate(self.config.links_search),
        )

    def read(self, identity, name):
        """One pool, with how busy it is."""
        self.require_permission(identity, "read")
        return self._items(identity, [self.get_pool(name)])[0]

    @unit_of_work()
    def create(self, identity, data, uow=None):
        """Create a pool."""
        self.require_permission(identity, "create")
        values = self.dump_schema.load(data or {})
        if db.session.get(Pool, values["name"]) is not None:
            raise PoolExistsError(values["name"])
        now = utcnow()
        pool = Pool(created=now, updated=now, **values)
        db.session.add(pool)
        db.session.flush()
        return self._item(identity, pool)

    @unit_of_work()
    def update(self, identity, name, data, uow=None):
        """Change a pool's slots or description (the fields given).

        More slots start waiting runs at once, after the commit; fewer let
        the runs that hold a slot end, and admit no more until the busy
        slots are fewer than the new number.
        """
        self.require_permission(identity, "update")
        pool = self.get_pool(name)
        values = self.config.schema(partial=True).load(data or {})
        if values.get("name", pool.name) != pool.name:
            raise _renaming_refused()
        grows = values.get("slots", pool.slots) > pool.slots
        for key in ("slots", "description"):
            if key in values:
                setattr(pool, key, values[key])
        pool.updated = utcnow()
        db.session.flush()
        if grows:
            uow.register(AdmitWaitingRunsOp(pool.name))
        return self._items(identity, [pool])[0]

    @unit_of_work()
    def delete(self, identity, name, uow=None):
        """Delete a pool that no job belongs to."""
        self.require_permission(identity, "delete")
        pool = self.get_pool(name)
        jobs = db.session.scalar(
            sa.select(sa.func.count()).select_from(Job).where(Job.pool == pool.name)
        )
        if jobs:
            raise PoolInUseError(pool.name, jobs)
        db.session.delete(pool)
        return True


def _renaming_refused():
    return ValidationError(
        {"name": [_("Name: a pool cannot be renamed; create a new one.")]}
    )


def _jobs_and_waiting(names) -> dict:
    """How many jobs each pool has, and how many of their runs wait: one statement."""
    waiting = sa.func.count(Run.id).filter(
        Run.status == RunStatusEnum.QUEUED,
        Run.parent_run_id.is_(None),
        Run.slot_pool.is_(None),
        Run.dispatched_at.is_(None),
    )
    rows = db.session.execute(
        sa.select(Job.pool, sa.func.count(sa.distinct(Job.id)), waiting)
        .select_from(Job)
        .outerjoin(
            Run,
            sa.and_(Run.job_id == Job.id, Run.status == RunStatusEnum.QUEUED),
        )
        .where(Job.pool.in_(list(names)))
        .group_by(Job.pool)
    ).all()
    return {name: (jobs, waits) for name, jobs, waits in rows}
