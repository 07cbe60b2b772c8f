# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""REST resources: HTTP in, service call, JSON out.

Query strings are taken as text here and validated by the services, so that
the API, the CLI and the admin UI share one set of rules and messages.
"""

from flask import Response, g, request, stream_with_context
from flask_resources import (
    Resource,
    from_conf,
    request_body_parser,
    request_parser,
    resource_requestctx,
    response_handler,
    route,
)
from prometheus_client import CONTENT_TYPE_LATEST

from ..proxies import current_jobs
from ..services.arguments import jsonify_arguments
from ..services.history import JobAction, read_history, record_run_action
from ..services.jobs_as_code import export_for, import_jobs
from ..services.run_again import run_again
from .parsers import jobs_file_text, query_flag

request_data = request_body_parser(
    parsers=from_conf("request_body_parsers"),
    default_content_type=from_conf("default_content_type"),
)
request_view_args = request_parser(from_conf("request_view_args"), location="view_args")
request_search_args = request_parser(
    from_conf("request_search_args"), location="args", unknown="exclude"
)


def _search_params():
    """The parsed query string, without the parameters the client left out."""
    return {k: v for k, v in resource_requestctx.args.items() if v is not None}


class ServiceResource(Resource):
    """A resource bound to the service that does its work."""

    def __init__(self, config, service):
        """Bind the resource to its service."""
        super().__init__(config)
        self.service = service


class ItemsResource(ServiceResource):
    """Create, read, update and delete items named by the view argument ``item_arg``.

    Jobs and pools are kept alike (their services take the identity, the
    item's id and the body), so one set of methods serves both.
    """

    item_arg = None
    """The view argument that names an item (``job_id``, ``name``)."""

    def _item_id(self):
        return resource_requestctx.view_args[self.item_arg]

    @request_data
    @response_handler()
    def create(self):
        """Create an item."""
        item = self.service.create(g.identity, resource_requestctx.data or {})
        return item.to_dict(), 201

    @request_view_args
    @response_handler()
    def read(self):
        """Read an item."""
        return self.service.read(g.identity, self._item_id()).to_dict(), 200

    @request_view_args
    @request_data
    @response_handler()
    def update(self):
        """Update an item (the fields given)."""
        item = self.service.update(
            g.identity, self._item_id(), resource_requestctx.data or {}
        )
        return item.to_dict(), 200

    @request_view_args
    def delete(self):
        """Delete an item (a pool only when no job belongs to it)."""
        self.service.delete(g.identity, self._item_id())
        return "", 204


class JobsResource(ItemsResource):
    """``/api/jobs``: list, create, read, update, delete jobs."""

    item_arg = "job_id"

    def create_url_rules(self):
        """The routes of jobs."""
        routes = self.config.routes
        return [
            route("GET", routes["list"], self.search),
            route("POST", routes["list"], self.create),
            route("POST", routes["schedule_preview"], self.preview_schedule),
            route("GET", routes["stats"], self.stats),
            route("GET", routes["metrics"], self.metrics),
            route("GET", routes["item"], self.read),
            route("PUT", routes["item"], self.update),
            route("DELETE", routes["item"], self.delete),
            route("GET", routes["alerts"], self.alerts),
            route("GET", routes["history"], self.history),
            route("POST", routes["clone"], self.clone),
            route("GET", routes["export"], self.export_jobs),
            route("POST", routes["import"], self.import_jobs),
        ]

    @request_view_args
    @request_search_args
    @response_handler()
    def history(self):
        """A page of the job's history, newest first (also of a deleted job)."""
        page = read_history(
            g.identity, resource_requestctx.view_args["job_id"], _search_params()
        )
        return page, 200

    @request_search_args
    @response_handler(many=True)
    def search(self):
        """Search jobs."""
        result = self.service.search(g.identity, params=_search_params())
        return result.to_dict(), 200

    @request_view_args
    @response_handler()
    def alerts(self):
        """A job's alerts and the latest deliveries of them."""
        job_id = resource_requestctx.view_args["job_id"]
        return self.service.alerts(g.identity, job_id), 200

    @request_view_args
    @response_handler()
    def clone(self):
        """An inactive copy of a job ("Copy of ..."), to edit before use."""
        item = self.service.clone(g.identity, resource_requestctx.view_args["job_id"])
        return item.to_dict(), 201

    def export_jobs(self):
        """The jobs as YAML (``?job=`` names some by key, id or title)."""
        text = export_for(g.identity, request.args.getlist("job"))
        return Response(text, content_type="application/yaml; charset=utf-8")

    @response_handler()
    def import_jobs(self):
        """Apply a YAML file of jobs, all or nothing (``?dry_run=true``, ``prune``)."""
        plan = import_jobs(
            g.identity,
            jobs_file_text(),
            file=request.args.get("file") or None,
            dry_run=query_flag("dry_run"),
            prune=query_flag("prune"),
        )
        return plan.to_dict(), 200

    @request_data
    @response_handler()
    def preview_schedule(self):
        """The next fire times of a schedule, to check it before saving."""
        data = resource_requestctx.data or {}
        times, description = self.service.explain_schedule(
            g.identity, data.get("schedule")
        )
        if data.get("ignore_maintenance_windows") is True:
            holds = [None] * len(times)
        else:
            holds = current_jobs.windows_service.holds(times)
        return {
            "next_runs": [t.isoformat() for t in times],
            "held_until": [end.isoformat() if end else None for end in holds],
            "description": description,
        }, 200

    @request_search_args
    @response_handler()
    def stats(self):
        """The health of the runs over a window: ``?window=24h`` or ``7d``."""
        return current_jobs.stats_service.read(g.identity, _search_params()), 200

    def metrics(self):
        """The metrics in Prometheus' text format, for a scraper."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else None
        body = current_jobs.stats_service.metrics(g.identity, token=token)
        return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)


class PoolsResource(ItemsResource):
    """``/api/jobs/pools``: list, create, read, change and delete pools."""

    item_arg = "name"

    def create_url_rules(self):
        """The routes of pools."""
        routes = self.config.routes
        return [
            route("GET", routes["list"], self.search),
            route("POST", routes["list"], self.create),
            route("GET", routes["item"], self.read),
            route("PUT", routes["item"], self.update),
            route("DELETE", routes["item"], self.delete),
        ]

    @response_handler(many=True)
    def search(self):
        """Every pool, with how busy it is."""
        return self.service.search(g.identity).to_dict(), 200


class RunsResource(ServiceResource):
    """``/api/jobs/<job_id>/runs``: run now, history, one run, stop, delete, log."""

    def __init__(self, config, service, logs_service):
        """Bind the resource to its services."""
        super().__init__(config, service)
        self.logs_service = logs_service

    def create_url_rules(self):
        """The routes of runs."""
        routes = self.config.routes
        return [
            route("GET", routes["list"], self.search),
            route("POST", routes["list"], self.create),
            route("GET", routes["item"], self.read),
            route("DELETE", routes["item"], self.delete),
            route("POST", routes["stop"], self.stop),
            route("POST", routes["run_again"], self.run_again),
            route("GET", routes["logs"], self.logs),
            route("GET", routes["logs_text"], self.logs_text),
        ]

    @request_view_args
    @request_search_args
    @response_handler(many=True)
    def search(self):
        """A job's runs, newest first."""
        result = self.service.search(
            g.identity,
            resource_requestctx.view_args["job_id"],
            params=_search_params(),
        )
        return result.to_dict(), 200

    @request_view_args
    @request_data
    @response_handler()
    def create(self):
        """Run the job now."""
        job_id = resource_requestctx.view_args["job_id"]
        item = self.service.create(g.identity, job_id, resource_requestctx.data or {})
        run = item.to_dict()
        record_run_action(g.identity, job_id, JobAction.RUN_STARTED, run)
        return run, 201

    @request_view_args
    @response_handler()
    def read(self):
        """One run."""
        args = resource_requestctx.view_args
        item = self.service.read(g.identity, args["job_id"], args["run_id"])
        return item.to_dict(), 200

    @request_view_args
    @response_handler()
    def run_again(self):
        """Run the job again as one of its runs was run (arguments, title, queue)."""
        args = resource_requestctx.view_args
        item, source_run = run_again(
            self.service, g.identity, args["job_id"], args["run_id"]
        )
        run = item.to_dict()
        record_run_action(
            g.identity, args["job_id"], JobAction.RUN_AGAIN, run, again_of=source_run
        )
        return run, 201

    @request_view_args
    @response_handler()
    def stop(self):
        """Stop a run."""
        args = resource_requestctx.view_args
        item = self.service.stop(g.identity, args["job_id"], args["run_id"])
        run = item.to_dict()
        record_run_action(g.identity, args["job_id"], JobAction.RUN_STOPPED, run)
        return run, 202

    @request_view_args
    @request_search_args
    @response_handler()
    def logs(self):
        """The run's log lines after a cursor, for following it live."""
        args = resource_requestctx.view_args
        data = self.logs_service.tail(
            g.identity, args["job_id"], args["run_id"], params=_search_params()
        )
        return data, 200

    @request_view_args
    def logs_text(self):
        """The whole log as a text file, streamed in batches."""
        args = resource_requestctx.view_args
        run, lines = self.logs_service.text_lines(
            g.identity, args["job_id"], args["run_id"]
        )
        return Response(
            stream_with_context(lines),
            mimetype="text/plain",
            headers={
                "Content-Disposition": f'attachment; filename="run-{run.id}.log"',
            },
        )

    @request_view_args
    def delete(self):
        """Delete a finished run."""
        args = resource_requestctx.view_args
        self.service.delete(g.identity, args["job_id"], args["run_id"])
        return "", 204


class TasksResource(ServiceResource):
    """``/api/tasks``: the registered job types and their arguments."""

    def create_url_rules(self):
        """The routes of job types."""
        routes = self.config.routes
        return [
            route("GET", routes["list"], self.search),
            route("GET", routes["item"], self.read),
            route("GET", routes["arguments"], self.read_arguments),
            route("GET", routes["form"], self.read_form),
        ]

    @request_search_args
    @response_handler(many=True)
    def search(self):
        """Every registered job type."""
        result = self.service.search(g.identity, params=_search_params())
        return result.to_dict(), 200

    @request_view_args
    @response_handler()
    def read(self):
        """One job type."""
        item = self.service.read(g.identity, resource_requestctx.view_args["task_id"])
        return item.to_dict(), 200

    @request_view_args
    @response_handler()
    def read_arguments(self):
        """The arguments schema of a job type, in InvenioRDM's description."""
        schema = self.service.read_registered_task_arguments(
            g.identity, resource_requestctx.view_args["task_id"]
        )
        return jsonify_arguments(schema), 200

    @request_view_args
    @response_handler()
    def read_form(self):
        """The arguments of a job type, described for our generated form."""
        data = self.service.read_task_form(
            g.identity, resource_requestctx.view_args["task_id"]
        )
        return data, 200


class LogsResource(ServiceResource):
    """``/api/logs/jobs?q=<run or job id>``: logs, continued with ``search_after``."""

    def create_url_rules(self):
        """The route of run logs."""
        return [route("GET", self.config.routes["list"], self.search)]

    @request_search_args
    @response_handler(many=True)
    def search(self):
        """Search a run's log lines."""
        result = self.service.search(g.identity, params=_search_params())
        return result.to_dict(), 200


class SchedulingResource(Resource):
    """Pause all and resume; maintenance windows."""

    def __init__(self, config, pause_service, windows_service):
        """Bind the resource to its two services."""
        super().__init__(config)
        self.pause_service = pause_service
        self.windows_service = windows_service

    def create_url_rules(self):
        """The routes of the instance-wide scheduling switches."""
        routes = self.config.routes
        return [
            route("GET", routes["pause"], self.read_pause),
            route("POST", routes["pause_action"], self.pause),
            route("POST", routes["resume_action"], self.resume),
            route("GET", routes["windows"], self.search_windows),
            route("POST", routes["windows"], self.create_window),
            route("GET", routes["window"], self.read_window),
            route("PUT", routes["window"], self.update_window),
            route("DELETE", routes["window"], self.delete_window),
        ]

    @response_handler()
    def read_pause(self):
        """Whether all scheduled runs are paused, by whom, why, until when."""
        return self.pause_service.read(g.identity), 200

    @request_data
    @response_handler()
    def pause(self):
        """Pause all scheduled runs: ``reason`` required, ``until`` optional."""
        return self.pause_service.pause(g.identity, resource_requestctx.data), 200

    @response_handler()
    def resume(self):
        """Resume scheduled runs."""
        return self.pause_service.resume(g.identity), 200

    @response_handler(many=True)
    def search_windows(self):
        """Every maintenance window."""
        return self.windows_service.search(g.identity), 200

    @request_data
    @response_handler()
    def create_window(self):
        """Add a maintenance window."""
        data = resource_requestctx.data or {}
        return self.windows_service.create(g.identity, data), 201

    @request_view_args
    @response_handler()
    def read_window(self):
        """One maintenance window."""
        window_id = resource_requestctx.view_args["window_id"]
        return self.windows_service.read(g.identity, window_id), 200

    @request_view_args
    @request_data
    @response_handler()
    def update_window(self):
        """Change a maintenance window (the fields given)."""
        window_id = resource_requestctx.view_args["window_id"]
        data = resource_requestctx.data or {}
        return self.windows_service.update(g.identity, window_id, data), 200

    @request_view_args
    def delete_window(self):
        """Delete a maintenance window."""
        window_id = resource_requestctx.view_args["window_id"]
        self.windows_service.delete(g.identity, window_id)
        return "", 204
