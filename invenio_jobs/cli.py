# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs ...``: the job system from a shell, through the services."""

import time
import uuid

import click
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_db import db
from rich.console import Console
from rich.text import Text

from .models import Run
from .proxies import current_jobs_logs_service
from .services.schemas import LOG_LEVELS

LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
}


def fail(message: str):
    """Say what is wrong in one line and exit with code 2, changing nothing."""
    raise click.UsageError(message)


def find_run(run_id: str) -> Run:
    """The run with this id, or a one-line error."""
    try:
        run = db.session.get(Run, uuid.UUID(run_id))
    except ValueError:
        run = None
    if run is None:
        fail(f"No run with id '{run_id}'.")
    return run


@click.group()
def jobs():
    """Manage jobs and runs, and read their logs."""


def log_line(hit: dict) -> Text:
    """One log line, coloured by level; the message is shown as text."""
    style = LEVEL_STYLES.get(hit["level"], "")
    return Text.assemble(
        (hit["timestamp"][:23].replace("T", " "), "dim"),
        " ",
        (f"{hit['level']:<8}", style or "bold"),
        " ",
        (hit["logger"] or "", "cyan"),
        " ",
        (hit["message"], style),
    )


@jobs.command("logs")
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option(
    "--level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Lowest level to show.",
)
@click.option(
    "--interval", default=1.0, show_default=True, help="Seconds between polls."
)
@with_appcontext
def logs(run_id, follow, level, interval):
    """Print the log of a run, following it like ``tail -f`` with --follow."""
    run = find_run(run_id)
    job_id, run_id = str(run.job_id), str(run.id)
    console = Console(highlight=False, soft_wrap=True)
    params = {"size": 1000, "level": level.upper() if level else None}
    after = None
    while True:
        page = current_jobs_logs_service.tail(
            system_identity, job_id, run_id, {**params, "after": after}
        )
        for hit in page["hits"]:
            console.print(log_line(hit))
        after = page["next_after"]
        if len(page["hits"]) == params["size"]:
            continue
        if not follow or page["finished"]:
            break
        db.session.remove()
        time.sleep(interval)
    if follow:
        console.print(Text(f"Run ended: {page['run_status']}", style="bold"))
