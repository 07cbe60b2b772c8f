# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs run|run-again|stop|runs``: starting, stopping and listing runs."""

import getpass
import time

import click
from invenio_access.permissions import system_identity
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..proxies import current_runs_service
from ..services.history import JobAction, record_run_action
from ..services.run_again import run_again
from .base import (
    command,
    console,
    echo_json,
    find_job,
    find_run,
    json_option,
    new_transaction,
    parse_args,
    size_option,
    status_text,
)
from .job_commands import runs_table


def read_run(job_id, run_id) -> dict:
    """The run as stored now (another process may be moving it)."""
    new_transaction()
    return current_runs_service.read(system_identity, job_id, run_id).to_dict()


def wait_for(job_id, run_id, timeout, interval) -> dict | None:
    """Show a progress bar until the run ends; None when the wait timed out."""
    deadline = None if timeout is None else time.monotonic() + timeout
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as progress:
        bar = progress.add_task("QUEUED", total=None)
        while True:
            run = read_run(job_id, run_id)
            done = run["inserted_entries"] + run["updated_entries"]
            done += run["errored_entries"]
            progress.update(
                bar,
                description=run["status"],
                total=run["total_entries"] or None,
                completed=done,
            )
            if current_runs_service.has_ended(run):
                return run
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(interval)


@command("run")
@click.argument("job_ref", metavar="JOB")
@click.option("--arg", "-a", "args", multiple=True, help="Argument: key=value.")
@click.option("--queue", help="Celery queue of this run.")
@click.option("--title", help="Title of this run.")
@click.option(
    "--at",
    help="Run once at this time instead (ISO with its zone: 2030-01-31T02:00+01:00).",
)
@click.option("--wait", "-w", is_flag=True, help="Wait for the end, with progress.")
@click.option("--timeout", type=float, help="With --wait: give up after S seconds.")
@click.option(
    "--interval", default=0.5, show_default=True, help="Seconds between polls."
)
def run_now(job_ref, args, queue, title, at, wait, timeout, interval):
    """Run a job now (or --at a chosen time) and print the run id.

    --arg values are added to the job's own arguments. With --wait the exit
    code says how it ended: 0 for SUCCESS, 1 for anything else or a timeout.
    """
    job = find_job(job_ref)
    data = {"title": title, "queue": queue}
    if at:
        data["at"] = at
    if args:
        data["args"] = {**(job["run_args"] or {}), **parse_args(args)}
    run = current_runs_service.create(system_identity, job["id"], data).to_dict()
    record_run_action(system_identity, job["id"], JobAction.RUN_STARTED, run)
    click.echo(run["id"])
    if wait:
        wait_and_tell(job["id"], run["id"], timeout, interval)


@command("run-again")
@click.argument("run_id", metavar="RUN")
@click.option("--wait", "-w", is_flag=True, help="Wait for the end, with progress.")
@click.option("--timeout", type=float, help="With --wait: give up after S seconds.")
@click.option(
    "--interval", default=0.5, show_default=True, help="Seconds between polls."
)
def run_again_command(run_id, wait, timeout, interval):
    """Run a run's job again, with that run's arguments, title and queue.

    Prints the new run's id; --wait as for ``run``.
    """
    source = find_run(run_id)
    item, source_run = run_again(
        current_runs_service, system_identity, source["job_id"], source["id"]
    )
    run = item.to_dict()
    record_run_action(
        system_identity,
        source["job_id"],
        JobAction.RUN_AGAIN,
        run,
        again_of=source_run,
    )
    click.echo(run["id"])
    if wait:
        wait_and_tell(source["job_id"], run["id"], timeout, interval)


def wait_and_tell(job_id, run_id, timeout, interval):
    """Wait for the run's end and say how it ended; exit 1 unless SUCCESS."""
    run = wait_for(job_id, run_id, timeout, interval)
    if run is None:
        click.echo(f"Timed out after {timeout:g} s; the run goes on.", err=True)
        raise SystemExit(1)
    out = console()
    out.print(Text.assemble("Run ended: ", status_text(run["status"])))
    if run.get("message"):
        out.print(Text(run["message"].rstrip()))
    if run["status"] != "SUCCESS":
        raise SystemExit(1)


@command("stop")
@click.argument("run_id", metavar="RUN")
def stop(run_id):
    """Stop a run: a queued one at once, a running one at its next check."""
    run = find_run(run_id)
    result = current_runs_service.stop(
        system_identity,
        run["job_id"],
        run["id"],
        via=f"from the command line by '{getpass.getuser()}'",
    ).to_dict()
    record_run_action(system_identity, run["job_id"], JobAction.RUN_STOPPED, result)
    click.echo(f"Run {result['id']} is {result['status']}.")


@command("runs")
@click.argument("job_ref", metavar="JOB")
@click.option(
    "--status", "-s", multiple=True, help="Only these statuses (FAILED or F)."
)
@size_option(default=20)
@json_option
def runs(job_ref, status, size, as_json):
    """List the runs of a job, newest first."""
    job = find_job(job_ref)
    params = {"size": size}
    if status:
        params["status"] = list(status)
    result = current_runs_service.search(system_identity, job["id"], params)
    hits = list(result.hits)
    if as_json:
        return echo_json({"hits": hits, "total": result.total})
    console().print(
        runs_table(hits, f"Runs of '{job['title']}' ({len(hits)} of {result.total})")
    )
