# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs access JOB``: who may read, run or manage a job, and changes to it.

``access JOB`` lists the grants; ``--grant read|run|manage`` with ``--user
EMAIL`` or ``--role NAME`` adds one; ``--revoke`` with a user or role takes
theirs away (only the permission given with ``--grant``, or all of them).
"""

import click
from invenio_access.permissions import system_identity
from rich.table import Table

from ..proxies import current_jobs
from .base import command, console, echo_json, fail, find_job, json_option


def grants_table(grants, title: str) -> Table:
    """The grants of a job, one row each."""
    table = Table(title=title)
    for name in ("Subject", "Who", "Permission"):
        table.add_column(name)
    for grant in grants:
        subject = grant["subject"]
        who = subject.get("email") or subject.get("name") or subject["id"]
        table.add_row(subject["type"], who, grant["permission"])
    return table


@command("access")
@click.argument("job_ref", metavar="JOB")
@click.option(
    "--grant",
    "permission",
    type=click.Choice(["read", "run", "manage"]),
    help="Grant this permission (with --user or --role).",
)
@click.option("--user", "user", metavar="EMAIL", help="The user, by e-mail.")
@click.option("--role", "role", metavar="NAME", help="The role, by name.")
@click.option(
    "--revoke",
    is_flag=True,
    help="Take the user's or role's grants away (only --grant's, when given).",
)
@json_option
def access(job_ref, permission, user, role, revoke, as_json):
    """List who may read, run or manage a job (by id or unique title); change it."""
    job = find_job(job_ref)
    service = current_jobs.access_service
    if user and role:
        fail("Give --user or --role, not both.")
    subject = ("user", user) if user else ("role", role) if role else None
    if revoke:
        if subject is None:
            fail("--revoke needs --user EMAIL or --role NAME.")
        result = service.revoke(system_identity, job["id"], *subject, permission)
        done = f"Revoked {permission or 'every grant'} of {subject[0]} {subject[1]}."
    elif permission:
        if subject is None:
            fail("--grant needs --user EMAIL or --role NAME.")
        result = service.grant(system_identity, job["id"], *subject, permission)
        done = f"Granted {permission} to {subject[0]} {subject[1]}."
    else:
        if subject is not None:
            fail("Give --grant or --revoke with --user or --role.")
        result, done = service.read(system_identity, job["id"]), None
    if as_json:
        return echo_json(result)
    if done:
        click.echo(done)
    if not result["grants"]:
        click.echo(f"No one but the administrators may see '{job['title']}'.")
        return
    console().print(grants_table(result["grants"], f"Access to '{job['title']}'"))
