# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""A run's life cycle: every change of a run's status happens here.

A run is born QUEUED (:func:`queued_run`), a worker claims it (RUNNING) and
it ends SUCCESS, FAILED, PARTIAL_SUCCESS, WARNING or CANCELLED::

    QUEUED -> RUNNING -> SUCCESS | FAILED | PARTIAL_SUCCESS | WARNING
    QUEUED -> CANCELLED               stopped before a worker took it
    RUNNING -> CANCELLING -> CANCELLED, or whatever the task still reached
    RUNNING -> QUEUED                 a retry after a retryable failure
    RUNNING | CANCELLING -> FAILED    worker lost, timed out

The rooms: :mod:`.states` (the arrows as data, and every step that moves a
run along one, a conditional UPDATE each), :mod:`.births` (the one place
runs are born, numbered by their INSERT), :mod:`.sending` (a run's message:
taken, marked sent, postponed), :mod:`.counts` (entry and subtask counts),
:mod:`.arguments` (what the task receives), :mod:`.pools` (runs that
wait for a slot of their job's concurrency pool).

Which step to use when:

==========================================  =================================
when                                        step
==========================================  =================================
a worker takes a run's message              :func:`claim_and_read` (the run,
                                            its job and ``since`` in one)
a worker takes a message of subtasks        :func:`claim_subtasks`
a module starts a subtask it drives         :func:`claim`
                                            (InvenioRDM's
                                            ``start_processing_subtask``)
a worker's run ended                        :func:`finish` (a parent with
                                            subtasks: ``without_subtasks``,
                                            then :func:`mark_task_finished`)
a message's subtasks ended alike            :func:`finish_many`
a subtask ended (count it on its parent)    :func:`count_subtask`, several:
                                            :func:`count_subtasks`
a parent's last subtask or own task ended   :func:`finish_parent`
a run's entries (in the UPDATE that ends    :class:`EntryCounts`, from the
it, or a throttled write)                   task's thread to the UPDATE
a module adds to a run's total              :func:`add_total_entries`
a stop before a worker took the run         :func:`cancel`
a stop of a running run                     :func:`request_stop`
a stop ignored past its grace               :func:`terminate`
a worker lost (no heartbeat)                :func:`mark_lost`
a retryable failure                         :func:`retry`
a slot of a pool is free (a run of it       :func:`admit` (first come,
ended, or at the beat's look)               first served)
how busy pools are                          :func:`usage`
==========================================  =================================
"""

from . import chaining
from .arguments import task_arguments
from .births import (
    BORN_WITH,
    JOB_AS_SEEN,
    add_subtask,
    add_subtasks,
    as_stored,
    insert_run,
    insert_timed_run,
    number_runs,
    queued_run,
)
from .chaining import start_after
from .counts import (
    COUNTED,
    EntryCounts,
    add_total_entries,
    count_subtask,
    count_subtasks,
)
from .pools import HOLDING, admit, usage, waits_for_a_slot
from .sending import Dispatch, mark_sent, postpone, take_due
from .states import (
    ENDED,
    ENDING,
    SINCE_UNKNOWN,
    TRANSITIONS,
    cancel,
    claim,
    claim_and_read,
    claim_subtasks,
    finish,
    finish_many,
    finish_parent,
    mark_lost,
    mark_task_finished,
    request_stop,
    retry,
    sources_of,
    terminate,
    transition,
)

__all__ = (
    "chaining",
    "start_after",
    "BORN_WITH",
    "COUNTED",
    "Dispatch",
    "EntryCounts",
    "ENDED",
    "ENDING",
    "HOLDING",
    "JOB_AS_SEEN",
    "SINCE_UNKNOWN",
    "TRANSITIONS",
    "add_subtask",
    "add_subtasks",
    "add_total_entries",
    "admit",
    "as_stored",
    "cancel",
    "claim",
    "claim_and_read",
    "claim_subtasks",
    "count_subtask",
    "count_subtasks",
    "finish",
    "finish_many",
    "finish_parent",
    "insert_run",
    "insert_timed_run",
    "mark_lost",
    "mark_sent",
    "mark_task_finished",
    "number_runs",
    "postpone",
    "queued_run",
    "request_stop",
    "retry",
    "sources_of",
    "take_due",
    "task_arguments",
    "terminate",
    "transition",
    "usage",
    "waits_for_a_slot",
)
