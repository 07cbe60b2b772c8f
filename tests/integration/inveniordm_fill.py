# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Fill an InvenioRDM instance database through InvenioRDM's invenio-jobs.

Run by :mod:`inveniordm_instance` with the Python of the scratch virtual
environment that holds InvenioRDM's released package, never with ours. It
writes jobs and runs through InvenioRDM's own models (its services need
registered job types, which a bare instance lacks), then prints, as one JSON
line, what it wrote and how InvenioRDM reads it back, so that the test can
compare our reading of the upgraded database with InvenioRDM's.

It runs with each line's package (5.0.1, 10.1.2, 11.1.0): a column that a
line's models lack (5.x has no arguments, notifications, counters or
subtasks) is neither written nor described.

Usage (configuration from INVENIO_* variables):

``python inveniordm_fill.py fill [api|beat]``
    write the jobs and runs of a scenario; print what InvenioRDM reads back;
``python inveniordm_fill.py fill broker TASK``
    a job of job type TASK whose run InvenioRDM's own beat scheduler creates
    and sends to the broker, where it waits for a worker;
``python inveniordm_fill.py read IDS``
    print what InvenioRDM reads of the jobs and runs named in IDS (a JSON
    object ``{"jobs": {key: id}, "runs": {key: id}}``), in the same shape: the
    reading of a database downgraded back to InvenioRDM.
"""

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

from invenio_accounts.proxies import current_datastore
from invenio_app.factory import create_api
from invenio_db import db

from invenio_jobs.models import Job, Run, RunStatusEnum

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def crontab(**fields):
    """A crontab as InvenioRDM's admin form stores it: ``*`` where not given."""
    return {"type": "crontab", **{name: fields.get(name, "*") for name in CRON_FIELDS}}


def job_fields(title, task, schedule, **values):
    """The fields of a job: active, on the default queue, unless told."""
    fields = dict(
        title=title,
        task=task,
        active=True,
        default_queue="celery",
        schedule=schedule,
        run_args={},
        notifications=None,
    )
    fields.update(values)
    return fields


JOBS = {
    "nightly": job_fields(
        "Nightly cron",
        "update_affiliations",
        crontab(minute="30", hour="2"),
        run_args={
            "job_arg_schema": "ArgsSchema",
            "since": "2026-01-01",
            "custom_args": {"limit": 10},
        },
        notifications={
            "emails": ["ops@example.org", "admin@example.org"],
            "statuses": ["FAILED", "PARTIAL_SUCCESS"],
        },
    ),
    "weekdays": job_fields(
        "Weekday mornings",
        "update_funders",
        crontab(minute="0", hour="7", day_of_week="mon-fri"),
        default_queue="low",
        run_args=None,
        notifications={"emails": ["ops@example.org"]},
    ),
    "interval": job_fields(
        "Every four hours",
        "export_records",
        {"type": "interval", "hours": 4},
        run_args={"format": "json"},
    ),
    "odd_interval": job_fields(
        "Odd interval",
        "export_records",
        {"type": "interval", "minutes": 90, "milliseconds": 500},
        notifications={"statuses": ["SUCCESS"]},
    ),
    "inactive": job_fields(
        "Inactive interval",
        "export_records",
        {"type": "interval", "days": 1},
        active=False,
        run_args={"format": "csv"},
    ),
    "manual": job_fields("Manual only", "clean_up", None, run_args=None),
}
"""The jobs an instance may hold, by a short key."""

BEAT_JOBS = {
    "cron": job_fields("Every minute", "no_args", crontab()),
    "interval": job_fields(
        "Every five seconds", "no_args", {"type": "interval", "seconds": 5}
    ),
}
"""Jobs that our beat fires after the upgrade (``no_args``: a test job type)."""


def _known(model, values: dict) -> dict:
    """The values of columns this line's model has."""
    return {name: value for name, value in values.items() if hasattr(model, name)}


def _run(job, key, status, minutes, **values):
    """One run of ``job``, created ``minutes`` after BASE (or at ``created``)."""
    created = values.pop("created", BASE + timedelta(minutes=minutes))
    run = Run(
        id=uuid.uuid4(),
        job=job,
        status=status,
        queue=job.default_queue,
        task_id=uuid.uuid4(),
        args=values.pop("args", {"since": "2026-01-01"}),
        created=created,
        updated=created,
        **_known(Run, values),
    )
    db.session.add(run)
    return key, run


def _add_jobs(definitions):
    jobs = {}
    for key, fields in definitions.items():
        jobs[key] = Job(id=uuid.uuid4(), **_known(Job, fields))
        db.session.add(jobs[key])
    db.session.flush()
    return jobs


def fill_beat():
    """Two jobs for the beat, each with a run of InvenioRDM's beat a while ago.

    The interval job's run starts at an odd fraction of a second: the grid
    that our beat must keep.
    """
    jobs = _add_jobs(BEAT_JOBS)
    now = datetime.now(timezone.utc)
    last = now.replace(microsecond=300_000) - timedelta(seconds=20)
    runs = {}
    for key, job in jobs.items():
        runs[key] = _run(job, key, RunStatusEnum.SUCCESS, 0, created=last, args={})[1]
    db.session.commit()
    return None, jobs, runs


def fill():
    """Write the jobs, a user and runs in every status; return what was written."""
    user = current_datastore.create_user(
        email="admin@example.org", password=None, active=True
    )
    jobs = _add_jobs(JOBS)

    nightly = jobs["nightly"]
    runs = dict(
        [
            _run(nightly, "queued", RunStatusEnum.QUEUED, 1),
            _run(
                nightly,
                "running",
                RunStatusEnum.RUNNING,
                2,
                started_at=BASE + timedelta(minutes=2),
            ),
            _run(
                nightly,
                "success",
                RunStatusEnum.SUCCESS,
                3,
                started_at=BASE + timedelta(minutes=3),
                finished_at=BASE + timedelta(minutes=4),
                total_entries=120,
                inserted_entries=100,
                updated_entries=15,
                errored_entries=5,
                message="Done",
            ),
            _run(nightly, "failed", RunStatusEnum.FAILED, 5, message="Boom"),
            _run(nightly, "warning", RunStatusEnum.WARNING, 6),
            _run(nightly, "cancelling", RunStatusEnum.CANCELLING, 7),
            _run(nightly, "cancelled", RunStatusEnum.CANCELLED, 8),
            _run(
                nightly,
                "partial",
                RunStatusEnum.PARTIAL_SUCCESS,
                9,
                started_by_id=user.id,
                title="Manual run",
                args=None,
            ),
            _run(
                jobs["interval"],
                "parent",
                RunStatusEnum.PARTIAL_SUCCESS,
                10,
                started_by_id=user.id,
                title="Parent",
                total_subtasks=3,
                completed_subtasks=2,
                failed_subtasks=1,
                subtasks_closed=True,
            ),
        ]
    )
    db.session.flush()
    subtasks = (RunStatusEnum.SUCCESS, RunStatusEnum.SUCCESS, RunStatusEnum.FAILED)
    if not hasattr(Run, "parent_run_id"):
        subtasks = ()  # 5.x: no subtasks
    for index, status in enumerate(subtasks):
        key, run = _run(
            jobs["interval"],
            f"subtask{index}",
            status,
            11 + index,
            parent_run_id=runs["parent"].id,
        )
        runs[key] = run
    db.session.commit()
    return user, jobs, runs


def fill_broker(task):
    """A job of ``task`` whose run InvenioRDM's beat creates and sends.

    The message is InvenioRDM's own: its scheduler's ``apply_entry`` makes
    the run and publishes ``execute_run`` with its arguments and kwargs to
    the broker (not eagerly), where no worker takes it yet.
    """
    from flask import current_app

    from invenio_jobs.services.scheduler import JobEntry, RunScheduler

    waiting = job_fields(
        "Left in the broker", task, {"type": "interval", "days": 1}, active=False
    )
    jobs = _add_jobs({"waiting": waiting})
    db.session.commit()
    celery = current_app.extensions["flask-celeryext"].celery
    celery.conf.task_always_eager = False
    scheduler = RunScheduler(app=celery, lazy=True)
    scheduler.apply_entry(JobEntry.from_job(jobs["waiting"]))
    run = Run.query.filter_by(job_id=jobs["waiting"].id).one()
    return None, jobs, {"waiting": run}


def _iso(value):
    return value.isoformat() if value is not None else None


def _uuid(value):
    return str(value) if value is not None else None


JOB_FIELDS = {
    "title": None,
    "task": None,
    "active": None,
    "default_queue": None,
    "schedule": None,
    "run_args": None,
    "notifications": None,
    "created": _iso,
}
RUN_FIELDS = {
    "job_id": _uuid,
    "task_id": _uuid,
    "title": None,
    "args": None,
    "queue": None,
    "message": None,
    "started_by_id": None,
    "parent_run_id": _uuid,
    "created": _iso,
    "started_at": _iso,
    "finished_at": _iso,
    "total_subtasks": None,
    "completed_subtasks": None,
    "failed_subtasks": None,
    "subtasks_closed": None,
    "total_entries": None,
    "inserted_entries": None,
    "updated_entries": None,
    "errored_entries": None,
}
"""What is described of each job and run (where the line's model has it),
and how a value becomes JSON."""


def _fields(obj, fields) -> dict:
    return {
        name: (form or (lambda v: v))(getattr(obj, name))
        for name, form in fields.items()
        if hasattr(type(obj), name)
    }


def describe(user, jobs, runs):
    """What InvenioRDM reads back: the reference for the test."""
    db.session.expire_all()
    return {
        "user_id": user.id if user else None,
        "jobs": {
            key: {
                "id": str(job.id),
                **_fields(job, JOB_FIELDS),
                "parsed_schedule": str(job.parsed_schedule),
                "last_run_created": (
                    job.last_run.created.isoformat() if job.last_run else None
                ),
            }
            for key, job in jobs.items()
        },
        "runs": {
            key: {
                "id": str(run.id),
                "status": run.status.value,
                **_fields(run, RUN_FIELDS),
            }
            for key, run in runs.items()
        },
    }


def read(ids):
    """The user, jobs and runs named in ``ids``, as InvenioRDM's models give them."""
    jobs = {
        key: db.session.get(Job, uuid.UUID(id_)) for key, id_ in ids["jobs"].items()
    }
    runs = {
        key: db.session.get(Run, uuid.UUID(id_)) for key, id_ in ids["runs"].items()
    }
    user = current_datastore.get_user(ids["user_id"]) if ids.get("user_id") else None
    return user, jobs, runs


def main():
    """Fill or read the database of INVENIO_SQLALCHEMY_DATABASE_URI; print JSON."""
    command, argument = sys.argv[1], sys.argv[2]
    app = create_api()
    with app.app_context():
        if command == "fill" and argument == "broker":
            found = describe(*fill_broker(sys.argv[3]))
        elif command == "fill":
            found = describe(*{"api": fill, "beat": fill_beat}[argument]())
        else:
            found = describe(*read(json.loads(argument)))
    print(json.dumps(found, sort_keys=True))


if __name__ == "__main__":
    main()
