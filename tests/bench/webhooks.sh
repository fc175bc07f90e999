#!/usr/bin/env bash
# Part of `make bench`: webhook events delivered per second to a receiver on loopback, with
# a private PostgreSQL and a release build; prints one line. BENCH_EVENTS (default 2000).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make --no-print-directory -j"$(nproc)" all >/dev/null
events=${BENCH_EVENTS:-2000}
work=$(mktemp -d /tmp/stek-bench-wh.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); pgport=$(free_port); rport=$(free_port)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    STEK_PGDATA=$work/pg service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
eval "export $(STEK_PGDATA=$work/pg STEK_PGPORT=$pgport STEK_PG_OPTIONS='-c max_connections=100' service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null
token=$(build/stekd create-admin-key bench)
STEK_PORT=$port STEK_WRITES_PER_MINUTE=0 STEK_WEBHOOK_ALLOW=127.0.0.1 build/stekd 2>/dev/null &
pids+=($!)
python3 - "$rport" >"$work/received" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204); self.end_headers()
        print(flush=True)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$token" "$rport" "$events" "$work/received" <<'PY'
import json, sys, time, urllib.request, uuid
port, token, rport, n, received = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
base = f"http://127.0.0.1:{port}"
def call(method, path, body, tok=token, headers=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json", **(headers or {})})
    return json.load(urllib.request.urlopen(req))
a = call("POST", "/v1/partners", {"name": "A", "kind": "welfare"})
b = call("POST", "/v1/partners", {"name": "B", "kind": "welfare"})
ka = call("POST", "/v1/keys", {"name": "a", "role": "partner", "partner_id": a["id"]})["token"]
kb = call("POST", "/v1/keys", {"name": "b", "role": "partner", "partner_id": b["id"]})["token"]
site = call("POST", "/v1/sites", {"name": "S", "address": {"street": "x", "postal_code": "2920", "municipality": "K"}})["id"]
call("POST", f"/v1/partners/{b['id']}/webhooks", {"url": f"http://127.0.0.1:{rport}/h", "events": ["referral.created"]}, tok=kb)
t0 = time.time()
for i in range(0, n, 500):
    call("POST", "/v1/signals/batch", {"signals": [{"kind": "referral", "theme": "energy", "site_id": site,
        "occurred_on": time.strftime("%Y-%m-%d"), "referred_to_partner_id": b["id"],
        "idempotency_key": uuid.uuid4().hex} for _ in range(min(500, n - i))]}, tok=ka)
t1 = time.time()
while sum(1 for _ in open(received)) < n and time.time() - t0 < 600:
    time.sleep(0.05)
t2 = time.time()
got = sum(1 for _ in open(received))
print(f"webhooks: {got}/{n} events delivered in {t2 - t0:.1f} s (posted in {t1 - t0:.1f} s):"
      f" {got / (t2 - t0):.0f} events/s to one receiver on loopback (one subscription: in order,"
      f" one at a time)")
PY
