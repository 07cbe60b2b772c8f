# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A stop ends a run at its next progress call or check, and says who asked.

The run executes in a thread of the test process, as a solo pool runs it:
nothing can terminate the task, only its own ``current_run`` calls stop it.
The tests commit for real (``database``, not ``db``'s rolled-back
transaction), since the run's thread and the test see each other's writes.
"""

import threading
import time
import uuid

import pytest
from helpers import make_run, service_job
from invenio_access.permissions import system_identity
from invenio_db import db

from invenio_jobs.models import Job, Run, RunLog, RunStatusEnum
from invenio_jobs.proxies import current_runs_service
from invenio_jobs.services.errors import RunStatusChangeError
from invenio_jobs.tasks import execute_run


def make_job(task="mock_controlled"):
    """A job of a test type, through the service."""
    return service_job(task, title="Long work")


def queue_run(job_id, **args):
    """A QUEUED run that no worker was sent (the app's tasks are eager)."""
    job = db.session.get(Job, uuid.UUID(job_id))
    run = make_run(db.session, job, args=args, task_id=str(uuid.uuid4()))
    db.session.commit()
    return run.id


def reload(run_id):
    """The run as stored now."""
    return db.session.get(Run, run_id, populate_existing=True)


def log_of(run_id):
    """The run's log lines, oldest first."""
    db.session.expire_all()
    return [
        line.message
        for line in db.session.query(RunLog)
        .filter(RunLog.run_id == run_id)
        .order_by(RunLog.id)
    ]


def wait_for(predicate, timeout, what):
    """Poll until ``predicate`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"no {what} after {timeout} s")


@pytest.fixture()
def execute_in_thread(app):
    """Execute a run in a thread of its own, as the solo pool would."""
    threads = []

    def start(run_id):
        def target():
            with app.app_context():
                execute_run.apply(args=(str(run_id), None))
                db.session.remove()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    yield start
    for thread in threads:
        thread.join(60)


def test_running_run_stops_at_its_next_progress_call(
    app, database, users, execute_in_thread
):
    """A job that never commits and only reports progress ends CANCELLED in seconds.

    The run's log says who asked (the administrator's e-mail) and that the
    task stopped at its next check; the entries done so far stay counted.
    """
    job_id = make_job()
    run_id = queue_run(job_id, sleep=60, steps=600)
    thread = execute_in_thread(run_id)
    wait_for(
        lambda: (reload(run_id).inserted_entries or 0) >= 3, 30, "progress written"
    )
    admin = users["admin"].identity
    stopped = current_runs_service.stop(admin, job_id, run_id).to_dict()
    asked = time.monotonic()
    # Read after the commit: the task may have seen the request already.
    assert stopped["status"] in ("CANCELLING", "CANCELLED")
    thread.join(30)
    took = time.monotonic() - asked
    run = reload(run_id)
    assert run.status is RunStatusEnum.CANCELLED, run.message
    assert took < 10, took
    assert 3 <= run.inserted_entries < 600
    lines = log_of(run_id)
    requested = [line for line in lines if line.startswith("Stop requested by")]
    assert requested and "admin@example.org" in requested[0]
    assert any(
        line.startswith("Stopping now, at the task's next check") for line in lines
    )


def test_queued_run_is_cancelled_at_once_and_the_log_says_by_whom(app, database, users):
    """A run no worker took ends CANCELLED at the request; message and log name who."""
    job_id = make_job()
    run_id = queue_run(job_id)
    current_runs_service.stop(users["admin"].identity, job_id, run_id)
    run = reload(run_id)
    assert run.status is RunStatusEnum.CANCELLED
    assert run.message.startswith("Stopped before it started. Stop requested by ")
    assert "admin@example.org" in run.message
    assert any("admin@example.org" in line for line in log_of(run_id))


def test_cli_stop_names_the_command_line_and_its_user(app, database, invoke):
    """``invenio jobs stop`` records that the stop came from the command line."""
    import getpass

    job_id = make_job()
    run_id = queue_run(job_id)
    result = invoke("stop", str(run_id))
    assert result.exit_code == 0, result.output
    expected = f"Stop requested from the command line by '{getpass.getuser()}' at "
    assert any(line.startswith(expected) for line in log_of(run_id))
    assert reload(run_id).status is RunStatusEnum.CANCELLED


def test_stopping_run_takes_no_new_subtask(app, database, users):
    """InvenioRDM's create_subtask_run on a run being stopped is refused (400)."""
    job_id = make_job()
    run_id = queue_run(job_id)
    run = reload(run_id)
    run.status = RunStatusEnum.CANCELLING
    db.session.commit()
    with pytest.raises(RunStatusChangeError) as error:
        current_runs_service.create_subtask_run(
            system_identity, run_id, job_id, {"task": "x"}
        )
    assert "CANCELLING" in str(error.value.description)
    assert reload(run_id).total_subtasks == 0
