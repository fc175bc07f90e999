#!/usr/bin/env bash
# `make soak` (issue 35; not part of `make test`): a day's mixed load, compressed, for
# SOAK_MINUTES (default 60) against a release build with a private primary, a streaming
# replica the daemon reads from, and a webhook receiver: feed reads, lists, signals (some
# referrals, delivered to the receiver), offer writes. Every minute tests/soak/soak.py records
# the daemon's RSS, open file descriptors, threads, its database connections and the minute's
# p99; it writes build/soak/soak.csv and build/soak/soak.svg (the plot) and fails on growth
# that does not level off. SOAK_MINUTES=5 for a quick look.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make --no-print-directory -j"$(nproc)" all >/dev/null
minutes=${SOAK_MINUTES:-60}
out=$root/build/soak
mkdir -p "$out"
work=$(mktemp -d /tmp/stek-soak.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); pgport=$(free_port); rport=$(free_port); repl_port=$(free_port)
pids=()
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    as_pg "$pgbin/pg_ctl" stop -D "$work/replica/data" -m fast >/dev/null 2>&1 || true
    STEK_PGDATA=$work/pg service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
eval "export $(STEK_PGDATA=$work/pg STEK_PGPORT=$pgport STEK_PG_OPTIONS='-c max_connections=100' service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null
mkdir -p "$work/replica/socket"
chown -R postgres: "$work/replica" 2>/dev/null || true
as_pg "$pgbin/pg_basebackup" -D "$work/replica/data" -R -X stream -c fast \
    -h "$work/pg/socket" -p "$pgport" -U postgres
as_pg "$pgbin/pg_ctl" start -D "$work/replica/data" -l "$work/replica/postgresql.log" -w -t 60 \
    -o "-p $repl_port -k $work/replica/socket -c listen_addresses=''" >/dev/null
replica_url="postgresql://postgres@/stek?host=$work/replica/socket&port=$repl_port"
token=$(build/stekd create-admin-key soak)
python3 - "$rport" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
STEK_PORT=$port STEK_WRITES_PER_MINUTE=0 STEK_WEBHOOK_ALLOW=127.0.0.1 STEK_READ_URLS=$replica_url \
    build/stekd 2>"$out/stekd.log" &
daemon=$!
pids+=($daemon)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 service/demo/load_demo.py "http://127.0.0.1:$port" "$token" >/dev/null
python3 tests/soak/soak.py --base "http://127.0.0.1:$port" --token "$token" --pid "$daemon" \
    --db "$DATABASE_URL" --receiver "http://127.0.0.1:$rport/h" --minutes "$minutes" --out "$out"
