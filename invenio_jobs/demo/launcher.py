# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""``python -m invenio_jobs.demo``: the demo instance in one command.

Prepares the instance folder (database, administrator, demo jobs), then runs
three child processes and prints their output, prefixed by name:

- ``web``: the UI and REST API on Werkzeug's threaded server;
- ``worker``: a Celery worker (solo pool: one run at a time suits SQLite);
- ``beat``: Celery beat with the job scheduler.

Each child runs in a process group of its own, so that Ctrl-C reaches the
launcher only; the launcher then stops the children (SIGTERM to each group,
SIGKILL after a grace period) and exits when they all have. If a child dies,
everything stops, with the child's output on the screen.
"""

import argparse
import ctypes
import ctypes.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_GRACE_SECONDS = 20
"""How long children have to stop (a worker ends its current run) before SIGKILL."""


def parse_args(argv=None):
    """The launcher's options; environment variables give their defaults."""
    parser = argparse.ArgumentParser(
        prog="run-demo.sh", description="Run the invenio-jobs demo instance."
    )
    parser.add_argument(
        "--instance",
        default=os.environ.get("DEMO_INSTANCE", ".demo-instance"),
        help="Instance folder: database, broker messages, keys (.demo-instance).",
    )
    parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("DEMO_PORT", "5000"))
    )
    parser.add_argument(
        "--check-every",
        default=os.environ.get("DEMO_CHECK_EVERY", "1m"),
        help="Interval of the live 'Check affiliations' job, on first start.",
    )
    parser.add_argument(
        "--no-assets",
        action="store_true",
        default=bool(os.environ.get("DEMO_NO_ASSETS")),
        help="Do not build the admin UI's assets (it then cannot render).",
    )
    return parser.parse_args(argv)


def prepare_assets(skip: bool, app) -> str:
    """Build the admin UI's assets when needed; what the banner says of it."""
    from .assets import assets_folder, build

    folder = assets_folder()
    if skip:
        return "not built (--no-assets); the REST API and the CLI work"
    if shutil.which("npm") is None:
        print(
            "demo: npm not found, so the admin UI cannot be built "
            "(./run-demo.sh installs Node.js into .venv).",
            file=sys.stderr,
        )
        return "not built (no npm); the REST API and the CLI work"
    try:
        build(folder, app=app)
    except subprocess.CalledProcessError:
        print(f"demo: the admin UI did not build; see {folder / 'build.log'}")
        return f"did not build (see {folder / 'build.log'})"
    return "built"


def read_or_create(path: Path, make) -> str:
    """A value kept in the instance folder, made once."""
    if not path.exists():
        path.write_text(make() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def port_is_free(host: str, port: int) -> bool:
    """Whether the web server will be able to listen there."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _stop_with_parent():
    """In the child, before exec: ask Linux for SIGTERM when the launcher dies.

    Ctrl-C and SIGTERM stop the children through the launcher; this covers
    the launcher being killed outright (SIGKILL), which it cannot catch.
    Elsewhere than Linux it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:
        pass


PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent dies."""


class Child:
    """A child process whose output is printed with its name in front."""

    def __init__(self, name: str, args: list[str], env: dict):
        """Start it in a process group of its own."""
        self.name = name
        self.popen = subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=_stop_with_parent,
        )
        self._reader = threading.Thread(target=self._copy_output, daemon=True)
        self._reader.start()

    def _copy_output(self):
        # Keep reading even when our own output is gone (a closed pipe): a
        # child whose pipe fills up would block.
        prefix = f"[{self.name}] ".encode()
        for line in iter(self.popen.stdout.readline, b""):
            try:
                sys.stdout.buffer.write(prefix + line)
                sys.stdout.buffer.flush()
            except (OSError, ValueError):
                pass

    @property
    def running(self) -> bool:
        """Whether it is still running."""
        return self.popen.poll() is None

    def signal(self, signum):
        """Send a signal to its whole process group (a worker's pool too)."""
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float) -> bool:
        """Wait for it to exit; whether it did."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=2)
        return True


def stop_all(children, grace: float = STOP_GRACE_SECONDS):
    """SIGTERM every child, wait for them, SIGKILL whoever is left."""
    for child in children:
        if child.running:
            child.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        if not child.wait(max(0.0, deadline - time.monotonic())):
            print(f"demo: {child.name} did not stop; killing it.", flush=True)
            child.signal(signal.SIGKILL)
            child.wait(5)
        else:
            child.signal(signal.SIGKILL)  # what its group may have left behind
    for child in children:
        child.wait(5)


def port_is_open(host: str, port: int) -> bool:
    """Whether the web server accepts connections yet."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def commands(folder: Path, host: str, port: int, queues: str) -> dict:
    """The command line of each child."""
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "invenio_jobs.demo.celery"]
    return {
        "web": [
            python,
            "-m",
            "invenio_jobs.demo.web",
            "--host",
            host,
            "--port",
            str(port),
        ],
        "worker": celery
        + [
            "worker",
            "-l",
            "INFO",
            "-P",
            "solo",
            "-Q",
            queues,
            "-n",
            f"demo-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        "beat": celery
        + [
            "beat",
            "-l",
            "INFO",
            "-S",
            "invenio_jobs.services.scheduler:RunScheduler",
            "-s",
            str(folder / "celerybeat-schedule"),
            "--pidfile=",
            "--max-interval",
            "2",
        ],
    }


def banner(url: str, password: str, summary: dict, folder: Path, ui: str) -> str:
    """What the demo offers and how to get in."""
    created = ", ".join(summary["created_jobs"]) or "none (they exist)"
    return "\n".join(
        [
            "",
            "invenio-jobs demo",
            f"  web app      {url}  (REST API under {url}/api)",
            f"  login        admin@demo.org / {password}",
            f"  database     {summary['database']}",
            f"  broker       {summary['broker']}",
            f"  instance     {folder}",
            f"  demo jobs    created now: {created}",
            (
                f"  admin UI     {url}/administration/jobs"
                if ui == "built"
                else f"  admin UI     {ui}"
            ),
            "  CLI          ./run-demo.sh invenio jobs list",
            "  stop         Ctrl-C",
            "",
        ]
    )


def main(argv=None) -> int:
    """Prepare the instance, run web, worker and beat until stopped."""
    options = parse_args(argv)
    folder = Path(options.instance).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if not port_is_free(options.host, options.port):
        print(
            f"demo: port {options.port} on {options.host} is in use; "
            "choose another one with --port.",
            file=sys.stderr,
        )
        return 1
    url = f"http://{options.host}:{options.port}"
    os.environ["INVENIO_INSTANCE_PATH"] = str(folder)
    os.environ.setdefault("INVENIO_SITE_UI_URL", url)
    os.environ.setdefault("INVENIO_SITE_API_URL", f"{url}/api")
    os.environ["PYTHONUNBUFFERED"] = "1"
    read_or_create(folder / "secret-key", lambda: secrets.token_hex(32))
    password = os.environ.get("DEMO_ADMIN_PASSWORD") or read_or_create(
        folder / "admin-password", lambda: secrets.token_urlsafe(9)
    )

    from .app import broker_url, create_demo_app
    from .bootstrap import prepare

    app = create_demo_app()
    ui = prepare_assets(options.no_assets, app)
    summary = prepare(app, password, options.check_every)
    summary["broker"] = broker_url()
    queues = ",".join(app.config["JOBS_QUEUES"])

    stopping = threading.Event()

    def request_stop(signum, frame):
        if stopping.is_set() and signum == signal.SIGINT:
            print("demo: killing everything.", flush=True)
            for child in children:
                child.signal(signal.SIGKILL)
        stopping.set()

    children = []
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    env = dict(os.environ)
    for name, args in commands(folder, options.host, options.port, queues).items():
        children.append(Child(name, args, env))
    print(banner(url, password, summary, folder, ui), flush=True)

    exit_code = 0
    ready = False
    while not stopping.wait(0.5):
        if not ready and port_is_open(options.host, options.port):
            ready = True
            print(f"demo: ready at {url} (Ctrl-C stops it)", flush=True)
        dead = [child for child in children if not child.running]
        if dead:
            names = ", ".join(f"{c.name} ({c.popen.returncode})" for c in dead)
            print(f"demo: {names} exited; stopping the others.", flush=True)
            exit_code = 1
            break
    print("demo: stopping web, worker and beat...", flush=True)
    stop_all(children)
    print("demo: stopped.", flush=True)
    return exit_code
