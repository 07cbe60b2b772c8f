# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs pages: the list, create, edit and the job's own page.

They are invenio-administration views, so that the menu, the layout and the
``administration-access`` permission are the administration's own. The
content of each page is a React app of this package: the generic search and
form components render flat fields of a search index, while a job has a
schedule editor, a form generated from its job type's arguments and a live
run history.

The classes keep InvenioRDM's names, view names and addresses
(``jobs-create`` at ``/jobs/create``, ``jobs-edit``, ``job-details``), so
that ``url_for("administration.<name>")`` in other modules' templates and
old bookmarks keep working. Our own names (``jobs_create`` at ``/jobs/new``,
``jobs_edit``, ``jobs_details``) are small subclasses beside them.
"""

from invenio_administration.views.base import (
    AdminResourceCreateView,
    AdminResourceDetailView,
    AdminResourceEditView,
    AdminResourceListView,
)
from invenio_i18n import lazy_gettext as _

from ..services.schemas import JobSchema
from .base import CATEGORY, page_context


class JobsViewMixin:
    """Settings common to the jobs pages."""

    extension_name = "invenio-jobs"
    resource_config = "jobs_resource"
    # Where the jobs API is: administration 4 and 6 read the address,
    # administration 7 the endpoint's name (and warns about the address).
    api_endpoint = "/jobs"
    api_endpoint_name = "jobs.search"
    pid_path = "id"
    resource_name = "title"
    list_view_name = "jobs"

    @classmethod
    def get_service_schema(cls):
        """The job schema (the service keeps the class, not a wrapper)."""
        return JobSchema()

    template = "invenio_jobs/system/jobs/page.html"
    entry = None
    """The webpack entry of the page's React app."""

    def render_page(self, **kwargs):
        """Render the page with its entry and the links its React app needs."""
        return self.render(
            title=self.title, entry=self.entry, jobs_ui=page_context(), **kwargs
        )


JobsAdminMixin = JobsViewMixin
"""InvenioRDM's name of the settings common to the jobs pages."""


class JobsListView(JobsViewMixin, AdminResourceListView):
    """``/administration/jobs``: every job, its schedule, last and next run."""

    name = "jobs"
    url = "/jobs"
    category = CATEGORY
    menu_label = _("Jobs")
    title = _("Jobs")
    icon = "settings"
    order = 1
    entry = "invenio-jobs-list"
    template = "invenio_jobs/system/jobs/jobs-search.html"
    create_view_name = "jobs-create"

    def get(self):
        """The list page."""
        return self.render_page()


class JobsCreateView(JobsViewMixin, AdminResourceCreateView):
    """``/administration/jobs/create``: a new job."""

    name = "jobs-create"
    url = "/jobs/create"
    title = _("New job")
    entry = "invenio-jobs-form"

    def get(self):
        """The empty form."""
        return self.render_page(job_id=None)


class JobsNewView(JobsCreateView):
    """``/administration/jobs/new``: the same form, where our links point."""

    name = "jobs_create"
    url = "/jobs/new"


class JobsEditView(JobsViewMixin, AdminResourceEditView):
    """``/administration/jobs/<id>/edit``: change a job."""

    name = "jobs-edit"
    url = "/jobs/<pid_value>/edit"
    title = _("Edit job")
    entry = "invenio-jobs-form"

    def get(self, pid_value=None):
        """The form, filled in by the app from the API."""
        return self.render_page(job_id=pid_value)


class JobsEditNameView(JobsEditView):
    """The edit page under our view name, ``jobs_edit``."""

    name = "jobs_edit"


class JobsDetailsView(JobsViewMixin, AdminResourceDetailView):
    """``/administration/jobs/<id>``: a job's settings and run history."""

    name = "job-details"
    url = "/jobs/<pid_value>"
    title = _("Job")
    entry = "invenio-jobs-details"
    template = "invenio_jobs/system/jobs/jobs-details.html"

    def get(self, pid_value=None):
        """The job page."""
        return self.render_page(job_id=pid_value)


class JobsDetailsNameView(JobsDetailsView):
    """The job page under our view name, ``jobs_details``."""

    name = "jobs_details"
