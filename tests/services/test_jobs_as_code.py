# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs kept as code: export, import by key, dry run, prune, all or nothing."""

import pytest
import sqlalchemy as sa
import yaml
from invenio_access.permissions import system_identity
from marshmallow import ValidationError

from invenio_jobs.models import Job, Run
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.services.errors import JobsFileError
from invenio_jobs.services.jobs_as_code import code_fields, export_for, import_jobs

pytestmark = pytest.mark.usefixtures("empty_tables")


def make(title, **values):
    """A job through the service, as the admin UI makes one; its id."""
    data = {"title": title, "task": "mock_echo", "run_args": {"message": "hi"}}
    return current_jobs_service.create(system_identity, {**data, **values}).id


def settings(job: Job) -> dict:
    """What a job is, without what a database gives it (ids, times)."""
    return {name: getattr(job, name) for name in code_fields()}


def all_jobs(db) -> dict:
    """Every job's settings, by title."""
    db.session.expire_all()
    jobs = db.session.scalars(sa.select(Job)).all()
    return {job.title: settings(job) for job in jobs}


def wipe(db):
    """An empty database of jobs."""
    db.session.execute(sa.delete(Run))
    db.session.execute(sa.delete(Job))
    db.session.commit()


@pytest.fixture()
def two_jobs(app, db):
    """Two jobs with every kind of setting."""
    make(
        "Import ROR",
        description="Affiliations from ROR",
        schedule={"type": "crontab", "minute": "0", "hour": "3"},
        default_queue="low",
        misfire_policy="catch_up",
        allow_overlap=True,
        timeout=600,
        max_retries=3,
        notification_emails=["ops@example.org"],
        notification_statuses=["FAILED", "PARTIAL_SUCCESS"],
    )
    make("Reindex", active=False, schedule={"type": "interval", "hours": 6})
    db.session.commit()


def test_export_then_import_into_an_empty_database_gives_the_same_jobs(
    app, db, two_jobs
):
    """Every setting comes back; a second import changes nothing."""
    before = all_jobs(db)
    text = export_for(system_identity)
    wipe(db)

    plan = import_jobs(system_identity, text, file="jobs.yaml")
    assert sorted(change.title for change in plan.created) == ["Import ROR", "Reindex"]
    assert all_jobs(db) == before

    again = import_jobs(system_identity, text, file="jobs.yaml")
    assert again.created == again.changed == again.deleted == []
    assert len(again.unchanged) == 2
    assert export_for(system_identity) == text  # same keys, same file


def test_an_import_finds_the_jobs_of_the_database_by_key(app, db, two_jobs):
    """Exported jobs are matched by the key the export wrote, not duplicated."""
    text = export_for(system_identity)
    plan = import_jobs(system_identity, text)
    assert plan.created == [] and len(plan.unchanged) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 2
    keys = set(db.session.scalars(sa.select(Job.code_key)))
    assert keys == {entry["key"] for entry in yaml.safe_load(text)["jobs"]}


def test_a_dry_run_changes_nothing_and_lists_every_difference(app, db, two_jobs):
    """Created, changed (field by field) and, with prune, deleted: nothing done."""
    data = yaml.safe_load(export_for(system_identity))
    ror = next(entry for entry in data["jobs"] if entry["title"] == "Import ROR")
    ror["max_retries"] = 5
    ror["run_args"] = {"message": "changed"}
    data["jobs"] = [ror, {"key": "new-job", "title": "New", "task": "no_args"}]
    before = all_jobs(db)

    plan = import_jobs(system_identity, yaml.safe_dump(data), dry_run=True, prune=True)
    assert plan.dry_run
    assert [change.key for change in plan.created] == ["new-job"]
    (changed,) = plan.changed
    assert changed.fields["max_retries"] == (3, 5)
    assert changed.fields["run_args"][1]["message"] == "changed"
    assert set(changed.fields) == {"max_retries", "run_args"}
    assert [change.title for change in plan.deleted] == ["Reindex"]
    db.session.rollback()
    assert all_jobs(db) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 2


def test_an_import_applies_the_plan(app, db, two_jobs):
    """Without the dry run, the same plan is done, in one transaction."""
    data = yaml.safe_load(export_for(system_identity))
    ror = next(entry for entry in data["jobs"] if entry["title"] == "Import ROR")
    ror["max_retries"] = 5
    data["jobs"] = [ror, {"key": "new-job", "title": "New", "task": "no_args"}]
    import_jobs(system_identity, yaml.safe_dump(data), prune=True)
    jobs = all_jobs(db)
    assert set(jobs) == {"Import ROR", "New"}
    assert jobs["Import ROR"]["max_retries"] == 5
    assert jobs["Import ROR"]["timeout"] == 600  # untouched
    new = db.session.scalar(sa.select(Job).where(Job.code_key == "new-job"))
    assert new.active and new.next_run_at is None  # no schedule


def test_without_prune_the_jobs_the_file_leaves_out_stay(app, db, two_jobs):
    """An import that names one job deletes none."""
    text = yaml.safe_dump(
        {"jobs": [{"key": "solo", "title": "Solo", "task": "no_args"}]}
    )
    plan = import_jobs(system_identity, text)
    assert plan.deleted == []
    assert len(all_jobs(db)) == 3


BAD_FILE = """\
jobs:
  - key: good
    title: A good job
    task: no_args
  - key: bad
    title: A bad job
    task: mock_echo
    run_args:
      message: 12
    max_retries: many
"""


def test_a_file_with_one_bad_job_writes_nothing_and_names_its_lines(app, db):
    """Every problem is named by file, line and field; no job is created."""
    with pytest.raises(JobsFileError) as caught:
        import_jobs(system_identity, BAD_FILE, file="jobs.yaml")
    db.session.rollback()
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (9, "jobs[1].run_args.message") in found
    assert (10, "jobs[1].max_retries") in found
    assert str(caught.value.problems[0]).startswith("jobs.yaml:")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


@pytest.mark.parametrize(
    "text, line, field",
    [
        ("jobs:\n  - key: a\n    title: [unclosed\n", 4, "file"),
        ("jobs:\n  - title: No key\n    task: no_args\n", 2, "jobs[0].key"),
        (
            "jobs:\n  - key: a\n    title: A\n    task: no_args\n"
            "  - key: a\n    title: B\n    task: no_args\n",
            5,
            "jobs[1].key",
        ),
        ("jobs:\n  - key: a\n    title: A\n    task: nowhere\n", 4, "jobs[0].task"),
        (
            "jobs:\n  - key: a\n    title: A\n    task: no_args\n    colour: red\n",
            5,
            "jobs[0].colour",
        ),
        ("servers: []\n", 1, "servers"),
        (
            "jobs: &x\n  - key: a\n    title: A\n    task: no_args\nagain: *x\n",
            1,
            "file",
        ),
    ],
)
def test_each_kind_of_problem_names_its_line(app, db, text, line, field):
    """Bad YAML, a missing or repeated key, an unknown type or field, an alias."""
    with pytest.raises(JobsFileError) as caught:
        import_jobs(system_identity, text, file="f.yaml")
    db.session.rollback()
    found = {(p.line, p.field) for p in caught.value.problems}
    assert (line, field) in found, found
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_export_names_jobs_by_key_id_or_title(app, db, two_jobs):
    """``export JOB...`` writes the jobs named; an unknown name is an error."""
    text = export_for(system_identity, ["Reindex"])
    assert [entry["title"] for entry in yaml.safe_load(text)["jobs"]] == ["Reindex"]
    with pytest.raises(ValidationError):
        export_for(system_identity, ["Nothing by that name"])


@pytest.mark.parametrize(
    "text",
    [
        "jobs: " + "[" * 5000 + "]" * 5000 + "\n",
        "jobs:\n  - key: a\n    title: A\n    task: no_args\n    run_args: !!binary aGk=\n",
        "jobs:\n  - key: a\n    title: A\n    task: no_args\n    timeout: .nan\n",
    ],
)
def test_what_json_cannot_hold_is_refused(app, db, text):
    """Deep nesting, bytes, NaN: a problem of the file, never a crash."""
    with pytest.raises(JobsFileError):
        import_jobs(system_identity, text)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_date_in_the_arguments_stays_text(app, db):
    """YAML's timestamps are read as the text they are, as the API takes them."""
    text = (
        "jobs:\n  - key: a\n    title: A\n    task: mock_echo\n"
        "    run_args:\n      message: 2030-01-31\n"
    )
    import_jobs(system_identity, text)
    job = db.session.scalar(sa.select(Job).where(Job.code_key == "a"))
    assert job.run_args["message"] == "2030-01-31"
