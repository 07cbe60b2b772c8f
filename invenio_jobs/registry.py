# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The registry of job types, filled from the ``invenio_jobs.jobs`` entry points."""

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points

from .errors import DuplicateJobTypeError, InvalidJobTypeError
from .jobs import JobType, undeclared_fields

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "invenio_jobs.jobs"


@dataclass(frozen=True)
class UnavailableJobType:
    """A job type whose entry point failed to load.

    It is kept, not dropped, so that its jobs can say why they do not run
    and the administrator sees which module to fix.
    """

    id: str
    origin: str
    """The entry point, as ``name = module:attribute``."""
    error: str
    """The exception that loading raised, as ``Type: message``."""

    @property
    def reason(self) -> str:
        """Why the job type cannot run, for runs, API clients and the CLI."""
        return (
            f"Job type '{self.id}' could not be loaded from entry point "
            f"'{self.origin}': {self.error}"
        )


def not_registered_reason(job_id: str) -> str:
    """Why a job of an id that no module registers cannot run."""
    return f"Job type '{job_id}' is not registered (was it removed or renamed?)"


class JobsRegistry:
    """Job types by id.

    Each id is unique: registering a second job type under an id raises
    :class:`DuplicateJobTypeError` naming both, so that a clash between two
    modules is found at start-up and not when a job runs the wrong task.
    """

    def __init__(self):
        """Start empty; entry points are loaded when the app is finalized."""
        self._job_types: dict[str, type[JobType]] = {}
        self._origins: dict[str, str] = {}
        self._warned: set = set()
        self._unavailable: dict[str, UnavailableJobType] = {}

    def register(
        self,
        job_type: type[JobType],
        id_: str | None = None,
        origin: str = "",
        job_id: str | None = None,
    ) -> type[JobType]:
        """Add a job type; ``id_`` or ``job_id`` names a class without ``id``."""
        id_ = id_ or job_id
        if not (isinstance(job_type, type) and issubclass(job_type, JobType)):
            raise InvalidJobTypeError(
                f"{origin or job_type!r} is not a subclass of invenio_jobs.jobs.JobType."
            )
        job_id = job_type.id or id_
        if not job_id:
            raise InvalidJobTypeError(
                f"Job type {job_type.__module__}.{job_type.__qualname__} has no id."
            )
        if job_type.id is None:
            job_type.id = job_id
        if job_type.task is None or not callable(job_type.task):
            raise InvalidJobTypeError(
                f"Job type '{job_id}' ({origin or job_type.__qualname__}) has no task."
            )
        origin = origin or f"{job_type.__module__}:{job_type.__qualname__}"
        known = self._job_types.get(job_id)
        if known is not None and known is not job_type:
            raise DuplicateJobTypeError(job_id, self._origins[job_id], origin)
        self._job_types[job_id] = job_type
        self._origins[job_id] = origin
        self._warn_undeclared(job_type, job_id)
        return job_type

    def _warn_undeclared(self, job_type, job_id):
        """Warn, once per schema, of attributes meant as fields that are not.

        Their arguments are passed through unchecked: the author should know.
        """
        schema = job_type.arguments_schema
        for name in undeclared_fields(schema):
            if (schema, name) in self._warned:
                continue
            self._warned.add((schema, name))
            logger.warning(
                "Job type '%s': %s.%s.%s is not a marshmallow field (a trailing "
                "comma makes it a tuple); its argument is passed through "
                "unchecked.",
                job_id,
                schema.__module__,
                schema.__qualname__,
                name,
            )

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every job type of an entry point group.

        A module that fails to import (a missing dependency, a syntax error)
        is a fault of one plugin: it is logged and kept as unavailable, and
        everything else starts. A job type that loads but is invalid, or
        clashes with another id, is a configuration mistake: it raises.
        """
        for ep in sorted(entry_points(group=group), key=lambda ep: ep.name):
            origin = f"{ep.name} = {ep.value}"
            try:
                job_type = ep.load()
            except Exception as exc:  # noqa: BLE001 -- one plugin must not stop all
                self.mark_unavailable(ep.name, origin, exc)
                continue
            self.register(job_type, id_=ep.name, origin=origin)

    def mark_unavailable(self, job_id: str, origin: str, exc: BaseException):
        """Keep a job type that could not be loaded, and log why."""
        error = f"{type(exc).__name__}: {exc}"
        self._unavailable[job_id] = UnavailableJobType(job_id, origin, error)
        logger.error(
            "Job type '%s' (entry point '%s') could not be loaded; its jobs "
            "will not run until it loads: %s",
            job_id,
            origin,
            error,
            exc_info=exc,
        )

    def unavailable(self) -> dict[str, UnavailableJobType]:
        """Job types whose entry point failed to load, by id.

        An id that another entry point registered is not unavailable.
        """
        return {
            job_id: item
            for job_id, item in sorted(self._unavailable.items())
            if job_id not in self._job_types
        }

    def unavailable_reason(self, job_id: str) -> str | None:
        """Why jobs of this id cannot run; None when the job type is registered."""
        if job_id in self._job_types:
            return None
        item = self._unavailable.get(job_id)
        return item.reason if item is not None else not_registered_reason(job_id)

    def get(self, job_id: str) -> type[JobType]:
        """The job type with this id; ``KeyError`` when none is registered."""
        return self._job_types[job_id]

    def all(self) -> dict[str, type[JobType]]:
        """Every registered job type, by id."""
        return dict(self._job_types)

    def origin(self, job_id: str) -> str:
        """Where a job type was registered from, for error messages."""
        return self._origins[job_id]

    def __contains__(self, job_id: object) -> bool:
        """Whether a job type with this id is registered."""
        return job_id in self._job_types

    def __iter__(self):
        """Iterate over the ids, sorted."""
        return iter(sorted(self._job_types))

    def __len__(self) -> int:
        """Number of registered job types."""
        return len(self._job_types)

    # -- InvenioRDM's names ------------------------------------------------------
    def get_all(self) -> dict[str, type[JobType]]:
        """Every registered job type, by id (InvenioRDM's name of :meth:`all`)."""
        return self.all()

    def get_job_id(self, job_type) -> str:
        """The id under which a job type is registered; ``KeyError`` if none."""
        for job_id, known in self._job_types.items():
            if known == job_type:
                return job_id
        raise KeyError("Job type not found in registry.")

    @property
    def schemas(self) -> dict:
        """The arguments schemas of the job types, by schema class name.

        InvenioRDM keys the schemas by class name: that is what clients put
        in ``job_arg_schema``. Job types without a schema are left out.
        """
        schemas = {}
        for job_type in self._job_types.values():
            schema = job_type.arguments_schema
            if schema:
                schemas[schema.__name__] = schema
        return schemas
