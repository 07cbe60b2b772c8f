# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Run again: a new run of a job with an earlier run's arguments, title and queue.

The run page's "Run again" button, ``POST
/api/jobs/<id>/runs/<run_id>/actions/run-again`` and ``invenio jobs run
--again RUN``. The server copies what the earlier run was started with, so
the history can say which run was run again (``run_again``, with the source
run), and a caller cannot send other arguments under that name. The copy
is checked as "Run now" checks what it is sent: a job type whose arguments
changed since refuses it the same way (400 naming ``args``).

A subtask is not run again on its own: its arguments are a part of its
parent's work, and running the job with them would be another job's run.
"""

from invenio_i18n import gettext as _
from marshmallow import ValidationError

from .grants import require_on_job


def run_again(runs_service, identity, job_id, run_id, uow=None):
    """Start a new run of the job as ``run_id`` was started.

    Returns the new run's item and the run run again (``{"id", "number"}``,
    for the history).

    Needs what "Run now" needs (``run`` on the job); a run of another job, or
    none, is not found; a subtask is refused (400 naming ``run_id``).
    """
    require_on_job(runs_service, identity, "create", job_id)
    source = runs_service.get_run(job_id, run_id)
    if source.parent_run_id is not None:
        raise ValidationError(
            {
                "run_id": [
                    _("A subtask is not run again on its own; run its parent again.")
                ]
            }
        )
    data = {"args": source.args or {}, "title": source.title, "queue": source.queue}
    source_run = {"id": str(source.id), "number": source.number}
    return runs_service.create(identity, job_id, data, uow=uow), source_run
