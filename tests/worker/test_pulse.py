# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The pulse thread of a worker process: woken only when a member needs it sooner.

A worker runs hundreds of short runs a second; each joins the pulse. Waking
its thread for each of them cost more than the rest of a run's bookkeeping,
so a member that is due after the thread wakes anyway does not wake it.
"""

import threading
import time

from invenio_jobs.pulse import Pulse


class CountingEvent(threading.Event):
    """An event that counts how often it was set."""

    def __init__(self):
        """Count from zero."""
        super().__init__()
        self.sets = 0

    def set(self):
        """Count, then set."""
        self.sets += 1
        super().set()


class Member:
    """A member of the pulse due at a given monotonic time, noting its ticks."""

    engine = None

    def __init__(self, due: float):
        """Due at ``due``."""
        self.due = due
        self.ticked = threading.Event()

    def next_due(self) -> float:
        """When the pulse has something to do for it."""
        return self.due

    def tick(self):
        """Note the tick; nothing is due again for a long time."""
        self.ticked.set()
        self.due = time.monotonic() + 3600

    def beat_due(self) -> bool:
        """No heartbeat to write."""
        return False


def settled(pulse: Pulse, deadline: float = 10.0):
    """Wait until the pulse's thread sleeps until a time it has computed."""
    end = time.monotonic() + deadline
    while pulse._wakes_at <= time.monotonic() and time.monotonic() < end:
        time.sleep(0.01)
    assert pulse._wakes_at > time.monotonic()


def test_a_member_due_later_does_not_wake_the_thread():
    """Members due after the thread's own wake-up join without waking it."""
    pulse = Pulse()
    pulse._wake = CountingEvent()
    far = time.monotonic() + 3600
    pulse.join(Member(far))
    settled(pulse)
    for _ in range(50):
        pulse.join(Member(far))
    assert pulse._wake.sets == 0


def test_a_member_due_sooner_wakes_the_thread_and_is_served():
    """A member due before the thread's wake-up wakes it, and gets its tick."""
    pulse = Pulse()
    pulse._wake = CountingEvent()
    pulse.join(Member(time.monotonic() + 3600))
    settled(pulse)
    soon = Member(time.monotonic())
    pulse.join(soon)
    assert pulse._wake.sets == 1
    assert soon.ticked.wait(10)
