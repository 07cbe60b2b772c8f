# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's entry counts and its subtask counts: what the writes add.

A run's counts travel as one shape from its task's thread to the UPDATE
that writes them (:class:`EntryCounts`, :func:`count_assignments`), and an
ended subtask is counted on its parent atomically.
"""

from dataclasses import dataclass

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
        **EntryCounts(int(inserted), int(updated), int(errored)).assignments(),
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


@dataclass(slots=True)
class EntryCounts:
    """A run's entry counts not written yet, one shape from its task to the UPDATE.

    The task's thread adds to them (``current_run.progress``), the pulse or
    the run's end takes them, and the statement that writes them is built
    from their :meth:`shape` once per shape (:func:`count_assignments`).
    ``added`` adds to the run's total (which starts at zero when unknown);
    a ``total`` set by the task replaces it, plus what was added after.
    """

    inserted: int = 0
    updated: int = 0
    errored: int = 0
    added: int = 0
    total: int | None = None

    def add(self, inserted=0, updated=0, errored=0, added=0) -> None:
        """Count more entries (in place: the caller holds the run's lock)."""
        self.inserted += inserted
        self.updated += updated
        self.errored += errored
        self.added += added

    def set_total(self, total: int) -> None:
        """The run's total is now ``total``; what was added before is in it."""
        self.total = int(total)
        self.added = 0

    def restore(self, taken: "EntryCounts") -> None:
        """Put back counts that were taken and could not be written."""
        self.add(taken.inserted, taken.updated, taken.errored, taken.added)
        if self.total is None:
            self.total = taken.total

    def key(self) -> tuple:
        """The counts as a value, for grouping runs that end alike."""
        return (self.inserted, self.updated, self.errored, self.added, self.total)

    def shape(self) -> tuple[tuple, dict]:
        """``(shape, parameters)`` of the UPDATE that writes these counts.

        The shape names what is written, so that a statement built once per
        shape (:func:`count_assignments`) serves every write of it; the
        parameters are its bound values.
        """
        shape, parameters = [], {}
        for name in COUNTED:
            count = getattr(self, name)
            if count:
                shape.append(name)
                parameters[f"add_{name}"] = int(count)
        if self.total is not None:
            shape.append("total")
            parameters["set_total"] = self.total + self.added
        elif self.added:
            shape.append("added")
            parameters["add_total"] = self.added
        return tuple(shape), parameters

    def assignments(self) -> dict:
        """The UPDATE values that write these counts, their values bound."""
        return count_assignments(*self.shape())


def count_assignments(shape, parameters=None) -> dict:
    """The UPDATE values of an :meth:`EntryCounts.shape`, bound (to ``parameters`` if given)."""
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
