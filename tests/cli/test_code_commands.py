# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``invenio jobs export`` and ``invenio jobs import``: jobs kept as code."""

import json

import pytest
import sqlalchemy as sa
import yaml
from invenio_access.permissions import system_identity

from invenio_jobs.models import Job
from invenio_jobs.proxies import current_jobs_service

pytestmark = pytest.mark.usefixtures("empty_tables")


def job_count(db) -> int:
    """How many jobs the database holds."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job))


@pytest.fixture()
def echo_job(app, db):
    """One job to export."""
    current_jobs_service.create(
        system_identity,
        {"title": "Echo", "task": "mock_echo", "run_args": {"message": "hi"}},
    )
    db.session.commit()


def test_export_writes_a_file_that_import_reads_back(
    app, db, invoke, echo_job, tmp_path
):
    """export -o, then import of that file: nothing to change."""
    path = tmp_path / "jobs.yaml"
    result = invoke("export", "-o", path)
    assert result.exit_code == 0, result.output
    (entry,) = yaml.safe_load(path.read_text())["jobs"]
    assert entry["title"] == "Echo" and entry["key"]

    result = invoke("import", path)
    assert result.exit_code == 0, result.output
    assert "0 created, 0 changed, 0 deleted, 1 unchanged" in result.output
    assert job_count(db) == 1


def test_a_dry_run_prints_each_change_and_changes_nothing(
    app, db, invoke, echo_job, tmp_path
):
    """``--dry-run --prune`` lists created, changed fields and deleted jobs."""
    data = yaml.safe_load(invoke("export").output)
    data["jobs"][0]["max_retries"] = 4
    data["jobs"].append({"key": "other", "title": "Other", "task": "no_args"})
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump(data))

    result = invoke("import", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+ other: Other" in result.output
    assert "max_retries: 0 -> 4" in result.output
    assert "(dry run: nothing was changed)" in result.output
    assert job_count(db) == 1

    plan = json.loads(invoke("import", path, "--json").output)
    assert [job["key"] for job in plan["created"]] == ["other"]
    assert plan["changed"][0]["changes"]["max_retries"] == {"from": 0, "to": 4}
    assert job_count(db) == 2


def test_a_bad_file_names_file_line_and_field_and_writes_nothing(
    app, db, invoke, tmp_path
):
    """One line per problem on stderr, exit code 2, no job."""
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "jobs:\n"
        "  - key: fine\n    title: Fine\n    task: no_args\n"
        "  - key: wrong\n    title: Wrong\n    task: no_args\n    timeout: -5\n"
    )
    result = invoke("import", path)
    assert result.exit_code == 2
    assert f"{path}:8: jobs[1].timeout:" in result.output
    assert "nothing was changed" in result.output
    assert job_count(db) == 0


def test_prune_deletes_the_jobs_the_file_leaves_out(
    app, db, invoke, echo_job, tmp_path
):
    """An empty list with ``--prune`` deletes every job."""
    path = tmp_path / "jobs.yaml"
    path.write_text("jobs: []\n")
    result = invoke("import", path, "--prune")
    assert result.exit_code == 0, result.output
    assert "- " in result.output and "1 deleted" in result.output
    assert job_count(db) == 0


def test_export_of_an_unknown_job_is_an_error(app, db, invoke, echo_job):
    """A name that matches no job: exit code 2, and it is named."""
    result = invoke("export", "Nope")
    assert result.exit_code == 2
    assert "Nope" in result.output
