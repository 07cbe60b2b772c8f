# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The built wheel carries everything the package needs at run time."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _package_files():
    """Files of the package in the source tree, as paths inside a wheel."""
    for path in (ROOT / "invenio_jobs").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(ROOT).as_posix()


def test_wheel_contains_every_package_file(tmp_path):
    """Migrations, templates and assets are in the wheel, not only the code."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("invenio_jobs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set(_package_files())
    assert any(name.startswith("invenio_jobs/alembic/") for name in expected)
    assert expected - names == set()
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[invenio_db.alembic]" in text
    assert "invenio_jobs = invenio_jobs:InvenioJobs" in text
