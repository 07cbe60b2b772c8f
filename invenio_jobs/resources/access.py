# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``/api/jobs/<job_id>/access``: who may read, run or manage a job."""

import marshmallow as ma
from flask import g
from flask_resources import resource_requestctx, response_handler, route

from .config import JSONResourceConfig
from .resources import ServiceResource, request_data, request_view_args


class AccessResourceConfig(JSONResourceConfig):
    """``/api/jobs/<job_id>/access``."""

    blueprint_name = "job_access"
    url_prefix = "/jobs/<job_id>/access"
    routes = {"item": ""}
    request_view_args = {"job_id": ma.fields.String()}


class AccessResource(ServiceResource):
    """Read (``GET``) and replace (``PUT``) the grants of a job."""

    def create_url_rules(self):
        """The routes of a job's grants."""
        routes = self.config.routes
        return [
            route("GET", routes["item"], self.read),
            route("PUT", routes["item"], self.update),
        ]

    @request_view_args
    @response_handler()
    def read(self):
        """The job's grants."""
        job_id = resource_requestctx.view_args["job_id"]
        return self.service.read(g.identity, job_id), 200

    @request_view_args
    @request_data
    @response_handler()
    def update(self):
        """Replace the job's grants; the grants as they now are."""
        job_id = resource_requestctx.view_args["job_id"]
        data = resource_requestctx.data
        return self.service.update(g.identity, job_id, data), 200
