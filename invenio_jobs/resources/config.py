# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Resource configurations: routes, request parsing, errors mapped to HTTP."""

import marshmallow as ma
from flask_resources import (
    HTTPJSONException,
    JSONSerializer,
    ResourceConfig,
    ResponseHandler,
    create_error_handler,
)
from invenio_records_resources.resources.errors import ErrorHandlersMixin
from sqlalchemy import exc as sa_exc

from ..database import Outage, is_unreachable
from ..services.errors import (
    InvalidRequestBodyError,
    JobNotFoundError,
    JobsFileError,
    MaintenanceWindowNotFoundError,
    MetricsAuthenticationError,
    PoolExistsError,
    PoolInUseError,
    PoolNotFoundError,
    RequestBodyTooLargeError,
    RunNotFoundError,
    RunStatusChangeError,
    RunTooManyResults,
    TaskNotFoundError,
)
from .parsers import JSONObjectParser, QueryText

JSON_TYPES = ("application/json", "application/vnd.inveniordm.v1+json")


def _not_found(exc):
    return HTTPJSONException(code=404, description=str(exc.description))


def _bad_request(exc):
    return HTTPJSONException(code=400, description=str(exc.description))


def _bad_body(code):
    """An answer to a body that cannot be read, naming the field at fault."""

    def answer(exc):
        return HTTPJSONException(
            code=code,
            description=str(exc.description),
            errors=[{"field": exc.field, "messages": [str(exc.description)]}],
        )

    return answer


class DatabaseUnavailable(HTTPJSONException):
    """503 with ``Retry-After``: the database is away, the request may be repeated."""

    retry_after = 5

    def get_headers(self, environ=None, scope=None):
        """The JSON content type, and when to try again."""
        return [
            *super().get_headers(environ, scope),
            ("Retry-After", str(self.retry_after)),
        ]


class AuthenticationRequired(HTTPJSONException):
    """401 that tells a scraper which credentials the metrics take."""

    def get_headers(self, environ=None, scope=None):
        """The JSON content type, and the bearer token challenge."""
        return [
            *super().get_headers(environ, scope),
            ("WWW-Authenticate", 'Bearer realm="invenio-jobs metrics"'),
        ]


API_OUTAGE = Outage("API")


def _database_unavailable(exc):
    if not is_unreachable(exc):
        raise exc  # a fault of ours, not an outage: a 500 that is logged
    API_OUTAGE.failed(exc, DatabaseUnavailable.retry_after)
    return DatabaseUnavailable(
        code=503,
        description=(
            "The database cannot be reached at the moment. "
            "Try again in a few seconds."
        ),
    )


ERROR_HANDLERS = {
    **ErrorHandlersMixin.error_handlers,
    # A restart or outage of the database: 503, never a 500 with a traceback.
    sa_exc.OperationalError: create_error_handler(_database_unavailable),
    sa_exc.InterfaceError: create_error_handler(_database_unavailable),
    sa_exc.DisconnectionError: create_error_handler(_database_unavailable),
    JobNotFoundError: create_error_handler(_not_found),
    RunNotFoundError: create_error_handler(_not_found),
    TaskNotFoundError: create_error_handler(_not_found),
    MaintenanceWindowNotFoundError: create_error_handler(_not_found),
    RunStatusChangeError: create_error_handler(_bad_request),
    RunTooManyResults: create_error_handler(_bad_request),
    InvalidRequestBodyError: create_error_handler(_bad_body(400)),
    JobsFileError: create_error_handler(
        lambda exc: HTTPJSONException(
            code=400,
            description=str(exc.description),
            errors=[problem.to_dict() for problem in exc.problems],
        )
    ),
    RequestBodyTooLargeError: create_error_handler(_bad_body(413)),
    PoolNotFoundError: create_error_handler(_not_found),
    PoolExistsError: create_error_handler(_bad_body(400)),
    PoolInUseError: create_error_handler(
        lambda exc: HTTPJSONException(code=409, description=str(exc.description))
    ),
    MetricsAuthenticationError: create_error_handler(
        lambda exc: AuthenticationRequired(code=401, description=str(exc.description))
    ),
}
"""Every error a client can cause, as a clear 4xx; never a bare 500."""


class JSONResourceConfig(ResourceConfig):
    """JSON in and out, under both InvenioRDM content types."""

    request_body_parsers = {mimetype: JSONObjectParser() for mimetype in JSON_TYPES}
    default_content_type = "application/json"
    response_handlers = {
        mimetype: ResponseHandler(JSONSerializer()) for mimetype in JSON_TYPES
    }
    default_accept_mimetype = "application/json"
    error_handlers = ERROR_HANDLERS


class JobsResourceConfig(JSONResourceConfig):
    """``/api/jobs``."""

    blueprint_name = "jobs"
    url_prefix = "/jobs"
    routes = {
        "list": "",
        "item": "/<job_id>",
        "alerts": "/<job_id>/alerts",
        "history": "/<job_id>/history",
        "clone": "/<job_id>/actions/clone",
        "export": "/export",
        "import": "/import",
        "schedule_preview": "/schedule-preview",
        "stats": "/stats",
        "metrics": "/metrics",
    }
    request_view_args = {"job_id": ma.fields.String()}
    request_search_args = {
        "q": QueryText(),
        "active": QueryText(),
        "sort": QueryText(),
        "sort_direction": QueryText(),
        "page": QueryText(),
        "size": QueryText(),
        "window": QueryText(),
    }


class PoolsResourceConfig(JSONResourceConfig):
    """``/api/jobs/pools``: the concurrency pools."""

    blueprint_name = "job_pools"
    url_prefix = "/jobs/pools"
    routes = {"list": "", "item": "/<name>"}
    request_view_args = {"name": ma.fields.String()}


class RunsResourceConfig(JSONResourceConfig):
    """``/api/jobs/<job_id>/runs``."""

    blueprint_name = "job_runs"
    url_prefix = "/jobs/<job_id>/runs"
    routes = {
        "list": "",
        "item": "/<run_id>",
        "stop": "/<run_id>/actions/stop",
        "run_again": "/<run_id>/actions/run-again",
        "logs": "/<run_id>/logs",
        "logs_text": "/<run_id>/logs.txt",
    }
    request_view_args = {
        "job_id": ma.fields.String(),
        "run_id": ma.fields.String(),
    }
    request_search_args = {
        "q": QueryText(),
        "status": ma.fields.List(QueryText()),
        "trigger": ma.fields.List(QueryText()),
        "sort": QueryText(),
        "sort_direction": QueryText(),
        "include_subtasks": QueryText(),
        "parent_run_id": QueryText(),
        "page": QueryText(),
        "size": QueryText(),
        "after": QueryText(),
        "before": QueryText(),
        "level": QueryText(),
        "text": QueryText(),
    }


class SchedulingResourceConfig(JSONResourceConfig):
    """``/api/jobs/pause``, its actions, and ``/api/jobs/maintenance-windows``."""

    blueprint_name = "jobs_scheduling"
    url_prefix = "/jobs"
    routes = {
        "pause": "/pause",
        "pause_action": "/actions/pause",
        "resume_action": "/actions/resume",
        "windows": "/maintenance-windows",
        "window": "/maintenance-windows/<window_id>",
    }
    request_view_args = {"window_id": ma.fields.String()}


class TasksResourceConfig(JSONResourceConfig):
    """``/api/tasks``."""

    blueprint_name = "tasks"
    url_prefix = "/tasks"
    routes = {
        "list": "",
        "item": "/<task_id>",
        "arguments": "/<task_id>/args",
        "form": "/<task_id>/form",
    }
    request_view_args = {"task_id": ma.fields.String()}
    request_search_args = {
        "page": QueryText(),
        "size": QueryText(),
    }


class LogsResourceConfig(JSONResourceConfig):
    """``/api/logs/jobs``, InvenioRDM's route to the runs' logs."""

    blueprint_name = "job_logs"
    url_prefix = "/logs"
    routes = {"list": "/jobs"}
    request_search_args = {
        "q": QueryText(),
        "search_after": ma.fields.List(QueryText()),
        "sort": QueryText(),
        "size": QueryText(),
        "level": QueryText(),
        "text": QueryText(),
    }
