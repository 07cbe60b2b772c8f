# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Jobs kept as code that run after other jobs: links written and read by key."""

import pytest
import sqlalchemy as sa
import yaml
from invenio_access.permissions import system_identity

from invenio_jobs.models import Job, Run
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.services.errors import JobsFileError
from invenio_jobs.services.jobs_as_code import export_for, import_jobs

pytestmark = pytest.mark.usefixtures("empty_tables")


def make(title, **values):
    data = {"title": title, "task": "no_args", "run_args": {}}
    return current_jobs_service.create(system_identity, {**data, **values}).id


def links_by_title(db) -> dict:
    """{title: (titles it runs after, statuses, mode, delay)} of every job."""
    db.session.expire_all()
    jobs = db.session.scalars(sa.select(Job)).all()
    titles = {str(job.id): job.title for job in jobs}
    result = {}
    for job in jobs:
        run_after = job.run_after
        if run_after:
            result[job.title] = (
                [(titles[link["id"]], link["statuses"]) for link in run_after["jobs"]],
                run_after["mode"],
                run_after["delay_seconds"],
            )
    return result


@pytest.fixture()
def chain(app, db):
    """Import ROR → Relink (all of Import ROR and Cleanup, after 60 s)."""
    ror = make("Import ROR")
    cleanup = make("Cleanup")
    make(
        "Relink",
        run_after={
            "jobs": [{"id": ror}, {"id": cleanup, "statuses": ["FAILED"]}],
            "mode": "all",
            "delay_seconds": 60,
        },
    )
    db.session.commit()


def test_links_are_exported_by_key_and_imported_into_an_empty_database(app, db, chain):
    """The file names predecessors by key; an import anywhere links the same jobs."""
    before = links_by_title(db)
    text = export_for(system_identity)
    relink = next(e for e in yaml.safe_load(text)["jobs"] if e["title"] == "Relink")
    keys = {e["title"]: e["key"] for e in yaml.safe_load(text)["jobs"]}
    assert [link["key"] for link in relink["run_after"]["jobs"]] == [
        keys["Import ROR"],
        keys["Cleanup"],
    ]
    assert "id" not in str(relink["run_after"])

    db.session.execute(sa.delete(Run))
    db.session.execute(sa.delete(Job))
    db.session.commit()
    plan = import_jobs(system_identity, text, file="jobs.yaml")
    assert len(plan.created) == 3
    assert links_by_title(db) == before

    again = import_jobs(system_identity, text, file="jobs.yaml")
    assert again.created == again.changed == []
    assert export_for(system_identity) == text


def test_a_changed_link_is_listed_by_a_dry_run_and_applied(app, db, chain):
    """Relink after Import ROR only: the dry run names run_after; the import applies it."""
    data = yaml.safe_load(export_for(system_identity))
    relink = next(e for e in data["jobs"] if e["title"] == "Relink")
    relink["run_after"]["jobs"] = relink["run_after"]["jobs"][:1]
    text = yaml.safe_dump(data)

    before = links_by_title(db)
    plan = import_jobs(system_identity, text, dry_run=True)
    (change,) = plan.changed
    assert list(change.fields) == ["run_after"]
    assert links_by_title(db) == before

    import_jobs(system_identity, text)
    assert links_by_title(db)["Relink"][0] == [
        ("Import ROR", ["SUCCESS", "PARTIAL_SUCCESS"])
    ]


def test_an_unknown_key_names_its_line_and_writes_nothing(app, db, chain):
    """A link to a key no job has: the file, the line, the field; nothing written."""
    text = """jobs:
- key: new
  title: New
  task: no_args
  run_after:
    jobs:
    - key: nobody
"""
    with pytest.raises(JobsFileError) as error:
        import_jobs(system_identity, text, file="jobs.yaml")
    (problem,) = error.value.problems
    assert problem.line == 7 and "run_after" in problem.field
    assert "nobody" in problem.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 3


def test_a_cycle_in_a_file_writes_nothing(app, db):
    """Two jobs of a file running after each other: refused, nothing written."""
    text = """jobs:
- key: a
  title: A
  task: no_args
  run_after: {jobs: [{key: b}]}
- key: b
  title: B
  task: no_args
  run_after: {jobs: [{key: a}]}
"""
    with pytest.raises(Exception) as error:
        import_jobs(system_identity, text, file="jobs.yaml")
    assert "→" in str(getattr(error.value, "messages", error.value))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
