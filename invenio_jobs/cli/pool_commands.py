# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs pools ...``: the concurrency pools, and a job's place in one."""

import click
from flask import current_app
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from rich.table import Table

from ..proxies import current_jobs_service
from .base import console, echo_json, fail, find_job, jobs, json_option, service_errors


def pools_service():
    """The pools service of the app."""
    return current_app.extensions["invenio-jobs"].pools_service


@jobs.group("pools")
def pools():
    """Concurrency pools: at most N runs of their jobs at once."""


def pool_command(name: str):
    """A ``jobs pools`` command: in the app context, refusals in one line."""

    def decorator(func):
        return pools.command(name)(with_appcontext(service_errors(func)))

    return decorator


def print_pool(pool: dict, verb: str, as_json: bool):
    """A pool just saved: JSON for scripts, one line for people."""
    if as_json:
        return echo_json(pool)
    click.echo(
        f"{verb} pool {pool['name']}: {pool['slots']} slot(s), "
        f"{pool['busy']} busy, {pool['waiting']} run(s) waiting."
    )


@pool_command("list")
@json_option
def list_pools(as_json):
    """Every pool: its slots, how many are busy, its jobs and waiting runs."""
    found = pools_service().search(system_identity).to_dict()["hits"]["hits"]
    if as_json:
        return echo_json(found)
    if not found:
        click.echo("No pools. Create one with: invenio jobs pools create NAME SLOTS")
        return
    table = Table()
    for column in ("Pool", "Slots", "Busy", "Jobs", "Waiting", "Description"):
        table.add_column(column)
    for pool in found:
        table.add_row(
            pool["name"],
            str(pool["slots"]),
            str(pool["busy"]),
            str(pool["jobs"]),
            str(pool["waiting"]),
            pool.get("description") or "",
        )
    console().print(table)


@pool_command("create")
@click.argument("name")
@click.argument("slots", type=int)
@click.option("--description", help="What the pool protects.")
@json_option
def create_pool(name, slots, description, as_json):
    """Create pool NAME with SLOTS slots."""
    data = {"name": name, "slots": slots}
    if description is not None:
        data["description"] = description
    print_pool(
        pools_service().create(system_identity, data).to_dict(), "Created", as_json
    )


@pool_command("update")
@click.argument("name")
@click.option("--slots", type=int, help="How many runs may run at once.")
@click.option("--description")
@json_option
def update_pool(name, slots, description, as_json):
    """Change a pool's slots or description; more slots start waiting runs."""
    data = {}
    if slots is not None:
        data["slots"] = slots
    if description is not None:
        data["description"] = description
    if not data:
        fail("Nothing to change: give --slots or --description.")
    pool = pools_service().update(system_identity, name, data).to_dict()
    print_pool(pool, "Updated", as_json)


@pool_command("delete")
@click.argument("name")
def delete_pool(name):
    """Delete a pool that no job belongs to."""
    pools_service().delete(system_identity, name)
    click.echo(f"Deleted pool {name}.")


@pool_command("join")
@click.argument("job_ref", metavar="JOB")
@click.argument("name")
def join_pool(job_ref, name):
    """Put a job in pool NAME (it leaves the pool it was in)."""
    job = find_job(job_ref)
    current_jobs_service.update(system_identity, job["id"], {"pool": name})
    click.echo(f"Job {job['id']} ({job['title']}) is in pool {name}.")


@pool_command("leave")
@click.argument("job_ref", metavar="JOB")
def leave_pool(job_ref):
    """Take a job out of its pool: its runs start as soon as they are queued."""
    job = find_job(job_ref)
    current_jobs_service.update(system_identity, job["id"], {"pool": None})
    click.echo(f"Job {job['id']} ({job['title']}) is in no pool.")
