# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``GET /api/jobs/export`` and ``POST /api/jobs/import``: administrators only."""

import pytest
import sqlalchemy as sa
import yaml
from test_jobs_resource import create

from invenio_jobs.models import Job

pytestmark = pytest.mark.usefixtures("empty_tables")

YAML = {"Content-Type": "application/yaml"}


def job_count(db) -> int:
    """How many jobs the database holds."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job))


def test_export_and_import_through_the_api(app, db, admin_client):
    """The export is YAML; a dry-run import lists the change; a real one makes it."""
    create(admin_client)
    res = admin_client.get("/jobs/export")
    assert res.status_code == 200
    assert res.content_type.startswith("application/yaml")
    data = yaml.safe_load(res.get_data(as_text=True))
    data["jobs"][0]["description"] = "From the repository"

    dry = admin_client.post(
        "/jobs/import?dry_run=true", data=yaml.safe_dump(data), headers=YAML
    )
    assert dry.status_code == 200, dry.json
    assert dry.json["dry_run"] is True
    assert dry.json["changed"][0]["changes"]["description"]["to"] == (
        "From the repository"
    )
    assert admin_client.get("/jobs").json["hits"]["hits"][0]["description"] != (
        "From the repository"
    )

    done = admin_client.post("/jobs/import", data=yaml.safe_dump(data), headers=YAML)
    assert done.status_code == 200, done.json
    assert done.json["dry_run"] is False
    hit = admin_client.get("/jobs").json["hits"]["hits"][0]
    assert hit["description"] == "From the repository"


def test_a_bad_file_is_a_400_naming_line_and_field(app, db, admin_client):
    """The errors carry the field and the line; nothing is created."""
    text = "jobs:\n  - key: a\n    title: A\n    task: nowhere\n"
    res = admin_client.post("/jobs/import?file=jobs.yaml", data=text, headers=YAML)
    assert res.status_code == 400, res.json
    (error,) = res.json["errors"]
    assert error["field"] == "jobs[0].task" and error["line"] == 4
    assert "jobs.yaml:4" in res.json["message"]
    assert job_count(db) == 0


@pytest.mark.parametrize("flag", ["maybe", "2"])
def test_a_bad_flag_is_a_400_naming_it(app, db, admin_client, flag):
    """``dry_run`` must be true or false."""
    res = admin_client.post(f"/jobs/import?dry_run={flag}", data="jobs: []\n")
    assert res.status_code == 400
    assert res.json["errors"][0]["field"] == "dry_run"


def test_only_administrators_export_and_import(app, db, user_client):
    """A user who is not an administrator gets 403 for both."""
    assert user_client.get("/jobs/export").status_code == 403
    res = user_client.post(
        "/jobs/import", data="jobs:\n  - key: a\n    title: A\n    task: no_args\n"
    )
    assert res.status_code == 403
    assert job_count(db) == 0


def test_exporting_an_unknown_job_is_a_400_naming_it(app, db, admin_client):
    """``?job=`` that names no job."""
    res = admin_client.get("/jobs/export?job=Nope")
    assert res.status_code == 400
    assert res.json["errors"][0]["field"] == "job"
