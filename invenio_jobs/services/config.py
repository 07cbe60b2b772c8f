# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Service configurations, built per app so that settings apply at once."""

from flask import current_app
from invenio_records_resources.services.base.config import (
    ConfiguratorMixin,
    FromConfig,
    ServiceConfig,
)
from invenio_records_resources.services.base.links import ExternalLink

from ..models import RunStatusEnum
from .links import list_links, log_links
from .permissions import (
    JobLogsPermissionPolicy,
    JobPermissionPolicy,
    RunPermissionPolicy,
    TasksPermissionPolicy,
)
from .results import ItemResult, ListResult, LogsResult
from .schemas import (
    JobSchema,
    JobsSearchParamsSchema,
    LogsSearchParamsSchema,
    LogsTailParamsSchema,
    RunCreateSchema,
    RunSchema,
    RunsSearchParamsSchema,
    SearchParamsSchema,
)


def _is_active(run, ctx):
    return run.status in RunStatusEnum.active()


def _admin_html(job, vars):
    vars["admin_html"] = current_app.config["JOBS_ADMINISTRATION_HTML"].format(
        id=job.id
    )


def _curator_html(job, vars):
    prefix = current_app.config["JOBS_CURATOR_URL_PREFIX"].rstrip("/")
    vars["curator_html"] = f"{prefix}/{job.id}"


class JobsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the jobs service."""

    service_id = "jobs"
    permission_policy_cls = FromConfig(
        "JOBS_PERMISSION_POLICY", default=JobPermissionPolicy, import_string=True
    )
    result_item_cls = ItemResult
    result_list_cls = ListResult
    schema = JobSchema
    search_params_schema = JobsSearchParamsSchema
    links_item = {
        "self": ExternalLink("{+api}/jobs/{id}", vars=lambda o, v: v.update(id=o.id)),
        "runs": ExternalLink(
            "{+api}/jobs/{id}/runs", vars=lambda o, v: v.update(id=o.id)
        ),
        "self_admin_html": ExternalLink("{+ui}{+admin_html}", vars=_admin_html),
        "self_html": ExternalLink("{+ui}{+curator_html}", vars=_curator_html),
    }
    links_search = list_links("{+api}/jobs{?args*}")


class RunsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the runs service."""

    service_id = "runs"
    permission_policy_cls = FromConfig(
        "JOBS_RUNS_PERMISSION_POLICY", default=RunPermissionPolicy, import_string=True
    )
    result_item_cls = ItemResult
    result_list_cls = ListResult
    schema = RunSchema
    create_schema = RunCreateSchema
    search_params_schema = RunsSearchParamsSchema
    links_item = {
        "self": ExternalLink(
            "{+api}/jobs/{job_id}/runs/{id}",
            vars=lambda o, v: v.update(id=o.id, job_id=o.job_id),
        ),
        "logs": ExternalLink(
            "{+api}/logs/jobs?q={id}", vars=lambda o, v: v.update(id=o.id)
        ),
        "stop": ExternalLink(
            "{+api}/jobs/{job_id}/runs/{id}/actions/stop",
            when=_is_active,
            vars=lambda o, v: v.update(id=o.id, job_id=o.job_id),
        ),
    }
    links_search = list_links("{+api}/jobs/{job_id}/runs{?args*}")


class TasksServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the service listing job types."""

    service_id = "tasks"
    permission_policy_cls = FromConfig(
        "JOBS_TASKS_PERMISSION_POLICY",
        default=TasksPermissionPolicy,
        import_string=True,
    )
    result_item_cls = ItemResult
    result_list_cls = ListResult
    search_params_schema = SearchParamsSchema
    links_item = {
        "self": ExternalLink(
            "{+api}/tasks/{id}/args", vars=lambda o, v: v.update(id=o.id)
        ),
        "form": ExternalLink(
            "{+api}/tasks/{id}/form", vars=lambda o, v: v.update(id=o.id)
        ),
    }
    links_search = list_links("{+api}/tasks{?args*}")


class LogsServiceConfig(ServiceConfig, ConfiguratorMixin):
    """Configuration of the run logs service.

    ``APP_LOGS_PERMISSION_POLICY`` (InvenioRDM's) governs the log search; a
    run's own log routes check the runs' policy through the runs service.
    """

    service_id = "job-logs"
    permission_policy_cls = FromConfig(
        "APP_LOGS_PERMISSION_POLICY",
        default=JobLogsPermissionPolicy,
        import_string=True,
    )
    result_list_cls = LogsResult
    search_params_schema = LogsSearchParamsSchema
    tail_params_schema = LogsTailParamsSchema
    links_search = log_links("{+api}/logs/jobs{?args*}")
