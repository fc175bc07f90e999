#!/usr/bin/env bash
# Part of `make bench` (issue 33): the time of a sync of a 500-event calendar (first, then
# unchanged with and without the server's ETag), and of a 1,000-row upload (dry run, then
# made), each beside a reference measured in the same run: the same offers made one by one
# with POST /v1/offers. A private PostgreSQL, a release build; prints a few lines.
# BENCH_EVENTS (default 500), BENCH_ROWS (default 1000).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make --no-print-directory -j"$(nproc)" all >/dev/null
events=${BENCH_EVENTS:-500}
rows=${BENCH_ROWS:-1000}
work=$(mktemp -d /tmp/stek-bench-cal.XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port); pgport=$(free_port); cport=$(free_port)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    STEK_PGDATA=$work/pg service/tools/localdb.sh stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
eval "export $(STEK_PGDATA=$work/pg STEK_PGPORT=$pgport service/tools/localdb.sh start)"
build/stek-migrate up >/dev/null
token=$(build/stekd create-admin-key bench)
STEK_PORT=$port STEK_WRITES_PER_MINUTE=0 STEK_CALENDAR_ALLOW=127.0.0.1 \
    STEK_CALENDAR_SYNC_MINUTES=1440 build/stekd 2>/dev/null &
pids+=($!)
python3 - "$cport" "$events" "$work" <<'PY' &
import http.server, sys, datetime
port, n, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
start = datetime.date.today() - datetime.timedelta(days=30)
ev = []
for i in range(n):
    d = start + datetime.timedelta(days=i % 28)
    x = d + datetime.timedelta(days=7 * (2 + i % 9))
    ev.append("BEGIN:VEVENT\r\nUID:bench-%d@example.org\r\nDTSTAMP:20261201T000000Z\r\n"
              "DTSTART;TZID=Europe/Brussels:%sT%02d0000\r\nDTEND;TZID=Europe/Brussels:%sT%02d3000\r\n"
              "RRULE:FREQ=WEEKLY;BYDAY=%s\r\nEXDATE;TZID=Europe/Brussels:%sT%02d0000\r\n"
              "SUMMARY:Activiteit %d\r\nDESCRIPTION:Een activiteit in de buurt\\, voor iedereen.\r\n"
              "END:VEVENT\r\n" % (i, d.strftime("%Y%m%d"), 9 + i % 10, d.strftime("%Y%m%d"),
                                  9 + i % 10, days[d.weekday()], x.strftime("%Y%m%d"), 9 + i % 10, i))
body = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nX-WR-TIMEZONE:Europe/Brussels\r\n"
        + "".join(ev) + "END:VCALENDAR\r\n").encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        tagged = self.path.startswith("/etag")
        if tagged and self.headers.get("If-None-Match") == '"b"':
            self.send_response(304); self.end_headers(); return
        self.send_response(200)
        if tagged:
            self.send_header("ETag", '"b"')
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$token" "$cport" "$events" "$rows" <<'PY'
import json, sys, time, urllib.request
port, token, cport, n, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
base = f"http://127.0.0.1:{port}"
def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": ctype})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        out = json.loads(r.read() or b"null")
    return out, time.perf_counter() - t
p, _ = call("POST", "/v1/partners", {"name": "Bench", "kind": "welfare"})
s, _ = call("POST", "/v1/sites", {"name": "Bench", "address": {"street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}})
def sync(path):
    cal, _ = call("POST", f"/v1/partners/{p['id']}/calendars", {"url": f"http://127.0.0.1:{cport}/{path}", "site_id": s["id"], "functions": ["meeting"]})
    return cal, [call("POST", f"/v1/partners/{p['id']}/calendars/{cal['id']}/sync")[0] for _ in range(3)]
_, (first, again, third) = sync("plain")
_, (_, tagged, _) = sync("etag")
t0 = time.perf_counter()
for i in range(n):
    call("POST", "/v1/offers", {"title": f"Referentie {i}", "site_id": s["id"], "partner_id": p["id"], "functions": ["meeting"],
         "description": "Een activiteit in de buurt, voor iedereen.",
         "schedules": [{"dtstart": "2026-12-01", "rrule": "FREQ=WEEKLY;BYDAY=TU", "start_time": "10:00", "end_time": "11:30"}]})
ref = time.perf_counter() - t0
print(f"calendar of {n} events: first sync {first['ms']} ms ({first['created']} offers made), unchanged {again['ms']} ms"
      f" (read whole, nothing written), with ETag {tagged['ms']} ms (304); the same {n} offers made one by one"
      f" with POST /v1/offers {ref*1000:.0f} ms: first sync / reference = {first['ms']/(ref*1000):.2f}")
lines = ["title;site;partner;functions;dtstart;rrule;start_time;end_time;free"] + [
    f"Rij {i};{s['id']};{p['id']};meeting;2026-12-01;elke dinsdag;10:00;11:30;ja" for i in range(rows)]
csv = ("\n".join(lines) + "\n").encode()
dry, t_dry = call("POST", "/v1/imports/offers?dry_run=true", csv, "text/csv")
made, t_made = call("POST", "/v1/imports/offers", csv, "text/csv")
assert not dry["errors"] and made["created"] == rows, (dry["errors"][:3], made)
print(f"upload of {rows} rows: dry run {t_dry*1000:.0f} ms (goal < 2000), made {t_made*1000:.0f} ms;"
      f" {n} offers one by one {ref*1000:.0f} ms, i.e. {ref/n*rows*1000:.0f} ms for {rows}: upload / one by one = {t_made/(ref/n*rows):.2f}")
PY
