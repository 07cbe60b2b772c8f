# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The "Search all logs" page: one query over the log lines of every run.

An invenio-administration view (its menu, layout and permission) whose
content is a React app of this package, calling ``/api/logs/jobs?q=`` with
the log search language of the API. The query lives in the page's address
(``?q=``), so that a search can be shared and reloaded; each hit links to
its job and to its run's page at that line.
"""

from invenio_administration.views.base import AdminView
from invenio_i18n import lazy_gettext as _

from .base import CATEGORY, page_context


class JobsLogsView(AdminView):
    """``/administration/jobs/logs``: search the logs of every run."""

    extension_name = "invenio-jobs"
    name = "jobs_logs"
    url = "/jobs/logs"
    category = CATEGORY
    menu_label = _("Search all logs")
    title = _("Search all logs")
    icon = "search"
    order = 3
    template = "invenio_jobs/system/jobs/page.html"

    def get(self):
        """The search page; the app reads the query from the address."""
        return self.render(
            title=self.title, entry="invenio-jobs-logs", jobs_ui=page_context()
        )
