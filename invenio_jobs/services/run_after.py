# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The jobs a job runs after, as a save checks them and its page shows them.

A save is refused (400) when a job it names does not exist, or when the
links would make a cycle, which the message names by titles in the order
the jobs would run ("A → B → A"): such jobs would start each other forever.
"""

import uuid

import sqlalchemy as sa
from invenio_db import db
from invenio_i18n import gettext as _
from marshmallow import ValidationError

from ..lifecycle import chaining
from ..models import Job


def titles_of(job_ids) -> dict:
    """{id (text): title} of the jobs that exist among ``job_ids``."""
    ids = [uuid.UUID(str(each)) for each in job_ids]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Job.id, Job.title).where(Job.id.in_(ids)))
    return {str(job_id): title for job_id, title in rows}


def check_run_after(job_id, run_after) -> None:
    """Refuse links to missing jobs, to the job itself, or that make a cycle."""
    links = chaining.links_of(run_after)
    if not links:
        return
    titles = titles_of(links)
    for position, predecessor in enumerate(links):
        if predecessor not in titles:
            message = _(
                "Run after: there is no job with the id %(id)s.", id=predecessor
            )
            raise ValidationError({"run_after": {"jobs": {position: [message]}}})
    if job_id is not None and str(job_id) in links:
        raise ValidationError(
            {"run_after": [_("Run after: a job cannot run after itself.")]}
        )
    cycle = chaining.cycle_through(job_id, list(links), db.session.connection())
    if cycle:
        names = titles_of(cycle)
        # The walk goes from a job to the jobs it runs after: read backwards,
        # it is the order in which they would start each other.
        order = " → ".join(names.get(each, each) for each in reversed(cycle))
        message = _("Run after: this would make a cycle: %(cycle)s.", cycle=order)
        raise ValidationError({"run_after": [message]})


def neighbours(job: Job) -> dict:
    """What runs before the job and what runs after it, with titles.

    ``predecessors``: the jobs it runs after (id, title, statuses);
    ``successors``: the jobs that run after it (id, title, active).
    """
    links = chaining.links_of(job.run_after)
    titles = titles_of(links)
    predecessors = [
        {
            "id": job_id,
            "title": titles.get(job_id),
            "statuses": sorted(status.name for status in statuses),
        }
        for job_id, statuses in links.items()
    ]
    rows = db.session.execute(
        sa.select(Job.id, Job.title, Job.active, Job.run_after).where(
            Job.run_after.is_not(None)
        )
    )
    successors = [
        {"id": str(row.id), "title": row.title, "active": row.active}
        for row in rows
        if str(job.id) in chaining.links_of(row.run_after)
    ]
    successors.sort(key=lambda each: each["title"].lower())
    return {
        "predecessors": predecessors,
        "successors": successors,
        "run_after_mode": chaining.mode_of(job.run_after),
        "run_after_delay_seconds": int(
            chaining.delay_of(job.run_after).total_seconds()
        ),
    }


def forget_job(job_id) -> None:
    """Take a deleted job out of the links of the jobs that ran after it.

    A job left running after no job has no links (None); its next save
    would otherwise be refused for naming a job that is gone.
    """
    key = str(job_id)
    followers = db.session.scalars(sa.select(Job).where(Job.run_after.is_not(None)))
    for follower in followers:
        if key not in chaining.links_of(follower.run_after):
            continue
        jobs = [link for link in follower.run_after["jobs"] if link["id"] != key]
        follower.run_after = {**follower.run_after, "jobs": jobs} if jobs else None
