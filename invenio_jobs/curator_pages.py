# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pages of curators: the jobs granted to them, outside the admin UI.

A curator is anyone granted ``read``, ``run`` or ``manage`` on a job
(:mod:`.services.grants`); they are not administrators and cannot open
``/administration``. Under ``JOBS_CURATOR_URL_PREFIX`` (``/jobs``) they
find the jobs they may read, each job's page with its runs, and each run's
page with its live log, in the site's own page layout. The pages ask the
REST API with the reader's session, so every permission is the API's; the
Run now, Stop and Run again buttons show only for those who may use them
(``run`` on the job), and use the routes the admin pages use.
"""

from flask import Blueprint, abort, current_app, g, render_template
from flask_login import login_required
from invenio_i18n import lazy_gettext as _

from .administration.base import page_context
from .proxies import current_jobs
from .services.errors import JobNotFoundError, RunNotFoundError

STATUS_WORDS = {
    "QUEUED": _("Queued"),
    "RUNNING": _("Running"),
    "SUCCESS": _("Succeeded"),
    "FAILED": _("Failed"),
    "WARNING": _("Warning"),
    "CANCELLING": _("Cancelling"),
    "CANCELLED": _("Cancelled"),
    "PARTIAL_SUCCESS": _("Partly succeeded"),
}
"""A run's status in the reader's language, on the list of jobs."""


def curator_pages() -> dict:
    """Addresses of the curator pages; ``{id}`` and ``{run_id}`` are filled in JS."""
    prefix = current_app.config["JOBS_CURATOR_URL_PREFIX"].rstrip("/")
    return {
        "list": prefix or "/",
        "job": f"{prefix}/{{id}}",
        "run": f"{prefix}/{{id}}/runs/{{run_id}}",
    }


def _rights(job_id) -> dict:
    """What the reader may do on the job, besides reading it.

    The checks find the job's grants in the request's access cache, read
    by the check that let them see the job.
    """
    identity, job_id = g.identity, str(job_id)
    return {
        "can_run": current_jobs.runs_service.check_permission(
            identity, "create", job_id=job_id
        ),
        "can_manage": current_jobs.jobs_service.check_permission(
            identity, "update", job_id=job_id
        ),
    }


def _context(job_id) -> dict:
    context = page_context()
    context["pages"] = curator_pages()
    context.update(_rights(job_id), curator=True)
    return context


def _render(entry, title, job_id, run_id=None):
    return render_template(
        "invenio_jobs/curator/page.html",
        title=title,
        entry=entry,
        jobs_ui=_context(job_id),
        job_id=str(job_id),
        run_id=run_id,
    )


@login_required
def jobs_page():
    """The jobs the reader may see, by title."""
    result = current_jobs.jobs_service.search(
        g.identity, {"size": 100, "sort": "title"}
    )
    pages = curator_pages()
    jobs = [
        {
            **job,
            "page": pages["job"].replace("{id}", str(job["id"])),
            "last_run_words": job["last_run"]
            and STATUS_WORDS.get(job["last_run"]["status"], job["last_run"]["status"]),
        }
        for job in result.to_dict()["hits"]["hits"]
    ]
    return render_template(
        "invenio_jobs/curator/jobs.html",
        jobs=jobs,
        total=result.total,
        jobs_ui=page_context(),
    )


@login_required
def job_page(job_id):
    """A job's page, with its runs: 404 for a job the reader may not see."""
    try:
        job = current_jobs.jobs_service.read(g.identity, job_id).to_dict()
    except JobNotFoundError:
        abort(404)
    return _render("invenio-jobs-curator-job", job["title"], job["id"])


@login_required
def run_page(job_id, run_id):
    """A run's page, with its live log: the admin run page's app, as it is."""
    try:
        run = current_jobs.runs_service.read(g.identity, job_id, run_id).to_dict()
    except (JobNotFoundError, RunNotFoundError):
        abort(404)
    return _render("invenio-jobs-run", run.get("title") or "", run["job_id"], run_id)


def create_curator_bp(app):
    """The curator pages' blueprint, under ``JOBS_CURATOR_URL_PREFIX``."""
    blueprint = Blueprint(
        "invenio_jobs_curator",
        __name__,
        url_prefix=app.config.get("JOBS_CURATOR_URL_PREFIX", "/jobs").rstrip("/"),
        template_folder="templates",
    )
    blueprint.add_url_rule("", "jobs", jobs_page)
    blueprint.add_url_rule("/<job_id>", "job", job_page)
    blueprint.add_url_rule("/<job_id>/runs/<run_id>", "run", run_page)
    return blueprint
