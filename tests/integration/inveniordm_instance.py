# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An InvenioRDM instance database, made by InvenioRDM's released invenio-jobs.

The upgrade test needs a database exactly as an InvenioRDM instance has it:
tables made by InvenioRDM's alembic revisions and rows written by its code.
So this module keeps a scratch virtual environment with InvenioRDM's
``invenio-jobs`` 11.1.0 and the packages pinned in
``inveniordm-requirements.txt`` (installed with ``--no-deps``, so that it is
the same every time), and runs, with that environment's Python:

1. ``invenio alembic upgrade``: InvenioRDM's own migrations;
2. ``inveniordm_fill.py``: jobs and runs written through InvenioRDM's models.

The environment lives in ``.test-cache/inveniordm-venv`` of the checkout and
is made again only when the pinned list changes (about a minute with an empty
pip cache, a few seconds with a warm one).
"""

import hashlib
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy_utils.functions import create_database, database_exists, drop_database

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
REQUIREMENTS = HERE / "inveniordm-requirements.txt"
FILL_SCRIPT = HERE / "inveniordm_fill.py"
VENV = Path(
    os.environ.get("INVENIORDM_VENV", CHECKOUT / ".test-cache" / "inveniordm-venv")
)
STAMP = VENV / "requirements.sha256"


class InstanceError(RuntimeError):
    """The scratch environment or one of its commands failed."""


def _run(command, env=None, timeout=900) -> str:
    """Run a command; its stdout, or InstanceError with its output."""
    result = subprocess.run(
        [str(part) for part in command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise InstanceError(
            f"{' '.join(str(p) for p in command)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        )
    return result.stdout


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> tuple[Path, float]:
    """The scratch environment's bin folder, and the seconds spent making it.

    Reused while ``inveniordm-requirements.txt`` is unchanged; 0 seconds then.
    """
    bin_dir = VENV / "bin"
    digest = _requirements_digest()
    if (
        STAMP.exists()
        and STAMP.read_text() == digest
        and (bin_dir / "invenio").exists()
    ):
        return bin_dir, 0.0
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", "--clear", VENV])
    _run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    _run(
        [
            bin_dir / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--requirement",
            REQUIREMENTS,
        ]
    )
    STAMP.write_text(digest)
    return bin_dir, time.monotonic() - started


def instance_env(database_uri: str, instance_path: Path) -> dict:
    """Environment of an ``invenio`` command on the instance database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INVENIO_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        INVENIO_SQLALCHEMY_DATABASE_URI=database_uri,
        INVENIO_INSTANCE_PATH=str(instance_path),
        INVENIO_SECRET_KEY="inveniordm-upgrade-test",
        INVENIO_JSONSCHEMAS_HOST="localhost",
        INVENIO_SEARCH_INDEX_PREFIX="inveniordm-upgrade-",
        INVENIO_CELERY_TASK_ALWAYS_EAGER="True",
        INVENIO_MAIL_SUPPRESS_SEND="True",
    )
    return env


def _fill_script(database_uri: str, instance_path: Path, *args) -> dict:
    """Run ``inveniordm_fill.py`` with InvenioRDM's package; its JSON answer."""
    bin_dir, _ = ensure_venv()
    env = instance_env(database_uri, instance_path)
    output = _run([bin_dir / "python", FILL_SCRIPT, *args], env=env)
    return json.loads(output.strip().splitlines()[-1])


def make_instance(database_uri: str, instance_path: Path, scenario="api") -> dict:
    """Make and fill an InvenioRDM database; what InvenioRDM wrote, as a dict.

    The database must exist and be empty. ``scenario`` names the data
    (see ``inveniordm_fill.py``).
    """
    bin_dir, _ = ensure_venv()
    instance_path.mkdir(parents=True, exist_ok=True)
    env = instance_env(database_uri, instance_path)
    _run([bin_dir / "invenio", "alembic", "upgrade"], env=env)
    return _fill_script(database_uri, instance_path, "fill", scenario)


def read_instance(database_uri: str, instance_path: Path, written: dict) -> dict:
    """What InvenioRDM's package reads now of the user, jobs and runs it wrote."""
    ids = {
        "user_id": written["user_id"],
        "jobs": {key: job["id"] for key, job in written["jobs"].items()},
        "runs": {key: run["id"] for key, run in written["runs"].items()},
    }
    return _fill_script(database_uri, instance_path, "read", json.dumps(ids))


FORGET_UNKNOWN = """
import sqlalchemy as sa
from alembic.util import CommandError
from invenio_app.factory import create_api
from invenio_db import db

app = create_api()
with app.app_context():
    script = app.extensions["invenio-db"].alembic.script_directory
    with db.engine.begin() as connection:
        for (version,) in connection.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).all():
            try:
                script.get_revision(version)
            except CommandError:
                connection.execute(
                    sa.text("DELETE FROM alembic_version WHERE version_num = :v"),
                    {"v": version},
                )
                print(version)
"""
"""Forget the alembic heads of modules that our environment lacks.

InvenioRDM's invenio-jobs pulls in modules (invenio-oauthclient, via
invenio-users-resources) that our test environment does not install; a real
instance has them in both. Their tables stay, unused.
"""


def upgrade_with_ours(database_uri: str, instance_path: Path) -> str:
    """Run ``invenio alembic upgrade`` with our package; its output."""
    ours = Path(sys.executable).parent / "invenio"
    env = instance_env(database_uri, instance_path)
    _run([sys.executable, "-c", FORGET_UNKNOWN], env=env)
    result = subprocess.run(
        [str(ours), "alembic", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise InstanceError(f"our upgrade failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


@contextmanager
def upgraded_instance(suite_uri: str, instance_path: Path, scenario: str):
    """An InvenioRDM database next to the suite's, filled, upgraded with ours.

    Yields ``(database URI, what InvenioRDM wrote)``; the database is dropped
    afterwards.
    """
    url = sa.engine.make_url(suite_uri)
    uri = url.set(database=f"{url.database}_rdm_{scenario}").render_as_string(
        hide_password=False
    )
    if database_exists(uri):
        drop_database(uri)
    create_database(uri)
    try:
        written = make_instance(uri, instance_path, scenario)
        upgrade_with_ours(uri, instance_path)
        yield uri, written
    finally:
        drop_database(uri)


def main():
    """Make the scratch environment and say how long it took."""
    _, seconds = ensure_venv()
    print(f"{VENV}: ready in {seconds:.1f} s")


if __name__ == "__main__":
    main()
