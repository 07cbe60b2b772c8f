# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's entry counts and its subtask counts: what the writes add.

A run's counts travel as one shape from its task's thread to the UPDATE
that writes them (:func:`counts_shape`, :func:`count_assignments`), and an
ended subtask is counted on its parent atomically.
"""

import sqlalchemy as sa

from ..models import Run, RunStatusEnum

Status = RunStatusEnum


def count_subtask(
    parent_id, succeeded: bool, connection, inserted=0, updated=0, errored=0
) -> bool:
    """Count one ended subtask on its parent, atomically.

    As in InvenioRDM, ``completed_subtasks`` counts every subtask that ended
    and ``failed_subtasks`` those of them that failed; the entries a
    subtask reports are added to the parent's. Returns whether the parent
    may end now (see :func:`count_subtasks`).
    """
    return count_subtasks(
        parent_id,
        1,
        0 if succeeded else 1,
        connection,
        inserted=inserted,
        updated=updated,
        errored=errored,
    )


def count_subtasks(
    parent_id, ended: int, failed: int, connection, inserted=0, updated=0, errored=0
) -> bool:
    """Count ``ended`` subtasks (``failed`` of them failed) on their parent at once.

    Returns whether the parent may end now (its task returned and no
    subtask is left), read by the same statement: only then is
    :func:`finish_parent` worth its statement.
    """
    values = {
        "completed_subtasks": Run.completed_subtasks + ended,
        "failed_subtasks": Run.failed_subtasks + failed,
        **counter_values(int(inserted), int(updated), int(errored)),
    }
    ready = connection.execute(
        sa.update(Run)
        .where(Run.id == parent_id)
        .values(**values)
        .returning(
            sa.and_(
                Run.subtasks_closed,
                Run.completed_subtasks >= Run.total_subtasks,
            )
        )
    ).scalar()
    return bool(ready)


COUNTED = ("inserted", "updated", "errored")
"""The entry counters a run's task adds to (``<name>_entries``)."""


def counts_shape(inserted=0, updated=0, errored=0, total=None, added=0):
    """``(shape, parameters)`` of the counts a write adds to a run (or sets).

    The shape names what is written, so that a statement built once per
    shape (:func:`count_assignments`) serves every write of it; the
    parameters are its bound values.
    """
    shape, parameters = [], {}
    for name, count in zip(COUNTED, (inserted, updated, errored)):
        if count:
            shape.append(name)
            parameters[f"add_{name}"] = int(count)
    if total is not None:
        shape.append("total")
        parameters["set_total"] = total + added
    elif added:
        shape.append("added")
        parameters["add_total"] = added
    return tuple(shape), parameters


def count_assignments(shape, parameters=None) -> dict:
    """The UPDATE values of a :func:`counts_shape`, bound (to ``parameters`` if given)."""
    runs = Run.__table__

    def bound(key):
        value = None if parameters is None else parameters[key]
        return sa.bindparam(key, value, type_=sa.Integer)

    values = {}
    for name in shape:
        if name in COUNTED:
            column = runs.c[f"{name}_entries"]
            values[column.name] = column + bound(f"add_{name}")
        elif name == "total":
            values["total_entries"] = bound("set_total")
        else:
            total = sa.func.coalesce(runs.c.total_entries, 0)
            values["total_entries"] = total + bound("add_total")
    return values


def counter_values(inserted=0, updated=0, errored=0, total=None, added=0) -> dict:
    """The UPDATE values that add entry counts to a run (and set its total).

    ``added`` adds to the total (which starts at zero when unknown); a
    ``total`` given replaces it, plus what was added after.
    """
    return count_assignments(*counts_shape(inserted, updated, errored, total, added))


def add_total_entries(run_id, job_id, count: int, connection) -> bool:
    """Add to a run's total of entries, atomically; False when no such run.

    The total is NULL while unknown; the first addition starts it at zero.
    """
    statement = (
        sa.update(Run)
        .where(Run.id == run_id, Run.job_id == job_id)
        .values(total_entries=sa.func.coalesce(Run.total_entries, 0) + count)
    )
    return connection.execute(statement).rowcount == 1
