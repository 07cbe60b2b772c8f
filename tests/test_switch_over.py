# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Messages InvenioRDM's package left in the broker, taken by our worker.

On the day this package replaces InvenioRDM's, the broker may still hold
``invenio_jobs.tasks.execute_run`` messages sent by InvenioRDM's beat
(``args=(run_id, "system")``, ``kwargs={"kwargs": arguments}``) or by its
services (``kwargs={"run_id": ..., "identity_id": ...}``; 5.x without
``identity_id``). Each runs its QUEUED run, or ends it with an error that
says why; none is lost to a signature error.
"""

import uuid

from invenio_access.permissions import system_identity
from invenio_db import db as db_

from invenio_jobs import lifecycle
from invenio_jobs.models import Job, Run, RunStatusEnum
from invenio_jobs.proxies import current_jobs_service
from invenio_jobs.tasks import execute_run


def inveniordm_queued_run(job_id, args):
    """A QUEUED run as InvenioRDM's package writes it: arguments built."""
    run = Run(**lifecycle.queued_run(job_id, "from InvenioRDM", args, "celery"))
    db_.session.add(run)
    db_.session.commit()
    return run.id


def ended(run_id) -> Run:
    db_.session.expire_all()
    return db_.session.get(Run, run_id)


def echo_job():
    data = {"title": "Echo", "task": "mock_echo", "run_args": {"message": "hi"}}
    return uuid.UUID(current_jobs_service.create(system_identity, data).id)


def test_a_message_of_inveniordm_beat_runs(app, db):
    """11.x beat: the run id and the system user as positional arguments."""
    job_id = echo_job()
    arguments = {"since": None, "message": "hi", "count": 2}
    run_id = inveniordm_queued_run(job_id, arguments)
    execute_run.apply(args=(str(run_id), "system"), kwargs={"kwargs": arguments})
    run = ended(run_id)
    assert run.status is RunStatusEnum.SUCCESS, run.message


def test_messages_of_inveniordm_services_run(app, db):
    """11.x services (``identity_id``) and 5.x ones (without it)."""
    job_id = echo_job()
    arguments = {"since": None, "message": "hi", "count": 1}
    for kwargs in ({"identity_id": "system"}, {"kwargs": arguments}):
        run_id = inveniordm_queued_run(job_id, arguments)
        execute_run.apply(kwargs={"run_id": str(run_id), **kwargs})
        run = ended(run_id)
        assert run.status is RunStatusEnum.SUCCESS, (kwargs, run.message)


def test_a_message_of_a_job_type_we_lack_ends_its_run_with_the_reason(app, db):
    """A job type InvenioRDM had and this instance lacks: FAILED, named."""
    job = Job(title="Gone", task="update_affiliations", default_queue="celery")
    db_.session.add(job)
    db_.session.commit()
    run_id = inveniordm_queued_run(job.id, {"since": None})
    execute_run.apply(args=(str(run_id), "system"), kwargs={"kwargs": {}})
    run = ended(run_id)
    assert run.status is RunStatusEnum.FAILED
    assert "update_affiliations" in run.message


def test_a_message_of_a_run_already_ended_changes_nothing(app, db):
    """Sent twice (InvenioRDM's beat, then ours): the second finds it ended."""
    job_id = echo_job()
    run_id = inveniordm_queued_run(job_id, {"message": "once"})
    execute_run.apply(args=(str(run_id), "system"), kwargs={"kwargs": {}})
    first = ended(run_id)
    finished_at = first.finished_at
    execute_run.apply(args=(str(run_id), "system"), kwargs={"kwargs": {}})
    again = ended(run_id)
    assert again.status is RunStatusEnum.SUCCESS
    assert again.finished_at == finished_at
