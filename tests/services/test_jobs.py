# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The job type API that job authors use."""

from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError
from mock_module.jobs import EchoArgsSchema, EchoJob, NoArgsJob, echo

from invenio_jobs.errors import TaskExecutionError, TaskExecutionPartialError
from invenio_jobs.jobs import JobType, PredefinedArgsSchema


def test_predefined_schema_loads_since_as_utc():
    """``since`` is an optional ISO-8601 instant, in UTC."""
    data = PredefinedArgsSchema().load({"since": "2026-01-02T03:04:05+01:00"})
    assert data["since"] == datetime(2026, 1, 2, 2, 4, 5, tzinfo=timezone.utc)
    assert "since" not in PredefinedArgsSchema().load({})
    assert PredefinedArgsSchema().load({"since": None})["since"] is None


def test_predefined_schema_refuses_bad_since_and_unknown_fields():
    """A malformed date or an unknown argument is a validation error."""
    with pytest.raises(ValidationError) as excinfo:
        PredefinedArgsSchema().load({"since": "yesterday"})
    assert "since" in excinfo.value.messages
    with pytest.raises(ValidationError) as excinfo:
        EchoArgsSchema().load({"message": "hi", "colour": "red"})
    assert "colour" in excinfo.value.messages


def test_since_has_a_description_for_the_form():
    """The form tells administrators what leaving ``since`` empty does."""
    description = str(PredefinedArgsSchema().fields["since"].metadata["description"])
    assert "last successful run" in description


def test_default_build_task_arguments_passes_what_the_task_accepts():
    """By default the task gets the validated arguments its signature takes."""
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    args = EchoJob.build_task_arguments(
        None, since=since, message="hi", count=2, job_arg_schema="X", extra=1
    )
    assert args == {"since": since, "message": "hi", "count": 2}
    assert NoArgsJob.build_task_arguments(None, since=since) == {}


def test_job_type_written_for_inveniordm_works_unchanged():
    """The example of the README, as InvenioRDM instances write it."""

    class ExportRecords(JobType):
        id = "export_records"
        title = "Export records"
        description = "Export records to DataCite XML"
        task = echo
        arguments_schema = EchoArgsSchema

        @classmethod
        def build_task_arguments(cls, job_obj, since=None, **kwargs):
            return {"since": since, **kwargs}

    assert ExportRecords.build_task_arguments(None, since=None, message="m") == {
        "since": None,
        "message": "m",
    }


def test_create_builds_a_job_type_class():
    """``JobType.create`` makes a registrable class, as some modules use."""
    made = JobType.create(
        "Made", PredefinedArgsSchema, "made", echo, "A made job", "Made"
    )
    assert issubclass(made, JobType)
    assert (made.id, made.title, made.task) == ("made", "Made", echo)


def test_partial_error_carries_the_errored_entries():
    """A task ends in PARTIAL_SUCCESS by raising with a count of failures."""
    error = TaskExecutionPartialError("3 records failed", errored_entries=3)
    assert isinstance(error, TaskExecutionError)
    assert error.errored_entries == 3
    assert str(error) == "3 records failed"
