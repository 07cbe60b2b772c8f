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
