# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Job system for InvenioRDM: run, schedule and follow background tasks.

The version and the requirements depend on the release line being built
(``release-lines.toml``): ``INVENIO_JOBS_LINE`` names it in a checkout
(``./build-wheel.sh`` sets it). An sdist already is one line's: its
``PKG-INFO`` holds the version, whose major names the line, so that a wheel
built from it on another machine keeps that line's requirements.
"""

import os
import re
import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def _line_of_sdist(lines):
    """The line whose major is the version in PKG-INFO, or None in a checkout."""
    pkg_info = HERE / "PKG-INFO"
    if not pkg_info.exists():
        return None
    found = re.search(r"^Version: (\d+)\.", pkg_info.read_text(), re.MULTILINE)
    majors = {str(line["major"]): name for name, line in lines.items()}
    return majors[found.group(1)]


def _line(config):
    """The name of the line to build and its table."""
    lines = config["lines"]
    name = (
        os.environ.get("INVENIO_JOBS_LINE")
        or _line_of_sdist(lines)
        or config["default"]
    )
    if name not in lines:
        raise SystemExit(
            f"INVENIO_JOBS_LINE={name!r}: not a release line of "
            f"release-lines.toml ({', '.join(sorted(lines))})"
        )
    return name, lines[name]


def _search_extras():
    """The search engines an instance may have; none is needed by this package."""
    return {
        engine: [f"invenio-search[{engine}]>=3.0.0,<4.0.0"]
        for engine in ("opensearch2", "opensearch1", "elasticsearch7")
    }


CONFIG = tomllib.loads((HERE / "release-lines.toml").read_text())
NAME, LINE = _line(CONFIG)

setup(
    version=f"{LINE['major']}.90.{CONFIG['patch']}",
    install_requires=CONFIG["common"] + LINE["requires"],
    extras_require={
        **_search_extras(),
        "tests": CONFIG["tests"] + LINE["tests"],
        "postgresql": ["invenio-db[postgresql]>=2.6.0,<3.0.0"],
        "sqlite": ["invenio-db>=2.6.0,<3.0.0"],
        "redis": ["redis>=5.0.0,<9.0.0"],
    },
)
