#!/usr/bin/env bash
# `make bench`: throughput and latency of stekd with wrk on loopback
# (keep-alive on), against a private PostgreSQL cluster with demo data.
# Release build (make all), not the sanitizer build. Prints one table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v wrk >/dev/null || service/tools/deps.sh --test

duration=${BENCH_DURATION:-10}
pgdir=$(mktemp -d /tmp/stek-bench-pg.XXXXXX)
chmod 755 "$pgdir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
daemon_pid=""
cleanup() {
    [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    STEK_PGDATA=$pgdir service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup EXIT

eval "export $(STEK_PGDATA=$pgdir STEK_PGPORT=$pgport service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null
STEK_PORT=$port build/stekd 2>/dev/null &
daemon_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 service/demo/load_demo.py "http://127.0.0.1:$port" "$(build/stekd create-admin-key bench)"
partner=$(curl -s "http://127.0.0.1:$port/v1/partners?limit=2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][1]["id"])')
printf '\n%-32s %6s %12s %9s %9s\n' "endpoint" "conns" "requests/s" "p50" "p99"
for path in /healthz "/v1/partners/$partner"; do
    for conns in 8 64; do
        out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port$path")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
        printf '%-32s %6s %12s %9s %9s %s\n' "GET ${path:0:28}" "$conns" "$rps" "$p50" "$p99" "$errs"
    done
done
rss=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$daemon_pid/status")
echo
echo "peak RSS of stekd: $rss; $(nproc) cores; wrk -t2, ${duration}s per row, keep-alive on"
