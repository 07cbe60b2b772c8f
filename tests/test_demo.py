# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``./run-demo.sh``: the demo instance starts, works, and stops whole.

Starts the real launcher (with this Python, ``DEMO_PYTHON``) on a free port
in a temporary instance folder, on SQLite and the filesystem broker whatever
the suite's environment says; logs in through the REST API, runs a job, sees
beat and worker run the scheduled demo job, then sends SIGINT and checks that
no process of the demo is left.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "demo-test-password"
FINISHED = {"SUCCESS", "FAILED", "PARTIAL_SUCCESS", "WARNING", "CANCELLED"}

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs /proc"),
]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_processes(sid: int) -> list[int]:
    """Every process of a session: the launcher and all it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == sid:
                pids.append(int(entry.name))
        except (ProcessLookupError, PermissionError):
            continue
    return pids


def demo_env() -> dict:
    """The suite's environment without its database and broker settings.

    ``run-tests.sh`` sets PostgreSQL and Redis for the other tests; the demo
    must use its own defaults, SQLite and the filesystem broker.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INVENIO_", "DEMO_"))
        and key not in ("SQLALCHEMY_DATABASE_URI", "BROKER_URL", "CELERY_BROKER_URL")
    }
    env.update(DEMO_PYTHON=sys.executable, DEMO_ADMIN_PASSWORD=PASSWORD)
    if not ui_built():
        env["DEMO_NO_ASSETS"] = "1"
    return env


def ui_built() -> bool:
    """Whether the admin UI is built (run-tests.sh builds it before the tests).

    Without it the demo would build it first, which takes minutes.
    """
    from invenio_jobs.demo.assets import assets_folder

    return (assets_folder() / "static" / "dist" / "manifest.json").exists()


class Demo:
    """The running launcher, its URL and its output."""

    def __init__(self, tmp_path: Path):
        """Start ``run-demo.sh`` in a session of its own."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "demo.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            [
                str(REPO / "run-demo.sh"),
                *("--instance", str(tmp_path / "instance")),
                *("--port", str(self.port)),
                *("--check-every", "10s"),
            ],
            cwd=tmp_path,
            env=demo_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        """What the demo printed so far (the end of it)."""
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_until(self, check, timeout: float, what: str):
        """Poll ``check`` until it returns something true; fail with the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"the demo exited while waiting for {what}:\n{self.log}")
            try:
                value = check()
            except requests.ConnectionError:
                value = None
            if value:
                return value
            time.sleep(0.5)
        pytest.fail(f"no {what} after {timeout} s:\n{self.log}")

    def close(self):
        """Kill what is left, whatever happened."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        for pid in session_processes(self.popen.pid):
            os.kill(pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture()
def demo(tmp_path):
    """The demo, started; everything of it is killed after the test."""
    started = Demo(tmp_path)
    yield started
    started.close()


def test_demo_serves_runs_schedules_and_stops_whole(demo):
    """Web, worker and beat work together; SIGINT stops every process."""
    http = requests.Session()
    demo.wait_until(
        lambda: requests.get(demo.url + "/", timeout=5).status_code == 200,
        timeout=150,
        what="web app",
    )

    login = http.post(
        demo.url + "/api/login",
        data={"email": "admin@demo.org", "password": PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    # Writes with a session need invenio-rest's CSRF token, as in a browser.
    http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
    api = demo.url + "/api"
    if ui_built():
        page = http.get(demo.url + "/administration/jobs", timeout=10)
        assert page.status_code == 200, demo.log
        assert "invenio-jobs-list" in page.text

    created = http.post(
        f"{api}/jobs",
        json={"title": "From the test", "task": "demo_update_affiliations"},
        timeout=10,
    )
    assert created.status_code == 201, created.text + demo.log
    job_id = created.json()["id"]
    started = http.post(f"{api}/jobs/{job_id}/runs", json={}, timeout=10)
    assert started.status_code == 201, started.text + demo.log
    run_url = f"{api}/jobs/{job_id}/runs/{started.json()['id']}"

    def finished_run():
        run = http.get(run_url, timeout=10).json()
        return run if run["status"] in FINISHED else None

    run = demo.wait_until(finished_run, timeout=60, what="end of the API's run")
    assert run["status"] == "SUCCESS", run
    assert run["errored_entries"] == 7  # the invalid records of the dump

    jobs = http.get(f"{api}/jobs", params={"q": "Check affiliations"}, timeout=10)
    check_id = jobs.json()["hits"]["hits"][0]["id"]

    def scheduled_run():
        runs = http.get(f"{api}/jobs/{check_id}/runs", timeout=10).json()
        done = [
            r
            for r in runs["hits"]["hits"]
            if r["trigger"] != "manual" and r["status"] in FINISHED
        ]
        return done[0] if done else None

    run = demo.wait_until(scheduled_run, timeout=70, what="scheduled run")
    assert run["status"] == "PARTIAL_SUCCESS", run
    assert run["errored_entries"] > 0
    logs = http.get(f"{api}/logs/jobs", params={"q": run["id"]}, timeout=10).json()
    messages = [hit["message"] for hit in logs["hits"]["hits"]]
    assert any("website is not HTTPS" in message for message in messages)

    processes = session_processes(demo.popen.pid)
    assert len(processes) >= 4, (processes, demo.log)  # launcher, web, worker, beat
    os.kill(demo.popen.pid, signal.SIGINT)
    assert demo.popen.wait(60) == 0, demo.log
    assert "demo: stopped." in demo.log
    deadline = time.monotonic() + 5
    while session_processes(demo.popen.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert session_processes(demo.popen.pid) == [], demo.log
