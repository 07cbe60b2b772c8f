# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A copy of a job: its settings under a new name, inactive, without its runs."""

import copy
import uuid

from ..models import Job, utcnow

NOT_COPIED = frozenset(
    {
        "id",
        "title",
        "active",
        "next_run_at",
        "schedule_anchor",
        "overlap_skips",
        "held_since",
        "code_key",
        "created",
        "updated",
    }
)
"""The columns of a job that its copy does not take over.

Its identity, name, key in files of jobs kept as code and state (when it
fires next, since when a maintenance window holds it, how many fires its
overlap skipped) are its own; every other column is a setting, copied, so
that a setting added later is copied without a change here.
"""

TITLE_LENGTH = Job.__table__.c.title.type.length


def copy_of_job(original: Job, title: str) -> Job:
    """A new, inactive job with the settings of ``original`` and ``title``.

    Values are deep-copied: a copy's arguments or notifications edited
    later leave the original's alone. Inactive, it has no next fire time;
    its schedule starts from its activation.
    """
    values = {
        column.key: copy.deepcopy(getattr(original, column.key))
        for column in Job.__table__.c
        if column.key not in NOT_COPIED
    }
    now = utcnow()
    return Job(
        id=uuid.uuid4(),
        title=title[:TITLE_LENGTH],
        active=False,
        next_run_at=None,
        schedule_anchor=now if values.get("schedule") else None,
        overlap_skips=0,
        created=now,
        updated=now,
        **values,
    )
