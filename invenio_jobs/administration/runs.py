# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The run page: one run's outcome, arguments, progress and live log.

It answers at two addresses: ours, ``/administration/jobs/<id>/runs/<run_id>``
(view ``jobs_run``), and InvenioRDM's, ``/administration/runs/<run_id>``
(view ``run-details``), which the links in its notification e-mails and
its instances' bookmarks use. The page is the same at both; InvenioRDM's
address names the run alone, so the run's job is looked up first.
"""

from flask import abort, g
from invenio_administration.views.base import AdminResourceDetailView
from invenio_i18n import lazy_gettext as _
from invenio_records_resources.services.errors import PermissionDeniedError

from ..proxies import current_runs_service
from ..services.errors import RunNotFoundError
from ..services.schemas import RunSchema
from .base import page_context


class RunDetailsView(AdminResourceDetailView):
    """``/administration/jobs/<id>/runs/<run_id>``."""

    extension_name = "invenio-jobs"
    resource_config = "runs_resource"
    name = "jobs_run"
    url = "/jobs/<pid_value>/runs/<run_id>"
    title = _("Run")
    pid_path = "id"
    list_view_name = "jobs"
    template = "invenio_jobs/system/runs/runs-details.html"

    @classmethod
    def get_service_schema(cls):
        """The run schema (the service keeps the class, not a wrapper)."""
        return RunSchema()

    def render_run(self, job_id, run_id):
        """The page of this run of this job."""
        return self.render(
            title=self.title,
            entry="invenio-jobs-run",
            jobs_ui=page_context(),
            job_id=job_id,
            run_id=run_id,
        )

    def get(self, pid_value=None, run_id=None):
        """The run page."""
        return self.render_run(pid_value, run_id)


class RunsDetailsView(RunDetailsView):
    """``/administration/runs/<run_id>``: a run named by its id alone."""

    name = "run-details"
    url = "/runs/<pid_value>"

    def get(self, pid_value=None):
        """The run page, once the service has said which job the run is of."""
        try:
            run = current_runs_service.read_by_id(g.identity, pid_value).to_dict()
        except RunNotFoundError:
            abort(404)
        except PermissionDeniedError:
            abort(403)
        return self.render_run(str(run["job_id"]), str(run["id"]))
