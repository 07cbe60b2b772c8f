# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs next|cron|schedule``: fire times, and InvenioRDM's ``schedule``."""

from zoneinfo import ZoneInfo

import click
from invenio_access.permissions import system_identity
from rich.table import Table

from ..errors import InvalidScheduleError
from ..proxies import current_jobs_service
from ..schedules import parse_cron_expression
from .base import (
    build_schedule,
    command,
    console,
    count_option,
    default_timezone,
    echo_json,
    fail,
    find_job,
    json_option,
)
from .job_commands import print_job_saved


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
