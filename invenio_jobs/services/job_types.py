# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job types service: the registered job types and their arguments."""

from invenio_records_resources.services.base import LinksTemplate, Service

from ..proxies import current_jobs
from ..registry import UnavailableJobType
from .arguments import describe_schema
from .errors import TaskNotFoundError


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

    def _unavailable_item(self, identity, unavailable):
        return self.result_item(self, identity, unavailable, _UnavailableDump())

    def search(self, identity, params=None):
        """Every registered job type sorted by id, then those that failed to load.

        The unavailable ones (``"available": false`` and the ``error``) are
        listed so that an administrator sees which module to fix; they have
        no links, since they have no arguments to read.
        """
        self.require_permission(identity, "search")
        params = self.config.search_params_schema().load(params or {})
        registry = current_jobs.registry
        job_types = [registry.get(i) for i in registry]
        job_types += list(registry.unavailable().values())
        page, size = params["page"], params["size"]
        page_items = job_types[(page - 1) * size : page * size]
        return self.result_list(
            self,
            identity,
            [
                (
                    self._unavailable_item(identity, jt)
                    if isinstance(jt, UnavailableJobType)
                    else self._item(identity, jt)
                )
                for jt in page_items
            ],
            len(job_types),
            params,
            links_tpl=LinksTemplate(self.config.links_search),
        )

    def read(self, identity, task_id):
        """One job type."""
        self.require_permission(identity, "read")
        return self._item(identity, self.get_job_type(task_id))

    def read_registered_task_arguments(self, identity, registered_task_id):
        """The job type's arguments schema, an instance; None when it has none.

        InvenioRDM's method: ``/api/tasks/<id>/args`` describes what it
        returns with :func:`~.arguments.jsonify_arguments`.
        """
        self.require_permission(identity, "read")
        schema = self.get_job_type(registered_task_id).arguments_schema
        return schema() if schema else None

    def read_task_form(self, identity, task_id) -> dict:
        """The arguments of a job type, described for a generated form.

        Our own description (``/api/tasks/<id>/form``): a list of fields with
        types, defaults, choices and help; empty for a job type without
        arguments.
        """
        self.require_permission(identity, "read")
        job_type = self.get_job_type(task_id)
        schema = job_type.arguments_schema
        return {
            "id": job_type.id,
            "title": str(job_type.title or job_type.id),
            "fields": describe_schema(schema) if schema else [],
        }


class _JobTypeDump:
    """Dumps a job type class: id, title, description."""

    def dump(self, job_type) -> dict:
        return {
            "id": job_type.id,
            "title": str(job_type.title or job_type.id),
            "description": str(job_type.description or ""),
            "available": True,
        }


class _UnavailableDump:
    """Dumps a job type that failed to load: its id, and why it is unavailable."""

    def dump(self, unavailable) -> dict:
        return {
            "id": unavailable.id,
            "title": unavailable.id,
            "description": "",
            "available": False,
            "error": unavailable.reason,
        }
