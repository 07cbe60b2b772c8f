# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pools page: the concurrency pools, their slots, their use.

An invenio-administration view (its menu, layout and permission) whose
content is a React app of this package, calling ``/api/jobs/pools``.
"""

from invenio_administration.views.base import AdminView
from invenio_i18n import lazy_gettext as _

from .base import CATEGORY, page_context


class JobsPoolsView(AdminView):
    """``/administration/jobs/pools``: create, change and delete pools."""

    extension_name = "invenio-jobs"
    name = "jobs_pools"
    url = "/jobs/pools"
    category = CATEGORY
    menu_label = _("Job pools")
    title = _("Pools")
    icon = "th"
    order = 2
    template = "invenio_jobs/system/jobs/page.html"

    def get(self):
        """The pools page."""
        return self.render(
            title=self.title, entry="invenio-jobs-pools", jobs_ui=page_context()
        )
