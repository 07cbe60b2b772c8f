# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs pause|resume|windows|window-add|window-delete``.

The instance-wide switches of scheduling, for upgrades and migrations run
from a shell: pause all scheduled runs (manual runs stay possible), resume
them (each job's misfire policy decides what its missed fires become), and
the recurring maintenance windows.
"""

import click
from invenio_access.permissions import system_identity
from rich.table import Table

from ..proxies import current_jobs
from .base import command, console, echo_json, json_option


def print_pause(state: dict, as_json: bool):
    """The pause's state: one line for people, the API's JSON for scripts."""
    if as_json:
        return echo_json(state)
    if not state["paused"]:
        return click.echo("Scheduled runs are not paused.")
    who = (state.get("paused_by") or {}).get("email") or "the system"
    until = state["until"] or "someone resumes them"
    click.echo(
        f"Scheduled runs are paused since {state['paused_at']} by {who}, "
        f"until {until}: {state['reason']}"
    )


@command("pause")
@click.option("--reason", required=True, help="Why (shown on the jobs list).")
@click.option(
    "--until",
    help="When the pause ends by itself (ISO 8601, e.g. 2026-12-24T18:00:00Z).",
)
@json_option
def pause(reason, until, as_json):
    """Pause all scheduled runs; manual runs stay possible."""
    state = current_jobs.pause_service.pause(
        system_identity, {"reason": reason, "until": until}
    )
    print_pause(state, as_json)


@command("resume")
@json_option
def resume(as_json):
    """Resume scheduled runs; missed fires follow each job's misfire policy."""
    print_pause(current_jobs.pause_service.resume(system_identity), as_json)


@command("windows")
@json_option
def windows(as_json):
    """List the maintenance windows, and whether one holds fires now."""
    found = current_jobs.windows_service.search(system_identity)["hits"]["hits"]
    if as_json:
        return echo_json(found)
    table = Table(title="Maintenance windows")
    for name in ("ID", "Title", "Cron", "Time zone", "Minutes", "Active", "Next"):
        table.add_column(name)
    for window in found:
        table.add_row(
            window["id"],
            window["title"],
            window["cron"],
            window["timezone"],
            str(window["duration"]),
            "yes" if window["active"] else "no",
            window["in_force_until"]
            and f"now, until {window['in_force_until']}"
            or window["next_start"],
        )
    console().print(table)


@command("window-add")
@click.option("--title", required=True, help="What the window is for.")
@click.option("--cron", required=True, help='Each start, e.g. "0 1 * * 0".')
@click.option("--timezone", "tz", help="IANA time zone of the cron expression.")
@click.option("--duration", required=True, type=int, help="Length in minutes.")
@json_option
def window_add(title, cron, tz, duration, as_json):
    """Add a recurring maintenance window when scheduled fires are held."""
    window = current_jobs.windows_service.create(
        system_identity,
        {"title": title, "cron": cron, "timezone": tz, "duration": duration},
    )
    if as_json:
        return echo_json(window)
    click.echo(f"Maintenance window {window['id']}: {window['description']}.")


@command("window-delete")
@click.argument("window_id", metavar="WINDOW")
def window_delete(window_id):
    """Delete a maintenance window; the fires it held run by their policy."""
    current_jobs.windows_service.delete(system_identity, window_id)
    click.echo(f"Maintenance window {window_id} deleted.")
