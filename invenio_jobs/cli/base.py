# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What every ``invenio jobs`` command shares: the group, input, errors, output.

Every command acts as the system process (``system_identity``) through the
same services as the REST API; bad input is one line on stderr and exit
code 2, with nothing changed.
"""

import functools
import json
import uuid
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext
from invenio_access.permissions import system_identity
from invenio_db import db
from marshmallow import ValidationError
from rich.console import Console
from rich.text import Text

from ..errors import InvalidScheduleError
from ..proxies import current_jobs_service, current_runs_service
from ..schedules import parse_cron_expression, parse_every
from ..services.errors import JobsServiceError, RunNotFoundError
from ..services.history import ChangeSource, reset_change_source, set_change_source
from ..services.schemas import MAX_PAGE_SIZE

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
@click.pass_context
def jobs(ctx):
    """Manage jobs and runs, and read their logs."""
    # The jobs' history says that what follows was done on the command line.
    token = set_change_source(ChangeSource.CLI)
    ctx.call_on_close(lambda: reset_change_source(token))


def command(name: str):
    """A ``jobs`` command: in the app context, what the services refuse in one line.

    Put it above the command's options, as ``click.command``.
    """

    def decorator(func):
        return jobs.command(name)(with_appcontext(service_errors(func)))

    return decorator
