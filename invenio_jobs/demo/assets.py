# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Build the admin UI's JavaScript and CSS once, and again only after a change.

``python -m invenio_jobs.demo.assets [FOLDER]`` runs ``invenio webpack
buildall`` and ``invenio collect`` on the demo app, with the webpack project
in ``FOLDER/assets`` and the result in ``FOLDER/static``. A fingerprint of
everything the build reads (each bundle's files, dependencies and aliases,
and invenio-assets' package.json) is stored beside the result; while it
matches, the build is skipped. ``npm install`` takes minutes, a skipped
build a second. The demo and the browser tests share the folder.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from .paths import assets_env, assets_folder

__all__ = ("assets_env", "assets_folder", "build", "main", "project_fingerprint")

FINGERPRINT = ".invenio-jobs-assets"


def _hash_tree(digest, root: Path):
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def fingerprint(project) -> str:
    """A hash of every input of the build of ``project``."""
    digest = hashlib.sha256()
    digest.update(Path(project.package_json_source_path).read_bytes())
    for bundle in project.bundles:
        described = {
            "entry": bundle.entry,
            "dependencies": bundle.dependencies,
            "aliases": bundle.aliases,
        }
        digest.update(json.dumps(described, sort_keys=True, default=str).encode())
        _hash_tree(digest, Path(bundle.path))
    return digest.hexdigest()


def is_built(folder: Path, expected: str) -> bool:
    """Whether ``folder`` holds a build with this fingerprint."""
    stamp = folder / "static" / FINGERPRINT
    manifest = folder / "static" / "dist" / "manifest.json"
    return manifest.exists() and stamp.exists() and stamp.read_text() == expected


def project_fingerprint(folder: Path, app=None) -> str:
    """The fingerprint of the demo's project, read in ``app`` or a new demo app."""
    from flask_webpackext.proxies import current_webpack

    if app is None:
        from .app import create_demo_ui

        os.environ.update(assets_env(folder))
        app = create_demo_ui()
    with app.app_context():
        return fingerprint(current_webpack.project)


def build(folder: Path, force: bool = False, app=None) -> bool:
    """Build into ``folder`` unless it is up to date; True if it built.

    ``app``, a demo app the caller already has, saves making one to read
    the project's inputs.
    """
    expected = project_fingerprint(folder, app)
    if not force and is_built(folder, expected):
        return False
    env = {**os.environ, **assets_env(folder)}
    command = [sys.executable, "-m", "invenio_jobs.demo.cli"]
    (folder / "static").mkdir(parents=True, exist_ok=True)
    print(f"assets: building in {folder} (npm install and webpack; log in build.log)")
    with open(folder / "build.log", "w") as log:
        for step in (["collect"], ["webpack", "buildall"]):
            log.write(f"$ invenio {' '.join(step)}\n")
            log.flush()
            subprocess.run(
                [*command, *step], env=env, check=True, stdout=log, stderr=log
            )
    (folder / "static" / FINGERPRINT).write_text(expected)
    return True


def main(argv=None) -> int:
    """Build the assets when needed; exit 1 if the build fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="build even if current")
    args = parser.parse_args(argv)
    folder = (args.folder or assets_folder()).resolve()
    try:
        built = build(folder, force=args.force)
    except subprocess.CalledProcessError as exc:
        log = folder / "build.log"
        tail = log.read_text().splitlines()[-40:] if log.exists() else []
        print("\n".join(tail), file=sys.stderr)
        print(f"assets: the build failed ({exc}); see {log}", file=sys.stderr)
        return 1
    print(f"assets: {'built' if built else 'up to date'} in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
