#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the store tests and print its SQLAlchemy URL.
#
#   export CNSMM_TEST_PG_URL="$(scripts/start-postgres.sh)"
#   scripts/start-postgres.sh --stop DIR    # DIR is printed on stderr at start
#
# Uses Debian's server binaries (/usr/lib/postgresql/<version>/bin, package `postgresql`).
# The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only, on a free port
# (or $CNSMM_PG_PORT), trusts local connections and runs with fsync off: test data only.
# PostgreSQL refuses to run as root, so when started as root the cluster is owned by and run
# as the `postgres` OS user (or $CNSMM_PG_OS_USER).
set -euo pipefail

pg_bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        echo "error: no PostgreSQL server found under /usr/lib/postgresql/*/bin." \
             "Install it with: apt-get install -y postgresql" >&2
        exit 2
    fi
    echo "$dir"
}

BIN=${PGBIN:-$(pg_bin_dir)}
OS_USER=${CNSMM_PG_OS_USER:-postgres}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$OS_USER" -- "$@"
    else
        "$@"
    fi
}

if [[ "${1:-}" == "--stop" ]]; then
    dir=${2:?usage: start-postgres.sh --stop DIR}
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    rm -rf "$dir"
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && ! id "$OS_USER" >/dev/null 2>&1; then
    echo "error: running as root needs a non-root OS user '$OS_USER' to own the cluster." \
         "Create it (useradd --system $OS_USER) or set CNSMM_PG_OS_USER." >&2
    exit 2
fi

PORT=${CNSMM_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/cnsmm-pg.XXXXXX")
chmod 700 "$DIR"
if [[ $(id -u) -eq 0 ]]; then
    chown "$OS_USER" "$DIR"
fi

as_owner "$BIN/initdb" -D "$DIR/data" -U cnsmm --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 2; }
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 2; }
as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U cnsmm cnsmm

echo "PostgreSQL running in $DIR (stop with: $0 --stop $DIR)" >&2
echo "postgresql+psycopg://cnsmm@127.0.0.1:$PORT/cnsmm"
