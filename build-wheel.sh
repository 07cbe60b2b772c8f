#!/usr/bin/env bash
# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.
#
# Build one release line's sdist and wheel into dist/:
#
#   ./build-wheel.sh v13    # 5.90.N,  for InvenioRDM v13 (invenio-jobs>=5,<6)
#   ./build-wheel.sh v14    # 10.90.N, for InvenioRDM v14 (invenio-jobs>=10,<11)
#   ./build-wheel.sh v15    # 11.90.N, for InvenioRDM v15 (invenio-jobs>=11,<12)
#
# The lines, their versions and their requirements are in
# release-lines.toml. The wheel is built from the sdist, so the sdist is
# checked to build its own line. PYTHON names the interpreter (3.11+) that
# runs the build; the build frontend is installed into .venv-build when it
# lacks it. DIST_DIR names another output folder; the build's output is
# kept in BUILD_LOG (a temporary file by default) and shown on failure.

set -euo pipefail
cd "$(dirname "$0")"

LINE="${1:-}"
case "$LINE" in
    v13|v14|v15) ;;
    *) echo "usage: $0 v13|v14|v15" >&2; exit 2 ;;
esac

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -m build --version >/dev/null 2>&1; then
    [ -x .venv-build/bin/python ] || "$PYTHON" -m venv .venv-build
    .venv-build/bin/python -m pip install --quiet --upgrade pip "build>=1,<2"
    PYTHON=.venv-build/bin/python
fi

DIST_DIR="${DIST_DIR:-dist}"
BUILD_LOG="${BUILD_LOG:-$(mktemp -t "build-wheel-$LINE.XXXXXX")}"
mkdir -p "$DIST_DIR"
INVENIO_JOBS_LINE="$LINE" "$PYTHON" -m build --outdir "$DIST_DIR" . >"$BUILD_LOG" 2>&1 || {
    cat "$BUILD_LOG" >&2
    exit 1
}
grep -E "^Successfully built" "$BUILD_LOG"
