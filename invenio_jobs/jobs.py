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
from datetime import timezone

from invenio_i18n import lazy_gettext as _
from marshmallow import Schema, fields
from marshmallow_utils.fields import TZDateTime


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
#: unless a job type's ``build_task_arguments`` asks for them.
SYSTEM_ARGUMENTS = frozenset({"job_arg_schema"})


class JobType:
    """A kind of background work that administrators can run and schedule.

    Subclasses set ``title``, ``description``, ``task`` (a Celery task) and,
    when the task takes arguments, ``arguments_schema`` (a
    :class:`PredefinedArgsSchema` subclass); ``id`` defaults to the name of
    the entry point that registers the class.
    """

    id: str | None = None
    title: str | None = None
    description: str | None = None
    task = None
    arguments_schema: type[Schema] = PredefinedArgsSchema
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
        ``kwargs`` are the run's validated arguments. Override it to compute
        arguments; by default every argument that the task's signature
        accepts is passed on, ``since`` included.
        """
        candidates = {"since": since, **kwargs}
        for name in SYSTEM_ARGUMENTS:
            candidates.pop(name, None)
        accepted = _accepted_parameters(cls.task)
        if accepted is None:
            return candidates
        return {k: v for k, v in candidates.items() if k in accepted}


def _accepted_parameters(task) -> set[str] | None:
    """Names of the keyword arguments a task accepts; None when it takes any."""
    func = getattr(task, "run", task)
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
    return names
