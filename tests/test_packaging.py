# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The built wheel carries everything the package needs at run time."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


LINES = {
    # line: (major, a requirement only that line has)
    "v13": ("5", "invenio-administration<5.0.0,>=4.0.0"),
    "v14": ("10", "invenio-administration<7.0.0,>=6.0.0"),
    "v15": ("11", "invenio-administration<8.0.0,>=7.0.0"),
}


def _metadata(wheel):
    """The METADATA of a wheel, as its header lines."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode()
    return text.split("\n\n", 1)[0].splitlines()


@pytest.mark.parametrize("line", sorted(LINES))
def test_each_release_line_builds_its_own_wheel(line, tmp_path):
    """``./build-wheel.sh vNN``: that line's version and ranges, from the sdist.

    The wheel is built from the sdist, so the sdist keeps its line without
    the variable that chose it. The build prints no packaging warning of
    ours (license classifiers, data folders that are not packages).
    """
    major, requirement = LINES[line]
    log = tmp_path / "build.log"
    env = {**os.environ, "DIST_DIR": str(tmp_path), "BUILD_LOG": str(log)}
    env["PYTHON"] = sys.executable
    env.pop("INVENIO_JOBS_LINE", None)
    subprocess.run([str(ROOT / "build-wheel.sh"), line], check=True, env=env)
    (wheel,) = tmp_path.glob("invenio_jobs-*.whl")
    (sdist,) = tmp_path.glob("invenio_jobs-*.tar.gz")
    metadata = _metadata(wheel)
    version = f"{major}.90."
    assert any(h.startswith(f"Version: {version}") for h in metadata), metadata
    assert sdist.name.startswith(f"invenio_jobs-{version}")
    assert f"Requires-Dist: {requirement}" in metadata
    assert "License-Expression: MIT" in metadata
    assert not any(h.startswith("Classifier: License") for h in metadata)
    # The search engine is the instance's choice.
    assert not any(
        h.startswith("Requires-Dist: invenio-search") and "extra ==" not in h
        for h in metadata
    )
    output = log.read_text()
    assert "License classifiers are deprecated" not in output
    assert "Package would be ignored" not in output
    assert "is absent from the `packages` configuration" not in output


def test_version_is_the_installed_distributions():
    """``invenio_jobs.__version__`` is read from the package's own metadata."""
    import importlib.metadata

    import invenio_jobs

    assert invenio_jobs.__version__ == importlib.metadata.version("invenio-jobs")
    with pytest.raises(AttributeError):
        invenio_jobs.no_such_name


def test_readme_table_matches_the_release_lines():
    """Each line's row: its InvenioRDM requirement, wheel version and target."""
    import tomllib

    from integration.inveniordm_instance import HEADS

    readme = (ROOT / "README.rst").read_text()
    config = tomllib.loads((ROOT / "release-lines.toml").read_text())
    for name, line in config["lines"].items():
        version = f"{line['major']}.90.{config['patch']}"
        install = (
            f'``pip install "{line["inveniordm"]}" '
            f"dist/invenio_jobs-{version}-py3-none-any.whl``"
        )
        assert install in readme, name
        row = readme[readme.index(install) :].split("* -", 1)[0]
        assert f"``{HEADS[name]}``" in row, name
