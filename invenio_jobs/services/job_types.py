# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job types service: the registered job types and their arguments."""

from invenio_records_resources.services.base import LinksTemplate, Service

from ..proxies import current_jobs
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
        }
