# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs logs|log``: a run's log, and InvenioRDM's summary with it."""

import time

import click
from invenio_access.permissions import system_identity
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..proxies import (
    current_jobs_logs_service,
    current_jobs_service,
    current_runs_service,
)
from ..services.errors import JobsServiceError, RunNotFoundError
from ..services.schemas import LOG_LEVELS
from .base import (
    LEVEL_STYLES,
    PAGE_SIZE,
    command,
    console,
    fail,
    find_run,
    new_transaction,
    show_time,
    status_text,
)


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


def log_options(func):
    """--follow, --level and --interval: how a run's log is printed."""
    func = click.option(
        "--interval", default=1.0, show_default=True, help="Seconds between polls."
    )(func)
    func = click.option(
        "--level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        help="Lowest level to show.",
    )(func)
    return click.option(
        "--follow", "-f", is_flag=True, help="Keep printing new lines until it ends."
    )(func)


@command("logs")
@click.argument("run_id")
@log_options
def logs(run_id, follow, level, interval):
    """Print the log of a run, following it like ``tail -f`` with --follow."""
    print_log(find_run(run_id), follow, level, interval)


def print_log(run: dict, follow: bool, level: str | None, interval: float):
    """Print a run's log lines; with ``follow``, until the run has ended."""
    job_id, run_id = run["job_id"], run["id"]
    console = Console(highlight=False, soft_wrap=True)
    params = {"size": PAGE_SIZE, "level": level.upper() if level else None}
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
        new_transaction()
        time.sleep(interval)
    if follow:
        console.print(Text(f"Run ended: {page['run_status']}", style="bold"))


RUN_COUNTERS = (
    "total_entries",
    "inserted_entries",
    "updated_entries",
    "errored_entries",
    "total_subtasks",
    "completed_subtasks",
    "failed_subtasks",
)
"""The counters ``log`` sums up a run with, in InvenioRDM's order of meaning."""


def find_run_or_last_run(ref: str) -> dict:
    """The run with this id, or else the last run of the job with this id."""
    try:
        return current_runs_service.read_by_id(system_identity, ref).to_dict()
    except RunNotFoundError:
        pass
    try:
        job = current_jobs_service.read(system_identity, ref).to_dict()
    except JobsServiceError:
        fail(f"No run with id '{ref}', nor a job with runs.")
    if not job.get("last_run"):
        fail(f"Job {job['id']} ({job['title']}) has no runs yet.")
    return find_run(str(job["last_run"]["id"]))


def print_run_summary(run: dict):
    """A run's status, times and counters, above its log."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Run", Text(str(run["id"])))
    grid.add_row("Job", Text(str(run["job_id"])))
    grid.add_row("Status", status_text(run["status"]))
    grid.add_row("Started", Text(show_time(run.get("started_at")) + " UTC"))
    grid.add_row("Finished", Text(show_time(run.get("finished_at")) + " UTC"))
    for name in RUN_COUNTERS:
        value = run.get(name)
        grid.add_row(name, Text("-" if value is None else str(value)))
    console().print(grid)


@command("log")
@click.argument("run_ref", metavar="RUN")
@log_options
def log(run_ref, follow, level, interval):
    """Print a run's summary, then its lines; a job id names its last run.

    InvenioRDM's spelling; ``logs`` prints the lines alone.
    """
    run = find_run_or_last_run(run_ref)
    print_run_summary(run)
    print_log(run, follow, level, interval)
