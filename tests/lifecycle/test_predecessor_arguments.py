# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A job type receives the run it runs after only when it asks for it."""

from invenio_jobs.jobs import JobType, asks_for_predecessor, build_default_arguments


def task(marker=None, since=None):
    """A task for the job types below."""


class Plain(JobType):
    """Asks for nothing."""

    id = "plain"
    task = task


class TakesAnything(JobType):
    """Takes ``**kwargs``: it never named ``predecessor``, so it never gets one."""

    id = "anything"
    task = task

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, **kwargs):
        """Whatever it is given."""
        return {"given": sorted(kwargs)}


class Asks(JobType):
    """Names ``predecessor``."""

    id = "asks"
    task = task

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, predecessor=None, **kwargs):
        """The predecessor's number."""
        return {"number": predecessor.number if predecessor else None}


class Run:
    """The little of a predecessor run these hooks read."""

    number = 42


def test_only_a_hook_that_names_predecessor_asks_for_it():
    """By name: ``**kwargs`` is not asking."""
    assert asks_for_predecessor(Asks)
    assert not asks_for_predecessor(Plain)
    assert not asks_for_predecessor(TakesAnything)


def test_the_predecessor_reaches_only_the_job_types_that_ask(app):
    """Given to one that asks; the others are called exactly as without it."""
    job = type("JobRow", (), {"id": None, "run_args": {}})()
    assert build_default_arguments(Asks, job, {}, predecessor=Run()) == {"number": 42}
    assert build_default_arguments(
        TakesAnything, job, {}, predecessor=Run()
    ) == build_default_arguments(TakesAnything, job, {})
    assert build_default_arguments(
        Plain, job, {}, predecessor=Run()
    ) == build_default_arguments(Plain, job, {})
