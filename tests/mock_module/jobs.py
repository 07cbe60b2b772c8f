# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job types used by the tests."""

from celery import shared_task
from invenio_vocabularies.jobs import ProcessDataStreamJob
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
def controlled(
    sleep=0.0,
    steps=1,
    fail=False,
    partial=0,
    flaky=0,
    marker=None,
    since=None,
    counted_errors=0,
    chatter=0,
):
    """Do what the test asks: sleep, report progress, fail, or fail for a while.

    ``marker`` names a file that the task appends a line to each time its
    body runs (with ``since``), so that tests can count executions across
    processes. ``flaky=N`` fails with ConnectionError while the marker has at
    most N lines. ``counted_errors`` reports that many errored entries with
    progress before ``partial`` raises its count; ``chatter`` logs that
    many lines first. With ``steps`` > 1 the sleep is split into steps that report
    progress (and so notice a stop); with ``steps=1`` it sleeps blindly.
    """
    import logging
    import time

    from invenio_jobs.errors import TaskExecutionPartialError
    from invenio_jobs.runtime import current_run

    executions = 0
    if marker:
        with open(marker, "a") as handle:
            handle.write(f"{since.isoformat() if since else '-'} {time.time()}\n")
        with open(marker) as handle:
            executions = len(handle.readlines())
    if flaky and executions <= flaky:
        raise ConnectionError(f"flaky failure {executions}")
    current_run.set_total(steps + counted_errors)
    for line in range(chatter):
        logging.getLogger("mock_module.controlled").info("Line %d of the run", line)
    for _ in range(steps):
        if sleep:
            time.sleep(sleep / steps)
        if steps > 1:
            current_run.progress(inserted=1)
    for _ in range(counted_errors):
        current_run.progress(errored=1)
    if fail:
        raise RuntimeError("asked to fail")
    if partial:
        raise TaskExecutionPartialError(
            f"{partial} entries failed", errored_entries=partial
        )


@shared_task(name="mock_module.fan_out")
def fan_out(children=3, fail_child=-1):
    """Spawn subtasks, one of which may fail."""
    from invenio_jobs.runtime import current_run

    for index in range(children):
        current_run.spawn_subtask(
            child_task, kwargs={"index": index, "fail": index == fail_child}
        )


@shared_task(name="mock_module.child_task")
def child_task(index=0, fail=False):
    """One piece of a fanned-out job."""
    from invenio_jobs.runtime import current_run

    current_run.progress(updated=1)
    if fail:
        raise RuntimeError(f"child {index} failed")


class ControlledArgsSchema(PredefinedArgsSchema):
    """Arguments of the controlled job."""

    sleep = fields.Float(load_default=0.0)
    steps = fields.Integer(load_default=1)
    fail = fields.Boolean(load_default=False)
    partial = fields.Integer(load_default=0)
    flaky = fields.Integer(load_default=0)
    marker = fields.String(load_default=None, allow_none=True)
    counted_errors = fields.Integer(load_default=0)
    chatter = fields.Integer(load_default=0)


class ControlledJob(JobType):
    """A job type whose behaviour the tests choose."""

    title = "Controlled"
    description = "Sleeps, fails or partly fails on request"
    task = controlled
    arguments_schema = ControlledArgsSchema
    retry_on = (ConnectionError,)


class FanOutArgsSchema(PredefinedArgsSchema):
    """Arguments of the fan-out job."""

    children = fields.Integer(load_default=3)
    fail_child = fields.Integer(load_default=-1)


class FanOutJob(JobType):
    """A job type that splits its work into subtasks."""

    title = "Fan out"
    description = "Spawns subtasks"
    task = fan_out
    arguments_schema = FanOutArgsSchema


@shared_task(name="mock_module.chatty")
def chatty(tag="run", lines=3, threads=2, fail=False, sleep=0.0, rollback=False):
    """Log at every level, from its own threads too, then maybe fail.

    With ``rollback`` it first writes a job row in the session, so that the
    failure rolls it back while the log lines stay.
    """
    import logging
    import threading
    import time

    log = logging.getLogger("mock_module.chatty")
    if rollback:
        from invenio_db import db

        from invenio_jobs.models import Job

        db.session.add(Job(title=f"{tag}: rolled back", task="no_args"))
        db.session.flush()
    log.debug("%s: debug line", tag)
    for index in range(lines):
        log.info("%s: main %d", tag, index)
        if sleep:
            time.sleep(sleep)
    log.warning("%s: warning", tag)

    def worker(number):
        for index in range(lines):
            log.info("%s: thread %d line %d", tag, number, index)

    started = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    log.error("%s: error <b>markup</b>", tag)
    if fail:
        raise ValueError(f"{tag} broke")


class ChattyArgsSchema(PredefinedArgsSchema):
    """Arguments of the chatty job."""

    tag = fields.String(load_default="run")
    lines = fields.Integer(load_default=3)
    threads = fields.Integer(load_default=2)
    fail = fields.Boolean(load_default=False)
    sleep = fields.Float(load_default=0.0)
    rollback = fields.Boolean(load_default=False)


class ChattyJob(JobType):
    """A job type that logs a lot."""

    title = "Chatty"
    description = "Logs at every level"
    task = chatty
    arguments_schema = ChattyArgsSchema


@shared_task(name="mock_module.no_schema")
def no_schema_task():
    """The task of a job type made without an arguments schema."""
    import logging

    logging.getLogger("mock_module.no_schema").info("no_schema ran")
    return "done"


NoSchemaJob = JobType.create(
    job_cls_name="NoSchemaJob",
    arguments_schema=None,
    id_="no_schema",
    task=no_schema_task,
    description="A job type without arguments schema",
    title="No schema",
)
"""Made as invenio-rdm-records makes ``update_expired_embargos``."""


class LocalDatastreamArgsSchema(PredefinedArgsSchema):
    """Where the local datastream reads and writes."""

    source = fields.String(required=True)
    target = fields.String(required=True)
    broken_target = fields.String(load_default=None, allow_none=True)


def write_local_source(path):
    """The ZIP the local datastream tests read: three entries, one unreadable."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.json", '{"id": "a"}')
        archive.writestr("b.json", '{"id": "b"}')
        archive.writestr("broken.json", "not json")
        archive.writestr("c.json", '{"id": "c"}')
    return path


class LocalDatastreamJob(ProcessDataStreamJob):
    """A vocabularies datastream: JSON files in a ZIP archive, written async.

    Each entry is written by a Celery task of its own (a subtask of the run)
    with a YAML writer; ``broken_target`` adds a second writer whose every
    write fails, so that subtasks fail too.
    """

    id = "local_datastream"
    title = "Local datastream"
    description = "Reads a local file through invenio-vocabularies"
    arguments_schema = LocalDatastreamArgsSchema

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, **kwargs):
        """The datastream's configuration, as vocabularies' jobs build it."""
        writers = [kwargs["target"]]
        if kwargs.get("broken_target"):
            writers.append(kwargs["broken_target"])
        return {
            "config": {
                "readers": [
                    {"type": "zip", "args": {"origin": kwargs["source"]}},
                    {"type": "json"},
                ],
                "writers": [
                    {
                        "type": "async",
                        "args": {
                            "writer": {"type": "yaml", "args": {"filepath": path}}
                        },
                    }
                    for path in writers
                ],
                "batch_size": 2,
            }
        }


@shared_task(name="mock_module.whoami")
def whoami(marker=None, create_title=None, since=None):
    """Write whom the run executes as to ``marker``; maybe create a job as them.

    One JSON line: ``current_run``'s identity (id and needs) and the job
    context's ``identity_id``. With ``create_title`` it creates a job through
    the jobs service with ``current_run.identity``, as a harvest creates
    records, so that the tests see whom the service records as its author.
    """
    import json

    from invenio_jobs.logging.jobs import job_context
    from invenio_jobs.proxies import current_jobs_service
    from invenio_jobs.runtime import current_run

    identity = current_run.identity
    seen = {
        "identity_id": identity.id,
        "needs": sorted(f"{need.method}:{need.value}" for need in identity.provides),
        "context_identity_id": job_context.get()["identity_id"],
    }
    with open(marker, "a") as handle:
        handle.write(json.dumps(seen) + "\n")
    if create_title:
        current_jobs_service.create(
            identity, {"title": create_title, "task": "no_args"}
        )


class WhoAmIArgsSchema(PredefinedArgsSchema):
    """Arguments of the who-am-I job."""

    marker = fields.String(required=True)
    create_title = fields.String(load_default=None, allow_none=True)


class WhoAmIJob(JobType):
    """A job type that tells whom its runs execute as."""

    id = "mock_whoami"
    title = "Who am I"
    description = "Records the identity its runs execute as"
    task = whoami
    arguments_schema = WhoAmIArgsSchema


@shared_task(name="mock_module.follower")
def follower(marker=None, note=""):
    """Append what the job type received of the run it follows to ``marker``."""
    with open(marker, "a") as handle:
        handle.write(note + "\n")


class FollowerArgsSchema(PredefinedArgsSchema):
    """Arguments of the follower job."""

    marker = fields.String(required=True)


class FollowerJob(JobType):
    """A job type that asks for the run it runs after (``predecessor``)."""

    title = "Follower"
    description = "Writes down the run it follows"
    task = follower
    arguments_schema = FollowerArgsSchema

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, predecessor=None, **kwargs):
        """Its marker, and the predecessor's id, number, arguments and ``since``."""
        if predecessor is None:
            note = "none"
        else:
            note = " ".join(
                [
                    str(predecessor.id),
                    str(predecessor.number),
                    predecessor.status,
                    str(predecessor.args.get("marker")),
                    predecessor.since.isoformat() if predecessor.since else "-",
                ]
            )
        return {"marker": kwargs["marker"], "note": note}
