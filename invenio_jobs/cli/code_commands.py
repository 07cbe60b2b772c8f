# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs export|import``: the jobs kept as code in an instance's repository.

``export`` writes YAML; ``import`` applies it, all or nothing, and says
what it did (or, with ``--dry-run``, would do) field by field. A file with
a wrong job prints one ``file:line: field: message`` line per problem on
stderr and changes nothing.
"""

import json

import click
from invenio_access.permissions import system_identity
from invenio_db import db

from ..services.errors import JobsFileError
from ..services.jobs_as_code import export_for, import_jobs
from .base import BadInput, command, echo_json, json_option


@command("export")
@click.argument("refs", nargs=-1, metavar="[JOB]...")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write; standard output by default.",
)
def export(refs, output):
    """Write jobs as YAML: all, or those named by key, id or title."""
    output.write(export_for(system_identity, list(refs)))


def _value(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _print_plan(plan):
    for change in plan.created:
        click.echo(f"+ {change.key}: {change.title}")
    for change in plan.changed:
        click.echo(f"~ {change.key}: {change.title}")
        for name, (before, after) in change.fields.items():
            click.echo(f"    {name}: {_value(before)} -> {_value(after)}")
    for change in plan.deleted:
        click.echo(f"- {change.key}: {change.title}")
    summary = (
        f"{len(plan.created)} created, {len(plan.changed)} changed, "
        f"{len(plan.deleted)} deleted, {len(plan.unchanged)} unchanged"
    )
    if plan.dry_run:
        summary += " (dry run: nothing was changed)"
    click.echo(summary)


@command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--prune", is_flag=True, help="Delete the jobs the file does not name.")
@json_option
def import_(file, dry_run, prune, as_json):
    """Apply a YAML file of jobs, all or nothing, matched by their keys."""
    try:
        plan = import_jobs(
            system_identity, file.read(), file=file.name, dry_run=dry_run, prune=prune
        )
    except JobsFileError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise BadInput(
            f"{len(error.problems)} problem(s) in {file.name}; nothing was changed."
        ) from None
    if as_json:
        echo_json(plan.to_dict())
    else:
        _print_plan(plan)
