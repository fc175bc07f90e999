#!/usr/bin/env bash
# A private PostgreSQL cluster in a folder: `start` creates it if needed,
# starts it on a loopback port with its own socket folder and prints
# DATABASE_URL=...; `stop` stops it. Never touches the system cluster.
#
#   STEK_PGDATA  folder of the cluster (default: .pgdata in the project)
#   STEK_PGPORT  port (default 55432)
#   STEK_PGDATABASE  the database (default stek; make run-empty uses stek_empty)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${STEK_PGDATA:-$root/.pgdata}
port=${STEK_PGPORT:-55432}
db=${STEK_PGDATABASE:-stek}
[[ "$db" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "localdb: STEK_PGDATABASE must be a plain name" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    echo "localdb: PostgreSQL server binaries not found; run: make deps" >&2
    exit 1
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to postgres.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "localdb: user postgres cannot reach $dir (a parent folder is private);" >&2
            echo "         set STEK_PGDATA to a folder it can use, e.g. /tmp/stek-pgdata" >&2
            exit 1
        fi
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_owner mkdir -p "$dir/socket"
    if ! as_owner "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/postgresql.log" -w -t 30 \
            -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 ${STEK_PG_OPTIONS:-}" \
            >/dev/null || { tail -n 20 "$dir/postgresql.log" >&2; exit 1; }
    fi
    if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
    echo "DATABASE_URL=postgresql://postgres@127.0.0.1:$port/$db"
    ;;
stop)
    if [[ -f "$dir/data/PG_VERSION" ]] && as_owner "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null
        echo "local PostgreSQL stopped"
    else
        echo "local PostgreSQL is not running"
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
