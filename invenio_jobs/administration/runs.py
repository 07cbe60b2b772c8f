# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The run page: one run's outcome, arguments, progress and live log."""

from invenio_administration.views.base import AdminResourceDetailView
from invenio_i18n import lazy_gettext as _

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
    template = "invenio_jobs/system/jobs/page.html"

    @classmethod
    def get_service_schema(cls):
        """The run schema (the service keeps the class, not a wrapper)."""
        return RunSchema()

    def get(self, pid_value=None, run_id=None):
        """The run page."""
        return self.render(
            title=self.title,
            entry="invenio-jobs-run",
            jobs_ui=page_context(),
            job_id=pid_value,
            run_id=run_id,
        )
