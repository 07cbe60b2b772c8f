# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job types used by the tests."""

from celery import shared_task
from marshmallow import fields

from invenio_jobs.jobs import JobType, PredefinedArgsSchema


@shared_task(name="mock_module.echo")
def echo(since=None, message="", count=1):
    """Return what it was given, so that tests can check the arguments."""
    return {"since": since, "message": message, "count": count}


@shared_task(name="mock_module.no_args")
def no_args():
    """Take no arguments at all."""
    return "done"


class EchoArgsSchema(PredefinedArgsSchema):
    """Arguments of the echo job."""

    message = fields.String(required=True, metadata={"description": "What to say"})
    count = fields.Integer(load_default=1, metadata={"description": "How often"})


class EchoJob(JobType):
    """A job type with arguments and no explicit id: the entry point names it."""

    title = "Echo"
    description = "Say a message"
    task = echo
    arguments_schema = EchoArgsSchema


class NoArgsJob(JobType):
    """A job type whose task takes nothing."""

    id = "no_args"
    title = "No arguments"
    description = "Run a task without arguments"
    task = no_args


@shared_task(name="mock_module.controlled")
def controlled(sleep=0.0, fail=False, partial=0, marker=None, since=None):
    """Do what the test asks: sleep, fail, or fail part of its entries.

    ``marker`` names a file that the task appends a line to each time its
    body runs, so that tests can count executions across processes.
    """
    import time

    from invenio_jobs.errors import TaskExecutionPartialError

    if marker:
        with open(marker, "a") as handle:
            handle.write(f"{since.isoformat() if since else '-'}\n")
    if sleep:
        time.sleep(sleep)
    if fail:
        raise RuntimeError("asked to fail")
    if partial:
        raise TaskExecutionPartialError(
            f"{partial} entries failed", errored_entries=partial
        )


class ControlledArgsSchema(PredefinedArgsSchema):
    """Arguments of the controlled job."""

    sleep = fields.Float(load_default=0.0)
    fail = fields.Boolean(load_default=False)
    partial = fields.Integer(load_default=0)
    marker = fields.String(load_default=None, allow_none=True)


class ControlledJob(JobType):
    """A job type whose behaviour the tests choose."""

    title = "Controlled"
    description = "Sleeps, fails or partly fails on request"
    task = controlled
    arguments_schema = ControlledArgsSchema
