# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""An InvenioRDM release's own virtual environment, with our wheel in it.

``python tests/dropin/line_venv.py v14`` builds this checkout's wheel of the
line (``./build-wheel.sh``), then makes ``.test-cache/line-v14``: pip
resolves InvenioRDM's packages of that release (``release-lines.toml``)
together with our wheel, as an instance maintainer's ``pip install`` would.
It then checks what the README promises: pip kept our package (not
InvenioRDM's invenio-jobs) and ``pip check`` finds nothing broken. The last
line printed is the environment's Python, for ``run-tests.sh --line``.

The environment is made once per InvenioRDM requirement; later runs only
put the freshly built wheel in place (and check again).
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
CACHE = CHECKOUT / ".test-cache"
TEST_TOOLS = ("pytest>=8,<10",)
"""What the drop-in tests need besides the instance's own packages."""


class LineError(RuntimeError):
    """The environment could not be made, or breaks a promise of the README."""


def _run(command, **kwargs) -> str:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, **kwargs
    )
    if result.returncode != 0:
        raise LineError(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def line_config(line: str) -> dict:
    """The line's table of ``release-lines.toml``, with the shared patch."""
    config = tomllib.loads((CHECKOUT / "release-lines.toml").read_text())
    if line not in config["lines"]:
        raise LineError(f"{line}: not a line of release-lines.toml")
    found = dict(config["lines"][line])
    found["version"] = f"{found['major']}.90.{config['patch']}"
    return found


def build_wheel(line: str, dist: Path) -> Path:
    """This checkout's wheel of ``line``, freshly built into ``dist``."""
    _run(
        [CHECKOUT / "build-wheel.sh", line],
        env={**os.environ, "DIST_DIR": str(dist), "PYTHON": sys.executable},
    )
    (wheel,) = dist.glob("invenio_jobs-*.whl")
    return wheel


def _pip(python: Path, *args) -> str:
    return _run([python, "-m", "pip", *args, "--disable-pip-version-check"])


def ensure_line_venv(line: str) -> Path:
    """The Python of the line's environment, with this checkout's wheel in it."""
    config = line_config(line)
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"dist-{line}-", dir=CACHE) as dist:
        python = _install(line, config, build_wheel(line, Path(dist)))
    check_promises(python, config)
    return python


def _install(line: str, config: dict, wheel: Path) -> Path:
    """Make the environment (or put the wheel in place); its Python."""
    venv = CACHE / f"line-{line}"
    python = venv / "bin" / "python"
    stamp = venv / "inveniordm.sha256"
    wanted = hashlib.sha256(
        json.dumps([config["inveniordm"], TEST_TOOLS, sys.version]).encode()
    ).hexdigest()
    ours = f"invenio-jobs[postgresql] @ {wheel.as_uri()}"
    if not (stamp.exists() and stamp.read_text() == wanted and python.exists()):
        _run([sys.executable, "-m", "venv", "--clear", venv])
        _pip(python, "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel")
        # One resolution of InvenioRDM's release and our wheel, as an
        # instance maintainer installs us.
        _pip(python, "install", "--quiet", config["inveniordm"], ours, *TEST_TOOLS)
        stamp.write_text(wanted)
    else:
        _pip(python, "install", "--quiet", "--no-deps", "--force-reinstall", wheel)
    return python


def check_promises(python: Path, config: dict):
    """Check that pip kept our package of this line and that nothing is broken."""
    probe = (
        "import importlib.metadata as m, invenio_jobs.lifecycle;"
        "print(m.version('invenio-jobs'))"
    )
    # Run outside the checkout, whose own folder would be imported first.
    installed = _run([python, "-c", probe], cwd=tempfile.gettempdir())
    installed = installed.strip().splitlines()[-1]
    if installed != config["version"]:
        raise LineError(
            f"pip installed invenio-jobs {installed}, not ours ({config['version']})"
        )
    _pip(python, "check")


def main():
    """Make (or refresh) the environment of the line named; print its Python."""
    try:
        python = ensure_line_venv(sys.argv[1])
    except LineError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    print(python)


if __name__ == "__main__":
    main()
