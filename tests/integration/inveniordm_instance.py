# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An InvenioRDM instance database, made by InvenioRDM's released invenio-jobs.

The upgrade tests need a database exactly as an InvenioRDM instance has it:
tables made by InvenioRDM's alembic revisions and rows written by its code.
So this module keeps, per InvenioRDM line, a scratch virtual environment with
that line's ``invenio-jobs`` (5.0.1 for v13, 10.1.2 for v14, 11.1.0 for v15)
and the packages pinned in ``inveniordm-<line>-requirements.txt`` (installed
with ``--no-deps``, so that it is the same every time), and runs, with that
environment's Python:

1. ``invenio alembic upgrade``: InvenioRDM's own migrations;
2. ``inveniordm_fill.py``: jobs and runs written through InvenioRDM's models.

The environments live in ``.test-cache/inveniordm-<line>-venv`` of the
checkout and are made again only when their pinned list changes (about a
minute with an empty pip cache, a few seconds with a warm one).
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
FILL_SCRIPT = HERE / "inveniordm_fill.py"
DEFAULT_LINE = "v15"

HEADS = {"v13": "1f896f6990b8", "v14": "1764848648", "v15": "1784553083"}
"""The last alembic revision of each line's invenio-jobs: where a downgrade
goes back to."""


def requirements(line: str) -> Path:
    """The pinned packages of a line's scratch environment."""
    return HERE / f"inveniordm-{line}-requirements.txt"


def venv_of(line: str) -> Path:
    """The scratch environment of a line (``INVENIORDM_VENV`` for the default)."""
    if line == DEFAULT_LINE and os.environ.get("INVENIORDM_VENV"):
        return Path(os.environ["INVENIORDM_VENV"])
    return CHECKOUT / ".test-cache" / f"inveniordm-{line}-venv"


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


def ensure_venv(line: str = DEFAULT_LINE) -> tuple[Path, float]:
    """The line's scratch environment's bin folder, and the seconds spent making it.

    Reused while its requirements list is unchanged; 0 seconds then.
    """
    venv = venv_of(line)
    bin_dir = venv / "bin"
    stamp = venv / "requirements.sha256"
    digest = hashlib.sha256(requirements(line).read_bytes()).hexdigest()
    if (
        stamp.exists()
        and stamp.read_text() == digest
        and (bin_dir / "invenio").exists()
    ):
        return bin_dir, 0.0
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", "--clear", venv])
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
            requirements(line),
        ]
    )
    stamp.write_text(digest)
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
    broker = os.environ.get("BROKER_URL")
    if broker:  # where InvenioRDM's beat leaves its messages (``broker`` data)
        env.update(INVENIO_BROKER_URL=broker, INVENIO_CELERY_BROKER_URL=broker)
    return env


def _fill_script(
    database_uri: str, instance_path: Path, *args, line=DEFAULT_LINE, paths=()
):
    """Run ``inveniordm_fill.py`` with InvenioRDM's package; its JSON answer.

    ``paths`` go on its ``PYTHONPATH``: an instance's own job types.
    """
    bin_dir, _ = ensure_venv(line)
    env = instance_env(database_uri, instance_path)
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in paths)
    output = _run([bin_dir / "python", FILL_SCRIPT, *args], env=env)
    return json.loads(output.strip().splitlines()[-1])


def make_instance(
    database_uri: str,
    instance_path: Path,
    scenario="api",
    line=DEFAULT_LINE,
    paths=(),
) -> dict:
    """Make and fill an InvenioRDM database; what InvenioRDM wrote, as a dict.

    The database must exist and be empty. ``scenario`` names the data, with
    its arguments after a space: ``"broker no_args"`` (see
    ``inveniordm_fill.py``); ``paths``: where its job types are imported from.
    """
    bin_dir, _ = ensure_venv(line)
    instance_path.mkdir(parents=True, exist_ok=True)
    env = instance_env(database_uri, instance_path)
    _run([bin_dir / "invenio", "alembic", "upgrade"], env=env)
    return _fill_script(
        database_uri, instance_path, "fill", *scenario.split(), line=line, paths=paths
    )


def read_instance(
    database_uri: str, instance_path: Path, written: dict, line=DEFAULT_LINE
) -> dict:
    """What InvenioRDM's package reads now of the user, jobs and runs it wrote."""
    ids = {
        "user_id": written["user_id"],
        "jobs": {key: job["id"] for key, job in written["jobs"].items()},
        "runs": {key: run["id"] for key, run in written["runs"].items()},
    }
    return _fill_script(database_uri, instance_path, "read", json.dumps(ids), line=line)


def jobs_schema(database_uri: str) -> dict:
    """The jobs tables as the database has them: columns, keys, indexes, names.

    What a downgrade must give back exactly as InvenioRDM made it, constraint
    names included.
    """
    engine = sa.create_engine(database_uri)
    try:
        inspector = sa.inspect(engine)
        found = {}
        for table in ("jobs_job", "jobs_run"):
            found[table] = {
                "columns": sorted(
                    (c["name"], str(c["type"]), c["nullable"])
                    for c in inspector.get_columns(table)
                ),
                "primary_key": inspector.get_pk_constraint(table)["name"],
                "foreign_keys": sorted(
                    (
                        fk["name"],
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        (fk.get("options") or {}).get("ondelete"),
                    )
                    for fk in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
            }
        return found
    finally:
        engine.dispose()


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


def upgrade_with_ours(database_uri: str, instance_path: Path, target=None) -> str:
    """Run ``invenio alembic upgrade [target]`` with our package; its output."""
    ours = Path(sys.executable).parent / "invenio"
    env = instance_env(database_uri, instance_path)
    _run([sys.executable, "-c", FORGET_UNKNOWN], env=env)
    result = subprocess.run(
        [str(ours), "alembic", "upgrade", *([target] if target else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise InstanceError(f"our upgrade failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


@contextmanager
def instance_database(suite_uri: str, name: str):
    """A database ``<suite>_<name>`` next to the suite's; dropped afterwards."""
    url = sa.engine.make_url(suite_uri)
    uri = url.set(database=f"{url.database}_{name}").render_as_string(
        hide_password=False
    )
    if database_exists(uri):
        drop_database(uri)
    create_database(uri)
    try:
        yield uri
    finally:
        drop_database(uri)


@contextmanager
def upgraded_instance(suite_uri: str, instance_path: Path, scenario: str):
    """An InvenioRDM database next to the suite's, filled, upgraded with ours.

    Yields ``(database URI, what InvenioRDM wrote)``; the database is dropped
    afterwards.
    """
    with instance_database(suite_uri, f"rdm_{scenario.split()[0]}") as uri:
        written = make_instance(uri, instance_path, scenario)
        upgrade_with_ours(uri, instance_path)
        yield uri, written


def main():
    """Make the scratch environments of the lines named (all by default)."""
    for line in sys.argv[1:] or sorted(HEADS):
        _, seconds = ensure_venv(line)
        print(f"{venv_of(line)}: ready in {seconds:.1f} s")


if __name__ == "__main__":
    main()
