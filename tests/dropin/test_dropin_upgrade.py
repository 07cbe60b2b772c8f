# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A database of this line's InvenioRDM invenio-jobs, taken over and given back.

InvenioRDM's package of the line (5.0.1, 10.1.2 or 11.1.0, in a scratch
environment: ``inveniordm_instance.py``) makes and fills the database. Our
``invenio alembic upgrade``, run in the line's own environment, takes it
over: every job and run reads through our services. A downgrade to the
line's last revision gives InvenioRDM its tables back exactly as it made
them (columns, keys, indexes and their names) and its package reads what it
wrote. A run that InvenioRDM's own beat sent to the broker before the
switch is run by our worker afterwards.
"""

import copy
import os
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import inveniordm_instance
import pytest
from conftest import LINE, database_rows
from processes import wait_until

from invenio_jobs.models import RunStatusEnum

HEAD = inveniordm_instance.HEADS[LINE]


@pytest.fixture(scope="module")
def instance(suite_uri, tmp_path_factory):
    """This line's InvenioRDM database, filled; then upgraded with ours."""
    path = tmp_path_factory.mktemp("inveniordm")
    with inveniordm_instance.instance_database(suite_uri, f"rdm_{LINE}") as uri:
        written = inveniordm_instance.make_instance(uri, path, "api", line=LINE)
        schema = inveniordm_instance.jobs_schema(uri)
        inveniordm_instance.upgrade_with_ours(uri, path, target="invenio_jobs@head")
        yield SimpleNamespace(uri=uri, path=path, written=written, schema=schema)


@pytest.fixture(scope="module")
def instance_app(instance, app):
    """InvenioRDM's API app of this line on the upgraded database.

    Made with the database in the environment, where InvenioRDM's
    configuration reads it last.
    """
    from invenio_app.factory import create_api

    suite = os.environ["INVENIO_SQLALCHEMY_DATABASE_URI"]
    os.environ["INVENIO_SQLALCHEMY_DATABASE_URI"] = instance.uri
    try:
        instance_app = create_api()
    finally:
        os.environ["INVENIO_SQLALCHEMY_DATABASE_URI"] = suite
    assert instance_app.config["SQLALCHEMY_DATABASE_URI"] == instance.uri
    yield instance_app
    with instance_app.app_context():
        from invenio_db import db

        db.session.remove()
        db.engine.dispose()


def _utc(value):
    """A time as written (5.x writes it without a zone: UTC) or read."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _period(schedule) -> timedelta:
    """The length of an interval schedule, however its units are given."""
    return timedelta(**{k: v for k, v in schedule.items() if k != "type"})


def test_jobs_and_runs_read_through_our_services(instance_app, instance):
    """Every job and run, with InvenioRDM's meaning, through our services."""
    from invenio_access.permissions import system_identity

    from invenio_jobs.proxies import current_jobs_service, current_runs_service

    with instance_app.app_context():
        for key, written in instance.written["jobs"].items():
            job = current_jobs_service.read(system_identity, written["id"]).to_dict()
            assert (job["title"], job["task"]) == (written["title"], written["task"])
            assert job["active"] is written["active"], key
            assert job["default_queue"] == written["default_queue"], key
            if written["schedule"] and written["schedule"]["type"] == "interval":
                assert _period(job["schedule"]) == _period(written["schedule"]), key
            elif written["schedule"]:
                assert job["schedule"]["timezone"] == "UTC", key
            assert job["run_args"] == (written.get("run_args") or None), key
        statuses = set()
        for key, written in instance.written["runs"].items():
            run = current_runs_service.read(
                system_identity, written["job_id"], written["id"]
            ).to_dict()
            statuses.add(run["status"])
            assert run["status"] == RunStatusEnum(written["status"]).name, key
            assert run["message"] == written["message"], key
            assert run["task_id"] == written["task_id"], key
            for name in ("created", "started_at", "finished_at"):
                assert _utc(run[name]) == _utc(written[name]), (key, name)
            for counter in ("total_entries", "errored_entries", "total_subtasks"):
                if counter in written:
                    assert run[counter] == written[counter], (key, counter)
        assert statuses == {status.name for status in RunStatusEnum}


def test_downgrade_gives_inveniordm_its_tables_and_data_back(instance_app, instance):
    """Back to the line's last revision: the same schema, names included.

    InvenioRDM's package then reads what it wrote; only NULL arguments read
    ``{}`` (our columns are NOT NULL, and InvenioRDM treats both alike).
    """
    from invenio_db import db

    with instance_app.app_context():
        alembic = instance_app.extensions["invenio-db"].alembic
        db.session.remove()
        # An all-digit id given as a string is read as a number of steps.
        alembic.downgrade(target=alembic.script_directory.get_revision(HEAD))
        db.engine.dispose()
    after = inveniordm_instance.jobs_schema(instance.uri)
    for table, parts in instance.schema.items():
        for part, before in parts.items():
            assert after[table][part] == before, (table, part)
    read = inveniordm_instance.read_instance(
        instance.uri, instance.path, instance.written, line=LINE
    )
    expected = copy.deepcopy(instance.written)
    for job in expected["jobs"].values():
        if "run_args" in job and job["run_args"] is None:
            job["run_args"] = {}
    for run in expected["runs"].values():
        run["args"] = run["args"] if run["args"] is not None else {}
    assert read == expected


def test_a_run_inveniordm_beat_left_in_the_broker_runs(
    suite_uri, seed_paths, start_worker
):
    """InvenioRDM's beat sent it before the switch; our worker runs it after."""
    path = Path(tempfile.mkdtemp(prefix="inveniordm-broker-"))
    with inveniordm_instance.instance_database(suite_uri, f"broker_{LINE}") as uri:
        written = inveniordm_instance.make_instance(
            uri, path, "broker left_in_broker", line=LINE, paths=seed_paths
        )
        run_id = uuid.UUID(written["runs"]["waiting"]["id"])
        inveniordm_instance.upgrade_with_ours(uri, path, target="invenio_jobs@head")
        worker = start_worker(SQLALCHEMY_DATABASE_URI=uri)

        def status():
            rows = database_rows(
                uri,
                "SELECT status, message FROM jobs_run WHERE id = CAST(:id AS uuid)",
                id=str(run_id),
            )
            return rows[0] if rows[0][0] not in ("Q", "R") else None

        try:
            ended = wait_until(status, timeout=90, message="the run left in the broker")
        finally:
            worker.stop()  # before its database is dropped
        assert ended[0] == RunStatusEnum.SUCCESS.value, ended
