# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What every jobs page gives its React app: where the API and the pages are.

Each page renders one element with ``data-*`` attributes and loads its own
webpack entry. The pages call the REST API from the browser, with the
session of the logged-in administrator, so the permissions are the API's.
"""

from urllib.parse import urlencode, urlsplit

from flask import current_app, request, url_for
from invenio_i18n import lazy_gettext as _
from invenio_i18n.proxies import current_i18n

CATEGORY = _("System")


def api_prefix() -> str:
    """The path of the REST API on this site (``/api``), for same-origin calls."""
    return urlsplit(current_app.config["SITE_API_URL"]).path.rstrip("/") or "/api"


def language_links() -> list[dict]:
    """The site's languages, each with the link that switches to it.

    The link goes through invenio-i18n's ``/lang/<code>``, which keeps the
    choice in the session, so that every page after it (and the API's
    messages) stays in that language; ``ln`` is left out of the way back, as
    it would override the choice. Empty when the site has one language or
    no such route.
    """
    languages = current_i18n.get_languages()
    if len(languages) < 2 or "invenio_i18n.set_lang" not in current_app.view_functions:
        return []
    query = [
        (key, value) for key, value in request.args.items(multi=True) if key != "ln"
    ]
    back = request.path + (f"?{urlencode(query)}" if query else "")
    return [
        {
            "code": code,
            "name": str(name),
            "url": url_for("invenio_i18n.set_lang", lang_code=code, next=back),
            "current": code == current_i18n.language,
        }
        for code, name in languages
    ]


def page_context() -> dict:
    """Links shared by all pages; ``{id}`` and ``{run_id}`` are filled in JS.

    A run's page at one line of its log is ``run`` followed by
    ``#line-<line id>``.
    """
    jobs_page = url_for("administration.jobs")
    return {
        "api": api_prefix(),
        "pages": {
            "list": jobs_page,
            "create": url_for("administration.jobs_create"),
            "job": jobs_page + "/{id}",
            "edit": jobs_page + "/{id}/edit",
            "run": jobs_page + "/{id}/runs/{run_id}",
            "pools": url_for("administration.jobs_pools"),
            "logs": url_for("administration.jobs_logs"),
        },
        "queues": [
            {
                "name": name,
                "title": str(queue.get("title") or name),
                "description": str(queue.get("description") or ""),
            }
            for name, queue in current_app.config["JOBS_QUEUES"].items()
        ],
        "default_queue": current_app.config["JOBS_DEFAULT_QUEUE"],
        "default_timezone": current_app.config["JOBS_SCHEDULER_TIMEZONE"],
        "logs_total_limit": current_app.config["JOBS_LOGS_SEARCH_TOTAL_LIMIT"],
        "refresh_ms": int(current_app.config["JOBS_ADMINISTRATION_REFRESH"] * 1000),
        "languages": language_links(),
    }
