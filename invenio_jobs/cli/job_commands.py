# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs types|list|show|create|update|activate|deactivate|delete``."""

import json

import click
from flask import current_app
from invenio_access.permissions import system_identity
from rich.table import Table
from rich.text import Text

from ..proxies import current_jobs_service, current_runs_service, current_tasks_service
from .base import (
    PAGE_SIZE,
    build_schedule,
    command,
    console,
    echo_json,
    fail,
    find_job,
    first_line,
    json_option,
    parse_args,
    show_time,
    size_option,
    status_text,
)


def describe_argument(field: dict) -> str:
    """One argument of a job type: name, type, required or default."""
    text = f"{field['name']}: {field['type']}"
    if field.get("required"):
        text += ", required"
    if "default" in field:
        text += f" = {json.dumps(field['default'], default=str)}"
    if field.get("choices"):
        text += f" (one of {', '.join(map(str, field['choices']))})"
    return text


@command("types")
@json_option
def types(as_json):
    """List the job types and their arguments; those that failed to load, and why."""
    result = current_tasks_service.search(system_identity, {"size": PAGE_SIZE})
    items = []
    for hit in result.hits:
        if not hit.get("available", True):
            items.append({**hit, "arguments": []})
            continue
        args = current_tasks_service.read_task_form(system_identity, hit["id"])
        items.append({**hit, "arguments": args["fields"]})
    if as_json:
        return echo_json(items)
    table = Table(title="Job types")
    table.add_column("Type", style="bold", no_wrap=True)
    table.add_column("Title")
    table.add_column("Arguments")
    for item in items:
        if not item.get("available", True):
            unavailable = Text(f"not available: {item['error']}", style="red")
            table.add_row(item["id"], unavailable, Text("-", style="dim"))
            continue
        arguments = "\n".join(
            describe_argument(f) for f in item["arguments"] if not f.get("hidden")
        )
        table.add_row(item["id"], item["title"], arguments or Text("-", style="dim"))
    console().print(table)


def last_run_cell(job: dict) -> Text:
    """Status and start of a job's last run."""
    run = job.get("last_run")
    if not run:
        return Text("never", style="dim")
    when = run.get("started_at") or run.get("created")
    cell = Text.assemble(status_text(run["status"]), " ", (show_time(when), "dim"))
    if run.get("pool_wait"):
        cell.append(f" {run['pool_wait']['text']}", style="yellow")
    return cell


def type_cell(job: dict) -> Text:
    """A job's type, marked when it is not available (its runs cannot start)."""
    if job.get("task_available", True):
        return Text(job["task"])
    return Text.assemble(job["task"], " ", ("(not available)", "red"))


@command("list")
@click.option("--query", "-q", default="", help="Text in the title or description.")
@click.option("--active/--inactive", "active", default=None, help="Only these jobs.")
@size_option(default=100)
@json_option
def list_jobs(query, active, size, as_json):
    """List jobs: active, type, schedule, last run and next run (times in UTC)."""
    params = {"q": query, "size": size}
    if active is not None:
        params["active"] = active
    result = current_jobs_service.search(system_identity, params)
    hits = list(result.hits)
    if as_json:
        return echo_json({"hits": hits, "total": result.total})
    table = Table(title=f"Jobs ({result.total})", caption="Times in UTC")
    table.add_column("Title", style="bold", min_width=12)
    table.add_column("Active")
    table.add_column("Type", overflow="fold")
    table.add_column("Schedule", min_width=12)
    table.add_column("Last run", min_width=10)
    table.add_column("Next run", min_width=10)
    table.add_column("ID", overflow="fold", style="dim", min_width=8)
    for job in hits:
        table.add_row(
            job["title"],
            Text("yes", style="green") if job["active"] else Text("no", style="dim"),
            type_cell(job),
            job["schedule_description"],
            last_run_cell(job),
            show_time(job.get("next_run")),
            str(job["id"]),
        )
    console().print(table)


def runs_table(runs, title: str) -> Table:
    """A table of runs, newest first."""
    table = Table(title=title, caption="Times in UTC")
    table.add_column("Run", overflow="fold", style="dim", min_width=36)
    table.add_column("Status")
    table.add_column("Trigger")
    table.add_column("Started")
    table.add_column("Duration", justify="right")
    table.add_column("Entries", justify="right")
    table.add_column("Message")
    for run in runs:
        done = run["inserted_entries"] + run["updated_entries"]
        entries = f"{done}/{run['total_entries']}" if run["total_entries"] else done
        if run["errored_entries"]:
            entries = f"{entries} ({run['errored_entries']} errors)"
        duration = run.get("duration")
        table.add_row(
            str(run["id"]),
            status_text(run["status"]),
            run.get("trigger") or "",
            show_time(run.get("started_at")),
            "-" if duration is None else f"{duration:.1f} s",
            str(entries),
            (run.get("pool_wait") or {}).get("text") or first_line(run.get("message")),
        )
    return table


@command("show")
@click.argument("job_ref", metavar="JOB")
@click.option("--runs", "runs_count", default=5, show_default=True)
@json_option
def show(job_ref, runs_count, as_json):
    """Show a job (by id or unique title) and its last runs."""
    job = find_job(job_ref)
    runs = list(
        current_runs_service.search(
            system_identity, job["id"], {"size": max(1, runs_count)}
        ).hits
    )[:runs_count]
    if as_json:
        return echo_json({"job": job, "runs": runs})
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows = [
        ("ID", str(job["id"])),
        ("Title", job["title"]),
        ("Description", job.get("description") or "-"),
        ("Type", job["task"]),
        ("Active", "yes" if job["active"] else "no"),
        ("Schedule", job["schedule_description"]),
        ("Next run", show_time(job.get("next_run")) + " UTC"),
        ("Queue", job.get("default_queue") or current_app.config["JOBS_DEFAULT_QUEUE"]),
        ("Arguments", json.dumps(job.get("run_args") or {}, default=str)),
        ("Misfires", job.get("misfire_policy") or "-"),
        ("Timeout", f"{job['timeout']} s" if job.get("timeout") else "none"),
        ("Retries", str(job.get("max_retries") or 0)),
        ("Created", show_time(job.get("created")) + " UTC"),
    ]
    for name, value in rows:
        grid.add_row(name, Text(value))
    out = console()
    out.print(grid)
    out.print(runs_table(runs, f"Last runs of '{job['title']}'"))


def job_data(type_, title, description, schedule, args, queue) -> dict:
    """The fields the options give; the others are left out (unchanged)."""
    data = {}
    for key, value in (
        ("task", type_),
        ("title", title),
        ("description", description),
        ("default_queue", queue),
    ):
        if value is not None:
            data[key] = value
    if schedule is not ...:
        data["schedule"] = schedule
    if args is not None:
        data["run_args"] = args
    return data


def schedule_options(func):
    """--cron, --timezone and --every: the schedule of a job."""
    func = click.option(
        "--every", help="Interval schedule: 4h, 30m, 90s, 1d, 2w, 1h30m."
    )(func)
    func = click.option("--timezone", "tz", help="Time zone of --cron (IANA name).")(
        func
    )
    return click.option("--cron", help='Cron schedule, like "0 2 * * *".')(func)


def print_job_saved(job: dict, verb: str, as_json: bool):
    """Say what was saved: the job, its schedule and its next run."""
    if as_json:
        return echo_json(job)
    click.echo(
        f"{verb} job {job['id']} ({job['title']}): {job['schedule_description']}"
    )
    if job.get("next_run"):
        click.echo(f"Next run: {show_time(job['next_run'])} UTC")


@command("create")
@click.option(
    "--type",
    "--task",
    "-t",
    "type_",
    required=True,
    help="Job type (see types); --task is InvenioRDM's spelling.",
)
@click.option("--title", required=True)
@click.option("--description")
@schedule_options
@click.option("--arg", "-a", "args", multiple=True, help="Argument: key=value.")
@click.option("--queue", help="Celery queue of its runs.")
@click.option("--inactive", is_flag=True, help="Create it inactive.")
@json_option
def create(type_, title, description, cron, tz, every, args, queue, inactive, as_json):
    """Create a job; arguments are checked by the job type's schema."""
    schedule = build_schedule(cron, tz, every)
    data = job_data(
        type_,
        title,
        description,
        None if schedule is ... else schedule,
        parse_args(args),
        queue,
    )
    data["active"] = not inactive
    job = current_jobs_service.create(system_identity, data).to_dict()
    print_job_saved(job, "Created", as_json)


@command("update")
@click.argument("job_ref", metavar="JOB")
@click.option(
    "--type", "--task", "-t", "type_", help="Job type (its arguments start over)."
)
@click.option("--title")
@click.option("--description")
@schedule_options
@click.option("--no-schedule", is_flag=True, help="Remove the schedule.")
@click.option("--arg", "-a", "args", multiple=True, help="Set an argument: key=value.")
@click.option("--queue", help="Celery queue of its runs.")
@click.option("--active/--inactive", "active", default=None)
@json_option
def update(
    job_ref,
    type_,
    title,
    description,
    cron,
    tz,
    every,
    no_schedule,
    args,
    queue,
    active,
    as_json,
):
    """Change a job: only the options given change; --arg adds to its arguments."""
    job = find_job(job_ref)
    if no_schedule and (cron or every or tz):
        fail("Give either --no-schedule or a new schedule, not both.")
    schedule = None if no_schedule else build_schedule(cron, tz, every, job["schedule"])
    new_args = None
    if args:
        base = {} if type_ and type_ != job["task"] else dict(job["run_args"] or {})
        new_args = {**base, **parse_args(args)}
    elif type_ and type_ != job["task"]:
        new_args = {}
    data = job_data(type_, title, description, schedule, new_args, queue)
    if active is not None:
        data["active"] = active
    if not data:
        fail("Nothing to change: give at least one option.")
    job = current_jobs_service.update(system_identity, job["id"], data).to_dict()
    print_job_saved(job, "Updated", as_json)


def set_active(job_ref: str, active: bool):
    """Activate or deactivate a job; its next run follows."""
    job = find_job(job_ref)
    job = current_jobs_service.update(
        system_identity, job["id"], {"active": active}
    ).to_dict()
    state = "active" if active else "inactive"
    click.echo(f"Job {job['id']} ({job['title']}) is {state}.")
    if job.get("next_run"):
        click.echo(f"Next run: {show_time(job['next_run'])} UTC")


@command("activate")
@click.argument("job_ref", metavar="JOB")
def activate(job_ref):
    """Activate a job: its schedule fires again."""
    set_active(job_ref, True)


@command("deactivate")
@click.argument("job_ref", metavar="JOB")
def deactivate(job_ref):
    """Deactivate a job: its schedule stops firing; it can still be run by hand."""
    set_active(job_ref, False)


@command("delete")
@click.argument("job_ref", metavar="JOB")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(job_ref, yes):
    """Delete a job with its runs and their logs."""
    job = find_job(job_ref)
    if not yes:
        click.confirm(
            f"Delete job '{job['title']}' ({job['id']}) with its runs and logs?",
            abort=True,
        )
    current_jobs_service.delete(system_identity, job["id"])
    click.echo(f"Deleted job {job['id']} ({job['title']}).")
