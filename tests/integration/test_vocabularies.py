# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The real invenio-vocabularies runs its jobs here, with a worker.

Its job types are listed with their forms, and a job of its datastream kind
(``process_datastream`` with its ``async`` writer, reading a file the test
writes) runs end to end: the writer tasks it sends with plain ``.delay()``
carry the job context, count as subtasks on the run, log into the run's
log, and the run ends PARTIAL_SUCCESS with the datastream's message.
"""

import uuid

import sqlalchemy as sa
from conftest import wait_until
from invenio_access.permissions import system_identity
from mock_module.jobs import write_local_source

from invenio_jobs.models import Run, RunLog, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service, current_runs_service

VOCABULARIES_JOB_TYPES = {
    "process_ror_affiliations",
    "process_ror_funders",
    "import_awards_openaire",
    "update_awards_cordis",
    "import_orcid",
    "import_subjects_euroscivoc",
    "import_edmo_affiliations",
}


def test_vocabularies_job_types_are_listed_with_their_forms(app, admin_client):
    """``/api/tasks`` lists them; each one's arguments answer."""
    listed = admin_client.get("/tasks?size=100").json
    ids = {hit["id"] for hit in listed["hits"]["hits"]}
    assert VOCABULARIES_JOB_TYPES <= ids
    for job_type in VOCABULARIES_JOB_TYPES:
        answer = admin_client.get(f"/tasks/{job_type}/args")
        assert answer.status_code == 200, (job_type, answer.json)


def _finished(database, run_id):
    database.session.expire_all()
    run = database.session.get(Run, run_id)
    return run if run.status.is_finished else None


def test_datastream_job_runs_end_to_end(app, database, start_worker, tmp_path):
    """Subtasks counted, entries totalled, PARTIAL_SUCCESS, writer lines logged.

    Four entries in batches of two, one of which cannot be read; each other
    entry is written by two writer tasks, one of which always fails.
    """
    source = write_local_source(tmp_path / "source.zip")
    target = tmp_path / "written.yaml"
    broken = tmp_path / "a-folder"
    broken.mkdir()
    start_worker(concurrency=2)
    job = current_jobs_service.create(
        system_identity,
        {
            "title": "Local datastream",
            "task": "local_datastream",
            "run_args": {
                "source": str(source),
                "target": str(target),
                "broken_target": str(broken),
            },
        },
    )
    created = current_runs_service.create(system_identity, job.id, {})
    run_id = uuid.UUID(created.id)
    run = wait_until(
        lambda: _finished(database, run_id), timeout=120, message="run ended"
    )
    assert run.status is RunStatusEnum.PARTIAL_SUCCESS, run.message
    assert "1 entries with errors" in run.message
    assert run.total_entries == 4
    assert (run.total_subtasks, run.completed_subtasks) == (6, 6)
    assert run.failed_subtasks == 3
    assert run.errored_entries == 1 + 3
    subtasks = database.session.scalars(
        sa.select(Run).where(Run.parent_run_id == run_id)
    ).all()
    assert sorted(s.status.name for s in subtasks) == ["FAILED"] * 3 + ["SUCCESS"] * 3
    assert all(s.task_id for s in subtasks)  # the writer task, for a stop
    assert sorted(line for line in target.read_text().splitlines()) == [
        "- id: a",
        "- id: b",
        "- id: c",
    ]

    def writer_lines():
        database.session.expire_all()
        return database.session.scalars(
            sa.select(RunLog).where(
                RunLog.run_id == run_id,
                RunLog.message.like("Error writing entry%"),
            )
        ).all()

    lines = wait_until(
        lambda: len(writer_lines()) == 3 and writer_lines(),
        timeout=30,
        message="writer lines in the run's log",
    )
    subtask_task_ids = {s.task_id for s in subtasks}
    for line in lines:
        assert line.context["task_id"] in subtask_task_ids
        assert line.context["parent_task_id"] == run.task_id
        assert line.context["identity_id"] == "system"
        assert line.context["function"] == "write_entry"
