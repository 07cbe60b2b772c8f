# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Processes a test starts (workers, beat) and waiting for what they do.

Shared by the integration tests and the drop-in tests, which run the same
kind of worker in an InvenioRDM release's own environment.
"""

import os
import signal
import subprocess
import time
from pathlib import Path


class Process:
    """A worker or beat process started for a test, with its log."""

    def __init__(self, args, env, log_path: Path, ready: str | None, cwd=None):
        """Start the process in its own session, so that it can be killed whole.

        ``cwd``: its working folder (by default this one, where the test
        apps' modules are).
        """
        cwd = cwd or Path(__file__).resolve().parent
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if ready:
            self.wait_for_log(ready, timeout=90)

    @property
    def log(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60):
        """Wait until ``text`` appears in the log (or the process dies)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"process exited early:\n{self.log[-5000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"'{text}' not in log after {timeout}s:\n{self.log[-5000:]}")

    def stop(self, timeout: float = 20):
        """Stop gracefully (SIGTERM), then kill what is left."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def kill(self):
        """Kill the whole process group at once (SIGKILL), as a crash would."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(10)


def wait_until(predicate, timeout=30.0, interval=0.2, message="condition"):
    """Poll ``predicate`` until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met after {timeout}s")
        time.sleep(interval)
