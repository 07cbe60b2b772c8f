# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The registry of job types and its loading from entry points."""

import pytest
from mock_module.jobs import EchoJob, NoArgsJob, echo

from invenio_jobs.errors import DuplicateJobTypeError, InvalidJobTypeError
from invenio_jobs.jobs import JobType
from invenio_jobs.proxies import current_jobs
from invenio_jobs.registry import JobsRegistry


def test_finalized_app_has_job_types_of_entry_points(app):
    """Entry points of ``invenio_jobs.jobs`` end up in the app's registry."""
    registry = current_jobs.registry
    assert "mock_echo" in registry
    assert "no_args" in registry
    assert registry.get("mock_echo") is EchoJob
    assert registry.get("no_args") is NoArgsJob
    assert set(current_jobs.jobs) >= {"mock_echo", "no_args"}


def test_entry_point_name_is_the_id_of_a_job_type_without_one(app):
    """A job type without ``id`` takes the name of its entry point."""
    assert EchoJob.id == "mock_echo"


def test_explicit_id_wins_over_entry_point_name(app):
    """``id`` on the class is the id, whatever the entry point is called."""
    assert "mock_no_args" not in current_jobs.registry
    assert current_jobs.registry.origin("no_args").startswith("mock_no_args = ")


def test_duplicate_id_names_both_registrations():
    """Two job types with one id: the error names both, at registration."""

    class First(JobType):
        id = "export"
        title = "First"
        task = echo

    class Second(JobType):
        id = "export"
        title = "Second"
        task = echo

    registry = JobsRegistry()
    registry.register(First, origin="export = site_a.jobs:First")
    with pytest.raises(DuplicateJobTypeError) as excinfo:
        registry.register(Second, origin="export = site_b.jobs:Second")
    message = str(excinfo.value)
    assert "'export'" in message
    assert "site_a.jobs:First" in message
    assert "site_b.jobs:Second" in message
    assert registry.get("export") is First


def test_duplicate_id_from_entry_points_fails_at_start_up(monkeypatch):
    """Loading two entry points with the same id raises before any job runs."""
    from importlib.metadata import EntryPoint

    from invenio_jobs import registry as registry_module

    class Clash(JobType):
        id = "no_args"
        title = "Clash"
        task = echo

    import mock_module.jobs

    monkeypatch.setattr(mock_module.jobs, "Clash", Clash, raising=False)
    eps = [
        EntryPoint("a", "mock_module.jobs:NoArgsJob", "invenio_jobs.jobs"),
        EntryPoint("b", "mock_module.jobs:Clash", "invenio_jobs.jobs"),
    ]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: eps)
    with pytest.raises(DuplicateJobTypeError) as excinfo:
        JobsRegistry().load_entry_points()
    assert "mock_module.jobs:NoArgsJob" in str(excinfo.value)
    assert "mock_module.jobs:Clash" in str(excinfo.value)


def test_registering_the_same_class_twice_is_harmless():
    """The UI and API apps of one process may both load the same class."""
    registry = JobsRegistry()
    registry.register(NoArgsJob)
    registry.register(NoArgsJob)
    assert len(registry) == 1


def test_job_type_without_task_is_refused():
    """A job type that cannot run is reported when registered."""

    class NoTask(JobType):
        id = "no_task"
        title = "No task"

    with pytest.raises(InvalidJobTypeError, match="no_task"):
        JobsRegistry().register(NoTask)


def test_non_job_type_is_refused():
    """Only JobType subclasses can be registered."""
    with pytest.raises(InvalidJobTypeError):
        JobsRegistry().register(object, id_="thing", origin="thing = x:y")


def test_registry_iterates_sorted_ids():
    """Listing job types is stable, sorted by id."""
    registry = JobsRegistry()
    registry.register(NoArgsJob)
    registry.register(EchoJob, id_="mock_echo")
    assert list(registry) == ["mock_echo", "no_args"]
