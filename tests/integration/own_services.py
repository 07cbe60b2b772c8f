# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Services a test starts, stops and restarts itself: PostgreSQL, RabbitMQ.

The suite's shared PostgreSQL and Redis (``run-tests.sh``) must never go
down under other tests; tests of outages and of broker settings get their
own server, in a temporary folder, on a free loopback port.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args):
    """Run a PostgreSQL program; as the ``postgres`` user when we are root."""
    if os.getuid() == 0:
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        args = [runuser, "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _spawn(args, log: Path, **options) -> subprocess.Popen:
    """Start a server in a session of its own, its output appended to ``log``."""
    return subprocess.Popen(
        args,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **options,
    )


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them apart)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


class PostgresCluster:
    """A PostgreSQL cluster of one test module, which it may stop and restart."""

    def __init__(self):
        """Prepare an empty cluster in a new folder (``initdb``).

        The folder is under the system's temporary folder, open to the
        ``postgres`` user (pytest's own temporary folders are not).
        """
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server programs are not installed")
        folder = Path(tempfile.mkdtemp(prefix="invenio-jobs-pg-"))
        folder.chmod(0o755)
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.log = folder / "postgresql.log"
        if os.getuid() == 0:
            shutil.chown(folder, "postgres")
        _as_postgres(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ]
        )

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the cluster's test database."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/jobs"

    def _pg_ctl(self, *args):
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", *args])

    def start(self):
        """Start the server (and make the test database the first time)."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=100"
        )
        self._pg_ctl("-l", str(self.log), "-o", options, "start")
        if not getattr(self, "_created", False):
            _as_postgres(
                [
                    str(self.bin / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "jobs",
                ]
            )
            self._created = True

    def stop(self):
        """Stop the server at once, closing every connection (``-m fast``)."""
        self._pg_ctl("-m", "fast", "stop")

    def restart(self):
        """What ``pg_ctlcluster ... restart -m fast`` does."""
        self._pg_ctl("-m", "fast", "restart")

    def remove(self):
        """Stop the server if it runs, and delete its folder."""
        if self.is_running():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def is_running(self) -> bool:
        """Whether the server answers."""
        return (self.data / "postmaster.pid").exists()


class RabbitMQNode:
    """A RabbitMQ node of one test module, with a configuration of its own."""

    def __init__(self, folder: Path, settings: dict, advanced: str = "[]."):
        """Prepare a node in ``folder`` with ``settings`` in its ``rabbitmq.conf``.

        ``advanced`` is the Erlang term of its ``advanced.config``.
        """
        self.server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        self.ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        if not Path(self.server).exists():
            raise RuntimeError("rabbitmq-server is not installed")
        self.folder = folder
        self.port = free_port()
        self.name = f"jobs{self.port}@localhost"
        conf = folder / "rabbitmq"
        lines = [
            f"listeners.tcp.default = 127.0.0.1:{self.port}",
            "loopback_users = none",
        ]
        lines += [f"{key} = {value}" for key, value in settings.items()]
        (folder / "rabbitmq.conf").write_text("\n".join(lines) + "\n")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(conf),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "rabbitmq.pid"),
        }
        (folder / "enabled_plugins").write_text("[].\n")
        (folder / "advanced.config").write_text(advanced + "\n")
        if os.getuid() == 0:
            # Debian's rabbitmq-server runs the node as the rabbitmq user.
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "rabbitmq")
        self.process = None

    @property
    def url(self) -> str:
        """The broker URL of the node's default virtual host."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self, timeout: float = 120):
        """Start the node and wait until it accepts clients."""
        self.process = _spawn(
            [self.server], self.folder / "server.log", env=self.env, cwd=self.folder
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "rabbitmq-server exited:\n"
                    + (self.folder / "server.log").read_text(errors="replace")[-3000:]
                )
            done = subprocess.run(
                [self.ctl, "-n", self.name, "await_startup", "--timeout", "5"],
                env=self.env,
                capture_output=True,
            )
            if done.returncode == 0:
                return
            time.sleep(1)
        raise TimeoutError("rabbitmq-server did not start")

    def stop(self):
        """Stop the node and the Erlang processes it started."""
        subprocess.run(
            [self.ctl, "-n", self.name, "shutdown"],
            env=self.env,
            capture_output=True,
            timeout=60,
        )
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class RedisServer:
    """A Redis server of one test module, which it may stop and start again."""

    def __init__(self):
        """Choose a free port and a folder; nothing runs yet."""
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.binary).exists():
            raise RuntimeError("redis-server is not installed")
        self.folder = Path(tempfile.mkdtemp(prefix="invenio-jobs-redis-"))
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        """The broker URL of its first database."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20):
        """Start the server on its port and wait until it answers."""
        self.process = _spawn(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            self.folder / "redis.log",
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("redis-server did not start")

    def stop(self):
        """Kill the server, as a crash of its host would (its data is lost)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def remove(self):
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def rabbitmq_node(settings: dict | None = None, advanced: str = "[]."):
    """A started :class:`RabbitMQNode` of a test module, removed afterwards.

    Fails in CI (where ``.ci/run`` installs RabbitMQ) and skips elsewhere
    when ``rabbitmq-server`` is not installed.
    """
    import pytest

    if not (
        shutil.which("rabbitmq-server") or Path("/usr/sbin/rabbitmq-server").exists()
    ):
        if os.environ.get("CI"):
            pytest.fail("RabbitMQ tests need rabbitmq-server in CI")
        pytest.skip("needs rabbitmq-server")
    folder = Path(tempfile.mkdtemp(prefix="invenio-jobs-rabbitmq-"))
    node = RabbitMQNode(folder, settings or {}, advanced)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(folder, ignore_errors=True)
