# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The public API for job authors: :class:`JobType` and :class:`PredefinedArgsSchema`.

A module adds a job type by subclassing :class:`JobType` and registering the
class in the ``invenio_jobs.jobs`` entry point group::

    [options.entry_points]
    invenio_jobs.jobs =
        export_records = my_site.jobs:ExportRecords

The names and signatures are those of InvenioRDM's invenio-jobs, so that job
types written for it run unchanged.
"""

import inspect
import threading
from dataclasses import dataclass
from datetime import timezone
from functools import lru_cache

import sqlalchemy as sa
from invenio_db import db
from invenio_i18n import lazy_gettext as _
from marshmallow import Schema, ValidationError, fields
from marshmallow.fields import Field
from marshmallow_utils.fields import TZDateTime

from .models import Run, last_success_order, last_success_where


class PredefinedArgsSchema(Schema):
    """Arguments every job type accepts; subclass it to add your own.

    ``since`` lets an administrator replay a job from a given instant; left
    empty, the job continues from the start of its last successful run.
    ``job_arg_schema`` is a hidden marker kept for clients of InvenioRDM's
    invenio-jobs, which send it with the arguments.
    """

    job_arg_schema = fields.String(
        metadata={"type": "hidden"},
        dump_default="PredefinedArgsSchema",
        load_default="PredefinedArgsSchema",
    )

    since = TZDateTime(
        timezone=timezone.utc,
        format="iso",
        allow_none=True,
        metadata={
            "title": _("Since"),
            "description": _(
                "YYYY-MM-DDThh:mm:ss+00:00 (ISO 8601, UTC). Leave empty to continue "
                "from the last successful run."
            ),
        },
    )


#: Arguments the job system itself adds to the schema; never passed to tasks
#: nor to ``build_task_arguments``.
SYSTEM_ARGUMENTS = frozenset({"job_arg_schema"})

CUSTOM_ARGUMENTS = "custom_args"
"""Key of a run's arguments that, when set, are the task's arguments verbatim.

InvenioRDM's meaning: administrators who know the task give its keyword
arguments as a JSON object, and the job type's schema is bypassed.
"""


class JobType:
    """A kind of background work that administrators can run and schedule.

    Subclasses set ``title``, ``description``, ``task`` (a Celery task) and,
    when the task takes arguments, ``arguments_schema`` (a
    :class:`PredefinedArgsSchema` subclass, or None for no arguments); ``id``
    defaults to the name of the entry point that registers the class.
    """

    id: str | None = None
    title: str | None = None
    description: str | None = None
    task = None
    arguments_schema: type[Schema] | None = PredefinedArgsSchema
    #: Exceptions after which a failed run is tried again, up to the job's
    #: ``max_retries`` times, with exponential back-off.
    retry_on: tuple[type[BaseException], ...] = ()

    @classmethod
    def create(
        cls,
        job_cls_name,
        arguments_schema,
        id_,
        task,
        description,
        title,
        attrs=None,
    ) -> type["JobType"]:
        """Make a job type class at run time, for modules that build them."""
        return type(
            job_cls_name,
            (cls,),
            dict(
                id=id_,
                arguments_schema=arguments_schema,
                task=task,
                description=description,
                title=title,
                **(attrs or {}),
            ),
        )

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, **kwargs) -> dict:
        """Return the keyword arguments the task is called with.

        ``since`` is the instant the run continues from (the start of the
        job's last successful run unless the administrator gave one) and
        ``kwargs`` are the run's validated arguments, those the job type
        declares only. Override it to compute arguments; by default every
        argument that the task's signature accepts is passed on, ``since``
        included.
        """
        candidates = {"since": since, **kwargs}
        accepted = _accepted_parameters(cls.task)
        if accepted is None:
            return candidates
        return {k: v for k, v in candidates.items() if k in accepted}

    @classmethod
    def _build_task_arguments(
        cls, job_obj, since=None, custom_args=None, **kwargs
    ) -> dict:
        """The task's arguments of a run; the hook job types may override.

        ``custom_args``, when given, are the task's arguments verbatim.
        Otherwise ``since`` defaults to the start of the job's last
        successful run, and :meth:`build_task_arguments` receives the
        arguments its signature names (all of them if it takes
        ``**kwargs``), so that one written with explicit parameters never
        gets an argument it does not expect.
        """
        if custom_args:
            return dict(custom_args)
        if since is None:
            since = _last_success_start(job_obj)
        return cls._arguments_since(job_obj, since, kwargs)

    @classmethod
    def _arguments_since(cls, job_obj, since, kwargs: dict) -> dict:
        """:meth:`build_task_arguments` with ``since`` settled, given what it names."""
        accepted = _accepted_parameters(cls.build_task_arguments)
        if accepted is not None:
            kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        return dict(cls.build_task_arguments(job_obj, since=since, **kwargs))


RegisteredTask = JobType
"""InvenioRDM's documented name of :class:`JobType`."""


@lru_cache(maxsize=256)
def undeclared_fields(schema) -> dict[str, Field]:
    """Class attributes of a schema that hold a field but are not its fields.

    ``serializer = fields.String(...),`` (a trailing comma) makes a tuple,
    which marshmallow ignores. InvenioRDM passes such an argument through
    unchecked, so the job system does the same (and the registry warns).
    """
    if schema is None:
        return {}
    declared = schema._declared_fields
    found = {}
    for klass in reversed(schema.__mro__):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in declared:
                continue
            if isinstance(value, (tuple, list)) and value:
                if all(isinstance(item, Field) for item in value):
                    found[name] = value[0]
                    continue
            found.pop(name, None)
    return found


class NoArgumentsSchema(Schema):
    """The arguments of a job type whose ``arguments_schema`` is None: none."""


def _split(job_type, args: dict | None):
    """The schema, the arguments it checks, those passed through, ``custom_args``."""
    schema = job_type.arguments_schema or NoArgumentsSchema
    data = {k: v for k, v in (args or {}).items() if k not in SYSTEM_ARGUMENTS}
    custom = data.pop(CUSTOM_ARGUMENTS, None) or None
    if custom is not None and not isinstance(custom, dict):
        raise ValidationError({CUSTOM_ARGUMENTS: ["Not a valid JSON object."]})
    passed = {
        name: data.pop(name) for name in undeclared_fields(schema) if name in data
    }
    return _schema_instance(schema), data, passed, custom


_SCHEMAS = threading.local()


def _schema_instance(schema):
    """This thread's instance of an arguments schema.

    Making one per run cost more than loading the arguments with it.
    """
    instances = _SCHEMAS.__dict__.setdefault("instances", {})
    instance = instances.get(schema)
    if instance is None:
        instance = instances[schema] = schema()
    return instance


def normalise_arguments(job_type, args: dict | None) -> dict:
    """Validate a run's arguments; return them as stored (JSON).

    The stored form is the schema's own dump of what it loaded, so that
    dates are normalised and defaults are written down; arguments a slip
    left undeclared (see :func:`undeclared_fields`) and ``custom_args`` are
    kept as given; the form's markers are dropped. A job type without a
    schema takes no arguments (``custom_args`` aside).
    """
    schema, data, passed, custom = _split(job_type, args)
    stored = {**schema.dump(schema.load(data)), **passed}
    for name in SYSTEM_ARGUMENTS:
        stored.pop(name, None)
    if custom:
        stored[CUSTOM_ARGUMENTS] = custom
    return stored


def load_arguments(job_type, args: dict | None) -> tuple[dict, dict | None]:
    """A run's stored arguments as the job type receives them.

    Returns the arguments the job type declares, loaded by its schema (with
    those a slip left undeclared, as stored), and the run's ``custom_args``,
    if any. The form's markers are left out.
    """
    schema, data, passed, custom = _split(job_type, args)
    loaded = {**schema.load(data), **passed}
    for name in SYSTEM_ARGUMENTS:
        loaded.pop(name, None)
    return loaded, custom


def build_default_arguments(
    job_type,
    job_obj,
    args: dict | None,
    since=None,
    since_known=False,
    predecessor=None,
) -> dict:
    """The task's arguments for a run with these stored arguments.

    ``since`` given by the arguments wins; otherwise the one given here (a
    caller that knows the last success passes it, and saves the hook a
    query); otherwise the job type's ``_build_task_arguments`` chooses.
    ``since_known`` says that a None ``since`` means "never succeeded", so
    that the base hook need not look the last success up again.
    ``predecessor``: the run whose end started this one (a
    :class:`PredecessorRun`), given to a hook that asks for it only.
    """
    loaded, custom_args = load_arguments(job_type, args)
    if predecessor is not None and asks_for_predecessor(job_type):
        loaded["predecessor"] = predecessor
    since = loaded.pop("since", None) or since
    if since is None and since_known and has_base_hook(job_type) and not custom_args:
        return job_type._arguments_since(job_obj, None, loaded)
    return job_type._build_task_arguments(
        job_obj=job_obj, since=since, custom_args=custom_args, **loaded
    )


@dataclass(frozen=True)
class PredecessorRun:
    """The run of another job whose end started a run (it runs after that job).

    A job type whose ``build_task_arguments`` takes a ``predecessor``
    parameter receives it: to continue from what that run did.
    """

    id: object
    job_id: object
    number: int | None
    status: str
    args: dict
    since: object
    """The ``since`` that run worked from: its arguments', else the start of
    its job's last success before it (None: it had none)."""
    finished_at: object


def asks_for_predecessor(job_type) -> bool:
    """Whether a job type's argument hook names a ``predecessor`` parameter.

    By name only: a hook that takes ``**kwargs`` is called as it always was.
    """
    for hook in (job_type.build_task_arguments, job_type._build_task_arguments):
        try:
            if "predecessor" in inspect.signature(hook).parameters:
                return True
        except (TypeError, ValueError):
            continue
    return False


def has_base_hook(job_type) -> bool:
    """Whether a job type keeps the base ``_build_task_arguments`` hook.

    One that overrides it (as ORCID's does) decides ``since`` itself when
    the run gives none, as in InvenioRDM.
    """
    return (
        job_type._build_task_arguments.__func__
        is JobType._build_task_arguments.__func__
    )


def _last_success_start(job_obj):
    """When the job's last successful top-level run started (UTC), or None."""
    job_id = getattr(job_obj, "id", None)
    if job_id is None:
        return None
    return db.session.scalar(
        sa.select(Run.started_at)
        .where(Run.job_id == job_id, *last_success_where(Run.__table__.c))
        .order_by(*last_success_order(Run.__table__.c))
        .limit(1)
    )


def _accepted_parameters(func) -> frozenset[str] | None:
    """Names of the keyword arguments a callable (or task) accepts; None: any."""
    func = getattr(func, "run", func)
    try:
        return _parameters_of(func)
    except TypeError:  # unhashable: read its signature each time
        return _parameters_of.__wrapped__(func)


@lru_cache(maxsize=256)
def _parameters_of(func) -> frozenset[str] | None:
    """:func:`_accepted_parameters` of a plain callable, read once.

    Reading a signature cost a run more than the rest of its arguments.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    names = set()
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if param.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            names.add(param.name)
    names.discard("self")
    return frozenset(names)
