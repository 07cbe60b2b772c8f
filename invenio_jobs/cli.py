# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs ...``: the job system from a shell, through the services.

Every command acts as the system process (``system_identity``) through the
same services as the REST API, so that the CLI validates and records exactly
what the API would. Listings print rich tables for people and, with
``--json``, the API's JSON for scripts. Bad input is one line on stderr and
exit code 2, with nothing changed.

InvenioRDM's spellings work with their meaning: ``create --task``, ``log``
(a run's summary and lines; ours is ``logs``) and ``schedule --schedule``
(a cron schedule, confirmed after its next fire times; ours is ``update
--cron``).
"""

import functools
import getpass
import json
import time
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_db import db
from marshmallow import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from .errors import InvalidScheduleError
from .proxies import (
    current_jobs_logs_service,
    current_jobs_service,
    current_runs_service,
    current_tasks_service,
)
from .schedules import parse_cron_expression, parse_every
from .services.errors import JobsServiceError, RunNotFoundError
from .services.schemas import LOG_LEVELS, MAX_PAGE_SIZE

LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
}

STATUS_STYLES = {
    "QUEUED": "blue",
    "RUNNING": "cyan",
    "CANCELLING": "magenta",
    "SUCCESS": "green",
    "WARNING": "yellow",
    "PARTIAL_SUCCESS": "yellow",
    "FAILED": "bold red",
    "CANCELLED": "dim",
}

PAGE_SIZE = MAX_PAGE_SIZE
"""Largest page the services give: what listings and log reads ask for at most."""

MAX_FIRE_TIMES = 100
"""Most fire times ``next`` and ``cron`` show."""


class BadInput(click.ClickException):
    """Input that cannot be used: one line, exit code 2 (as click's usage errors)."""

    exit_code = 2


def fail(message: str):
    """Say what is wrong in one line and exit with code 2, changing nothing."""
    raise BadInput(message)


def flatten_errors(messages, prefix: str = "") -> list[str]:
    """``{"run_args": {"count": ["Not a valid integer."]}}`` as readable lines."""
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            lines.extend(flatten_errors(value, path))
        return lines
    if isinstance(messages, (list, tuple)):
        lines = []
        for value in messages:
            lines.extend(flatten_errors(value, prefix))
        return lines
    return [f"{prefix}: {messages}" if prefix else str(messages)]


def schedule_error(error: InvalidScheduleError) -> str:
    """A schedule error named as the option or the schedule field it is about."""
    if error.field in ("cron", "every"):
        return f"--{error.field}: {error.message}"
    return f"schedule.{error.field}: {error.message}"


def error_line(error) -> str:
    """What a service refused, in one line."""
    if isinstance(error, ValidationError):
        return "; ".join(flatten_errors(error.normalized_messages()))
    if isinstance(error, InvalidScheduleError):
        return schedule_error(error)
    return str(error.description)


def service_errors(func):
    """Turn what the services refuse into one line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ValidationError, InvalidScheduleError, JobsServiceError) as error:
            db.session.rollback()
            fail(error_line(error))

    return wrapper


def new_transaction():
    """End the session's transaction: the next read sees what others committed."""
    db.session.remove()


def console() -> Console:
    """A console on the current stdout (click's, under the test runner)."""
    return Console(highlight=False, soft_wrap=False)


def echo_json(data):
    """JSON for scripts: plain, indented, no colours."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def json_option(func):
    """``--json``: print the data as JSON instead of a table."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON, for scripts."
    )(func)


def size_option(default: int):
    """``--size``: how many items a listing shows, up to a page."""
    return click.option(
        "--size", default=default, show_default=True, type=click.IntRange(1, PAGE_SIZE)
    )


def count_option(func):
    """``-n``: how many fire times to show."""
    return click.option(
        "-n",
        "count",
        default=5,
        show_default=True,
        type=click.IntRange(1, MAX_FIRE_TIMES),
    )(func)


def parse_value(text: str):
    """A value typed on the command line: JSON when it parses, else the text.

    ``count=3`` gives 3, ``fail=true`` gives True, ``ids=[1,2]`` a list and
    ``name=ror`` the string; the job type's schema then checks it. ``NaN``
    and ``Infinity`` stay text: they are not JSON.
    """

    def refuse(constant):
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return text


def parse_args(pairs) -> dict:
    """``--arg k=v`` options as a dict."""
    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--arg '{pair}': give key=value.")
        args[key.strip()] = parse_value(value)
    return args


def as_utc(value) -> datetime | None:
    """An ISO time from the services (or a datetime) as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def show_time(value) -> str:
    """A time for tables: UTC, to the second."""
    moment = as_utc(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def status_text(status: str | None) -> Text:
    """A run status, coloured."""
    if not status:
        return Text("-", style="dim")
    return Text(status, style=STATUS_STYLES.get(status, ""))


def first_line(text: str | None, width: int = 60) -> str:
    """The first line of a message, cut to fit a table cell."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def default_timezone() -> str:
    """Time zone of cron schedules that do not name one."""
    return current_app.config["JOBS_SCHEDULER_TIMEZONE"]


def find_job(ref: str) -> dict:
    """The job with this id or this exact title; an ambiguous title is an error."""
    try:
        uuid.UUID(ref)
    except ValueError:
        pass
    else:
        return current_jobs_service.read(system_identity, ref).to_dict()
    matches, page = [], 1
    while True:
        result = current_jobs_service.search(
            system_identity, {"q": ref, "size": PAGE_SIZE, "page": page}
        )
        hits = list(result.hits)
        matches.extend(hit for hit in hits if hit["title"] == ref)
        if len(hits) < PAGE_SIZE:
            break
        page += 1
    if not matches:
        fail(f"No job with id or title '{ref}'.")
    if len(matches) > 1:
        ids = ", ".join(str(hit["id"]) for hit in matches)
        fail(f"The title '{ref}' names {len(matches)} jobs ({ids}); give an id.")
    return matches[0]


def find_run(run_id: str) -> dict:
    """The run with this id, or a one-line error."""
    try:
        return current_runs_service.read_by_id(system_identity, run_id).to_dict()
    except RunNotFoundError:
        fail(f"No run with id '{run_id}'.")


def build_schedule(cron, tz, every, current=None):
    """The schedule the options ask for; ``...`` when they ask for no change."""
    if cron and every:
        fail("Give either --cron or --every, not both.")
    if tz and every:
        fail("--timezone applies to --cron schedules only.")
    try:
        if cron:
            return parse_cron_expression(
                cron, timezone=tz, default_timezone=default_timezone()
            )
        if every:
            return parse_every(every)
    except InvalidScheduleError as error:
        fail(schedule_error(error))
    if tz:
        if current and current.get("type") == "crontab":
            return {**current, "timezone": tz}
        fail("--timezone needs --cron (or a job with a cron schedule).")
    return ...


@click.group()
def jobs():
    """Manage jobs and runs, and read their logs."""


def command(name: str):
    """A ``jobs`` command: in the app context, what the services refuse in one line.

    Put it above the command's options, as ``click.command``.
    """

    def decorator(func):
        return jobs.command(name)(with_appcontext(service_errors(func)))

    return decorator


# -- job types -------------------------------------------------------------------
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


# -- jobs ------------------------------------------------------------------------
def last_run_cell(job: dict) -> Text:
    """Status and start of a job's last run."""
    run = job.get("last_run")
    if not run:
        return Text("never", style="dim")
    when = run.get("started_at") or run.get("created")
    return Text.assemble(status_text(run["status"]), " ", (show_time(when), "dim"))


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
            first_line(run.get("message")),
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


# -- runs ------------------------------------------------------------------------
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
@click.option("--wait", "-w", is_flag=True, help="Wait for the end, with progress.")
@click.option("--timeout", type=float, help="With --wait: give up after S seconds.")
@click.option(
    "--interval", default=0.5, show_default=True, help="Seconds between polls."
)
def run_now(job_ref, args, queue, title, wait, timeout, interval):
    """Run a job now and print the run id.

    --arg values are added to the job's own arguments. With --wait the exit
    code says how it ended: 0 for SUCCESS, 1 for anything else or a timeout.
    """
    job = find_job(job_ref)
    data = {"title": title, "queue": queue}
    if args:
        data["args"] = {**(job["run_args"] or {}), **parse_args(args)}
    run = current_runs_service.create(system_identity, job["id"], data).to_dict()
    click.echo(run["id"])
    if not wait:
        return
    run = wait_for(job["id"], run["id"], timeout, interval)
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


# -- schedules -------------------------------------------------------------------
def print_fire_times(
    schedule: dict, description: str, fires, as_json: bool, note: str = ""
):
    """Fire times in the schedule's own time zone and in UTC."""
    zone = schedule.get("timezone") or default_timezone()
    local = [fire.astimezone(ZoneInfo(zone)) for fire in fires]
    if as_json:
        return echo_json(
            {
                "schedule": schedule,
                "description": description,
                "timezone": zone,
                "next_runs": [
                    {"local": lo.isoformat(), "utc": fire.isoformat()}
                    for lo, fire in zip(local, fires)
                ],
            }
        )
    table = Table(title=description, caption=note or None)
    table.add_column("#", justify="right", style="dim")
    table.add_column(f"Local ({zone})")
    table.add_column("UTC")
    for index, (lo, fire) in enumerate(zip(local, fires), start=1):
        table.add_row(
            str(index),
            lo.strftime("%Y-%m-%d %H:%M:%S %Z"),
            fire.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console().print(table)


@command("next")
@click.argument("job_ref", metavar="JOB")
@count_option
@json_option
def next_runs(job_ref, count, as_json):
    """The next fire times of a job's schedule."""
    job = find_job(job_ref)
    if not job.get("schedule"):
        if as_json:
            return echo_json({"schedule": None, "next_runs": []})
        click.echo(f"Job {job['id']} ({job['title']}) is not scheduled.")
        return
    fires = current_jobs_service.next_fire_times(system_identity, job["id"], count)
    note = "" if job["active"] else "The job is inactive: these times will not fire."
    print_fire_times(job["schedule"], job["schedule_description"], fires, as_json, note)


@command("cron")
@click.argument("expression")
@click.option("--timezone", "tz", help="Time zone (IANA name).")
@count_option
@json_option
def cron(expression, tz, count, as_json):
    """The next fire times of a cron expression, to check it before saving it."""
    schedule = build_schedule(expression, tz, None)
    fires, description = current_jobs_service.explain_schedule(
        system_identity, schedule, count=count
    )
    print_fire_times(schedule, description, fires, as_json)


# -- logs --------------------------------------------------------------------------
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


def parse_crontab_option(expression: str, tz: str | None) -> dict:
    """The crontab schedule of ``--schedule`` and ``--tz``, errors named so."""
    try:
        return parse_cron_expression(
            expression, timezone=tz, default_timezone=default_timezone()
        )
    except InvalidScheduleError as error:
        option = "--tz" if error.field == "timezone" else "--schedule"
        fail(f"{option}: {error.message}")


@command("schedule")
@click.argument("job_ref", metavar="JOB")
@click.option(
    "--schedule",
    "expression",
    required=True,
    help='Cron schedule: minute hour day-of-month month day-of-week, "*/5 * * * *".',
)
@click.option("--tz", help="Time zone of the schedule (IANA name).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def schedule(job_ref, expression, tz, yes):
    """Give a job a cron schedule, after showing its next fire times.

    InvenioRDM's spelling of ``update JOB --cron ... --timezone ...``.
    """
    job = find_job(job_ref)
    crontab = parse_crontab_option(expression, tz)
    fires, description = current_jobs_service.explain_schedule(
        system_identity, crontab, count=3
    )
    print_fire_times(crontab, description, fires, as_json=False)
    if not yes:
        click.confirm(
            f"Use this schedule for job '{job['title']}' ({job['id']})?", abort=True
        )
    job = current_jobs_service.update(
        system_identity, job["id"], {"schedule": crontab}
    ).to_dict()
    print_job_saved(job, "Scheduled", as_json=False)


# InvenioRDM's Python names of the commands, for code that imports them
# (``from invenio_jobs.cli import create_job``); same commands, same spellings.
list_job_types = types
create_job = create
update_job = update
delete_job = delete
list_job_runs = runs
create_run_for_job = run_now
print_run_log = log
schedule_job = schedule
