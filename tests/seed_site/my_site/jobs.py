# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The ``ExportRecords`` job type as InvenioRDM's documentation writes it.

The schema and the job type are the documentation's, slips included: the
trailing comma after ``serializer = fields.String(...)`` makes it a tuple,
not a field, and ``build_task_arguments`` takes no ``**kwargs``. Only the
task's body differs: there are no records here, so it logs what it
received, for the tests to read in the run's log.
"""

import logging

from celery import shared_task
from marshmallow import fields, validate

from invenio_jobs.jobs import JobType, PredefinedArgsSchema

logger = logging.getLogger(__name__)


# The Celery task backing the job
@shared_task
def export_records(since=None, serializer="datacite-xml"):
    """Your celery task."""
    logger.info("export_records since=%s serializer=%s", since, serializer)
    return {"since": since, "serializer": serializer}


class ExportRecordsArgumentSchema(PredefinedArgsSchema):
    """Your custom schema needed to validate user input from admin form."""

    serializer = (
        fields.String(
            required=False,
            validate=validate.OneOf(["datacite-xml", "datacite-json", "json"]),
            default="datacite-xml",
        ),
    )


# Class definition for integrating with the job system
class ExportRecords(JobType):
    """Export records to DataCite XML."""

    # Display name and description
    title = "Export records"
    description = "Export records to DataCite XML"

    task = export_records

    # Marshmallow schema for the job arguments. This will be used to generate the form
    # in the admininstration interface and as input to build_task_arguments.
    arguments_schema = ExportRecordsArgumentSchema

    @classmethod
    def build_task_arguments(cls, job_obj, since=None, serializer=None):
        """Build the arguments dict based on user input.

        Use it to customize how the arguments are serialized or computed before
        passed to the task.
        """
        return {
            "since": since,
            "serializer": serializer,
        }
