# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""What InvenioRDM's own invenio-jobs tests expect, held by ours.

Each test is one difference that InvenioRDM's test suite found between its
package and this one, with InvenioRDM's behaviour as the contract: empty
values as ``null``, results read by key, its 404 words, subtasks of a
queued run, the CLI's Python names and the modules ``api``, ``utils`` and
``services.ui_schema``.
"""

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import click
import pytest
from invenio_access.permissions import system_identity
from marshmallow import ValidationError

from invenio_jobs.models import Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.proxies import current_runs_service as runs
from invenio_jobs.services.errors import RunStatusChangeError

NULL_WHEN_EMPTY = ("run_args", "notification_emails", "notification_statuses")


def _make_job(**values):
    data = {"title": "Contract", "task": "no_args", **values}
    return current_jobs_service.create(system_identity, data)


def test_empty_arguments_and_notifications_are_null(app, db, admin_client):
    """A job without them reads ``null``; ``null`` sent back is accepted."""
    created = admin_client.post("/jobs", json={"title": "Bare", "task": "no_args"})
    assert created.status_code == 201, created.json
    assert {name: created.json[name] for name in NULL_WHEN_EMPTY} == dict.fromkeys(
        NULL_WHEN_EMPTY
    )
    job_id = created.json["id"]
    body = {name: None for name in NULL_WHEN_EMPTY}
    updated = admin_client.put(f"/jobs/{job_id}", json={"title": "Bare", **body})
    assert updated.status_code == 200, updated.json
    assert updated.json["notification_emails"] is None

    subscribed = admin_client.put(
        f"/jobs/{job_id}",
        json={
            "notification_emails": ["ops@example.org"],
            "notification_statuses": ["FAILED"],
        },
    )
    assert subscribed.json["notification_emails"] == ["ops@example.org"]
    assert subscribed.json["notification_statuses"] == ["FAILED"]


def test_service_results_are_read_by_key(app, db):
    """``result["id"]`` and any field, as on InvenioRDM's results."""
    job = _make_job()
    assert job["id"] == job.id
    assert job["title"] == "Contract"
    with pytest.raises(KeyError):
        job["no such field"]


def test_missing_job_and_run_answer_in_inveniordm_words(app, db, admin_client):
    """The 404 bodies name the id as InvenioRDM words it."""
    missing = str(uuid.uuid4())
    answer = admin_client.get(f"/jobs/{missing}")
    assert answer.status_code == 404
    assert answer.json == {
        "message": f"Job with ID {missing} does not exist.",
        "status": 404,
    }
    job_id = _make_job().id
    answer = admin_client.get(f"/jobs/{job_id}/runs/{missing}")
    assert answer.status_code == 404
    message = answer.json["message"]
    assert message.startswith(f"Run with ID {missing} ")
    assert message.endswith(" does not exist.")


@pytest.fixture()
def queued_parent(app, db):
    """A run that no worker has taken yet."""
    from invenio_jobs import lifecycle

    job_id = uuid.UUID(_make_job().id)
    run = Run(**lifecycle.queued_run(job_id, "parent", {}, "celery"))
    db.session.add(run)
    db.session.commit()
    return run


def test_a_queued_run_takes_subtasks(app, db, queued_parent):
    """Counted on the parent at once, titled as InvenioRDM titles them."""
    parent = queued_parent
    child = runs.create_subtask_run(
        system_identity, parent_run_id=parent.id, job_id=parent.job_id
    )
    assert child["id"] == child.id
    assert child["status"] == "QUEUED"
    assert child["parent_run_id"] == str(parent.id)
    assert child["title"] == f"Run {parent.id} — Subtask"
    read = runs.read(system_identity, parent.job_id, parent.id)
    assert read["total_subtasks"] == 1


def test_an_ended_run_takes_no_subtask(app, db, queued_parent):
    """Its count is closed: a subtask added now would never be waited for."""
    from invenio_jobs import lifecycle

    lifecycle.cancel(queued_parent.id, "Stopped")
    db.session.commit()
    with pytest.raises(RunStatusChangeError):
        runs.create_subtask_run(
            system_identity, parent_run_id=queued_parent.id, job_id=queued_parent.job_id
        )


INVENIORDM_COMMANDS = {
    "list_job_types": "types",
    "list_jobs": "list",
    "create_job": "create",
    "update_job": "update",
    "delete_job": "delete",
    "list_job_runs": "runs",
    "create_run_for_job": "run",
    "print_run_log": "log",
    "schedule_job": "schedule",
}


def test_cli_commands_import_under_inveniordm_names(app, db):
    """``from invenio_jobs.cli import create_job``: the ``jobs create`` command."""
    from invenio_jobs import cli

    for name, spelling in INVENIORDM_COMMANDS.items():
        command = getattr(cli, name)
        assert isinstance(command, click.Command), name
        assert cli.jobs.commands[spelling] is command, name
    result = app.test_cli_runner().invoke(
        cli.create_job, ["--title", "From the CLI", "--task", "no_args"]
    )
    assert result.exit_code == 0, result.output
    found = current_jobs_service.search(system_identity, {"q": "From the CLI"})
    assert [hit["title"] for hit in found.hits] == ["From the CLI"]


def test_attr_dict_reads_keys_as_attributes():
    """``invenio_jobs.api.AttrDict``: a key set either way reads either way."""
    from invenio_jobs.api import AttrDict

    record = AttrDict(id="1", title="A")
    assert (record.id, record["title"]) == ("1", "A")
    record.status = "QUEUED"
    assert record["status"] == "QUEUED"
    record["queue"] = "low"
    assert record.queue == "low"
    assert json.loads(json.dumps(record)) == {
        "id": "1",
        "title": "A",
        "status": "QUEUED",
        "queue": "low",
    }


@pytest.mark.parametrize(
    "value, text",
    [
        (datetime(2025, 7, 10, 5, 0, tzinfo=timezone.utc), "2025-07-10T05:00:00+00:00"),
        (
            datetime(2025, 7, 10, 5, 0, tzinfo=timezone(timedelta(hours=-2))),
            "2025-07-10T05:00:00-02:00",
        ),
        (
            datetime(2025, 7, 10, 5, 0, 0, 20000, tzinfo=timezone.utc),
            "2025-07-10T05:00:00.020000+00:00",
        ),
        (date(2025, 7, 10), "2025-07-10"),
    ],
)
def test_job_arguments_dump_times_as_iso_text(value, text):
    """``job_arg_json_dumper``: ISO 8601 with the offset, never ``Z``."""
    from invenio_jobs.utils import job_arg_json_dumper

    dumped = json.loads(json.dumps({"since": value}, default=job_arg_json_dumper))
    assert dumped == {"since": text}


def test_job_arguments_dumper_refuses_what_json_cannot_write():
    """Anything but a time is refused as ``json.dumps`` refuses it."""
    from invenio_jobs.utils import job_arg_json_dumper

    with pytest.raises(TypeError):
        json.dumps({"x": object()}, default=job_arg_json_dumper)


def test_send_run_notification_mails_the_statuses_subscribed(app, db, mailbox):
    """``utils.send_run_notification(run, job)``: sent for FAILED only."""
    from invenio_db import db as db_

    from invenio_jobs import lifecycle
    from invenio_jobs.models import Job
    from invenio_jobs.utils import send_run_notification

    job = db_.session.get(
        Job,
        uuid.UUID(
            _make_job(
                notification_emails=["ops@example.org"],
                notification_statuses=["FAILED"],
            ).id
        ),
    )
    run = Run(**lifecycle.queued_run(job.id, "notified", {}, "celery"))
    db_.session.add(run)
    db_.session.commit()
    run.status = RunStatusEnum.SUCCESS
    assert send_run_notification(run, job) is False
    assert len(mailbox) == 0
    run.status = RunStatusEnum.FAILED
    db_.session.commit()
    assert send_run_notification(run, job) is True
    assert len(mailbox) == 1
    assert mailbox[0].recipients == ["ops@example.org"]
    assert f"/administration/runs/{run.id}" in mailbox[0].body


def test_schedule_ui_schema_loads_either_kind(app):
    """``services.ui_schema``: a crontab's missing fields are ``*``."""
    from invenio_jobs.services.ui_schema import (
        CrontabScheduleUISchema,
        IntervalScheduleUISchema,
        ScheduleUISchema,
    )

    schema = ScheduleUISchema()
    assert schema.load({"type": "crontab", "minute": "5"}) == {
        "type": "crontab",
        "minute": "5",
        "hour": "*",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
    }
    assert schema.load({"type": "interval", "hours": 4}) == {
        "type": "interval",
        "hours": 4,
    }
    with pytest.raises(ValidationError):
        schema.load({"type": "sometimes"})
    with pytest.raises(ValidationError):
        schema.load({"type": "interval", "hours": "four"})
    orders = [
        field.metadata["order"] for field in IntervalScheduleUISchema().fields.values()
    ]
    assert orders == sorted(orders)
    assert set(CrontabScheduleUISchema().fields) == {
        "minute",
        "hour",
        "day_of_week",
        "day_of_month",
        "month_of_year",
    }
