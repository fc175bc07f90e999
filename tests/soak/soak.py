"""The soak's load and its record (tests/soak/run.sh starts what it needs).

Eight clients for --minutes: the feed (JSON and iCalendar, different municipalities, windows
and searches), the offers and sites lists, HSDS services, signals from two partner apps (one in
five a referral to a partner whose webhook receives it), offer edits and confirmations by an
administrator. Every minute: the daemon's RSS, open file descriptors and threads (/proc), its
database connections (pg_stat_activity), and the minute's requests, errors and p99. Writes
OUT/soak.csv and OUT/soak.svg, prints a summary, and exits 1 on growth that does not level off:
a figure whose last third stands above its middle third by more than its tolerance (RSS 10 %
and 8 MB; descriptors, threads and connections 3), or any request that failed.
"""
import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ap = argparse.ArgumentParser()
for a in ("base", "token", "pid", "db", "receiver", "minutes", "out"):
    ap.add_argument("--" + a, required=True)
args = ap.parse_args()
BASE, TOKEN, PID, MINUTES = args.base, args.token, int(args.pid), float(args.minutes)


def call(method, path, body=None, tok=TOKEN, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if tok:
        h["Authorization"] = "Bearer " + tok
    req = urllib.request.Request(BASE + path, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        data = r.read()
        return r.status, (json.loads(data) if data[:1] in (b"{", b"[") else data)


# ---- what the load works with ----
sites = call("GET", "/v1/sites?limit=100")[1]["items"]
towns = sorted({s["address"]["municipality"] for s in sites})
offers = call("GET", "/v1/offers?limit=100")[1]["items"]
a = call("POST", "/v1/partners", {"name": "Soak app A " + uuid.uuid4().hex[:6], "kind": "welfare"})[1]
b = call("POST", "/v1/partners", {"name": "Soak app B " + uuid.uuid4().hex[:6], "kind": "welfare"})[1]
ka = call("POST", "/v1/keys", {"name": "a", "role": "partner", "partner_id": a["id"]})[1]["token"]
kb = call("POST", "/v1/keys", {"name": "b", "role": "partner", "partner_id": b["id"]})[1]["token"]
call("POST", f"/v1/partners/{b['id']}/webhooks",
     {"url": args.receiver, "events": ["referral.created"]}, tok=kb)
WORDS = ["koffie", "formulieren", "repair café", "fiets", "taal", "schulden", "breien", "wandelen"]


def today(offset=0):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def op(rnd):
    """One request of the mix: (name, method, path, body, token, headers)."""
    x = rnd.random()
    town = urllib.parse.quote(rnd.choice(towns))
    if x < 0.35:
        q = f"&q={urllib.parse.quote(rnd.choice(WORDS))}" if rnd.random() < 0.3 else ""
        path = "/v1/feed.ics" if rnd.random() < 0.2 else "/v1/feed"
        return ("feed", "GET", f"{path}?municipality={town}&from={today(rnd.randint(0, 20))}{q}",
                None, None, None)
    if x < 0.50:
        return ("lists", "GET", rnd.choice([f"/v1/offers?municipality={town}",
                                           f"/v1/sites?municipality={town}", "/v1/partners",
                                           "/hsds/services?per_page=20",
                                           f"/v1/offers?q={urllib.parse.quote(rnd.choice(WORDS))}"]),
                None, None, None)
    if x < 0.85:
        s = rnd.choice(sites)
        body = {"kind": "barrier", "theme": "energy", "site_id": s["id"], "occurred_on": today()}
        if rnd.random() < 0.2:
            body = dict(body, kind="referral", referred_to_partner_id=b["id"])
        return ("signals", "POST", "/v1/signals", body, rnd.choice([ka, kb]),
                {"Idempotency-Key": uuid.uuid4().hex})
    o = rnd.choice(offers)
    if rnd.random() < 0.5:
        return ("offers", "POST", f"/v1/offers/{o['id']}/confirm", None, TOKEN, None)
    return ("offers", "PATCH", f"/v1/offers/{o['id']}",
            {"audience": rnd.choice(["iedereen", "buurtbewoners", "ouderen"])}, TOKEN,
            {"Content-Type": "application/merge-patch+json"})


lock = threading.Lock()
minute = {"lat": [], "errors": 0, "n": 0, "last_error": ""}
stop = threading.Event()


def client(seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        name, method, path, body, tok, headers = op(rnd)
        t0 = time.monotonic()
        try:
            call(method, path, body, tok, headers)
            ok, err = True, ""
        except urllib.error.HTTPError as e:
            ok, err = e.code == 429, f"{method} {path}: {e.code} {e.read()[:200]!r}"
        except Exception as e:  # noqa: BLE001 - a refused or reset connection is a failure
            ok, err = False, f"{method} {path}: {e}"
        dt = (time.monotonic() - t0) * 1000
        with lock:
            minute["lat"].append(dt)
            minute["n"] += 1
            if not ok:
                minute["errors"] += 1
                minute["last_error"] = err


def proc(pid):
    status = open(f"/proc/{pid}/status").read()
    field = lambda k: int(next(l.split()[1] for l in status.splitlines() if l.startswith(k)))
    return field("VmRSS:") * 1024, len(os.listdir(f"/proc/{pid}/fd")), field("Threads:")


def connections():
    out = subprocess.run(["psql", args.db, "-X", "-qtA", "-c",
                          "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'stekd%'"],
                         capture_output=True, text=True, timeout=30)
    return int(out.stdout.strip() or 0)


threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
for t in threads:
    t.start()
rows = []
t_start = time.time()
print(f"soak: {MINUTES:g} minutes of mixed load; a row a minute", flush=True)
print("minute    rss_MiB  fds  threads  db_conns  requests  errors  p99_ms", flush=True)
while time.time() - t_start < MINUTES * 60:
    time.sleep(max(0.0, 60 - (time.time() - t_start) % 60))
    with lock:
        lat, n, errors, last = sorted(minute["lat"]), minute["n"], minute["errors"], minute["last_error"]
        minute.update(lat=[], n=0, errors=0, last_error="")
    rss, fds, nthreads = proc(PID)
    p99 = lat[int(len(lat) * 0.99)] if lat else 0.0
    row = dict(minute=len(rows) + 1, rss=rss, fds=fds, threads=nthreads, conns=connections(),
               requests=n, errors=errors, p99=round(p99, 1))
    rows.append(row)
    print(f"{row['minute']:6} {rss / 2**20:10.1f} {fds:4} {nthreads:8} {row['conns']:9}"
          f" {n:9} {errors:7} {p99:7.1f}" + (f"  {last}" if last else ""), flush=True)
stop.set()

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "soak.csv"), "w") as f:
    f.write("minute,rss_bytes,fds,threads,db_connections,requests,errors,p99_ms\n")
    for r in rows:
        f.write(f"{r['minute']},{r['rss']},{r['fds']},{r['threads']},{r['conns']},"
                f"{r['requests']},{r['errors']},{r['p99']}\n")


def svg(rows, path):
    """Four small charts, one a figure, minute by minute (no plotting library needed)."""
    charts = [("RSS (MiB)", [r["rss"] / 2**20 for r in rows]), ("open descriptors", [r["fds"] for r in rows]),
              ("threads / db connections", [r["threads"] for r in rows]),
              ("p99 (ms)", [r["p99"] for r in rows])]
    w, h, pad = 460, 180, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * w}" height="{2 * h + 30}"'
             ' font-family="sans-serif" font-size="11">',
             f'<text x="10" y="18" font-size="14">stek soak: {len(rows)} minutes,'
             f' {sum(r["requests"] for r in rows)} requests, {sum(r["errors"] for r in rows)} failed</text>']
    for i, (title, ys) in enumerate(charts):
        ox, oy = (i % 2) * w, 30 + (i // 2) * h
        top = max(max(ys or [1]) * 1.15, 1)
        pts = " ".join(f"{ox + pad + (w - 2 * pad) * k / max(len(ys) - 1, 1):.1f},"
                       f"{oy + h - pad - (h - 2 * pad) * y / top:.1f}" for k, y in enumerate(ys))
        parts += [f'<rect x="{ox + pad}" y="{oy + pad}" width="{w - 2 * pad}" height="{h - 2 * pad}"'
                  ' fill="none" stroke="#ccc"/>',
                  f'<text x="{ox + pad}" y="{oy + pad - 6}">{title}: 0 to {top:.0f}</text>',
                  f'<polyline points="{pts}" fill="none" stroke="#1f6f8b" stroke-width="1.5"/>']
        if title.startswith("threads"):
            cs = [r["conns"] for r in rows]
            pts = " ".join(f"{ox + pad + (w - 2 * pad) * k / max(len(cs) - 1, 1):.1f},"
                           f"{oy + h - pad - (h - 2 * pad) * y / top:.1f}" for k, y in enumerate(cs))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="#c2571a" stroke-width="1.5"/>')
        parts.append(f'<text x="{ox + pad}" y="{oy + h - pad + 14}">minute 1</text>'
                     f'<text x="{ox + w - pad - 50}" y="{oy + h - pad + 14}">minute {len(ys)}</text>')
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts) + "\n")


svg(rows, os.path.join(args.out, "soak.svg"))

# ---- the verdict: growth that does not level off ----
failures = []
third = max(len(rows) // 3, 1)
if len(rows) >= 3:
    middle, last = rows[third:2 * third], rows[-third:]
    mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)
    for key, rel, absolute in (("rss", 0.10, 8 * 2**20), ("fds", 0, 3), ("threads", 0, 3),
                               ("conns", 0, 3)):
        grew = mean(last, key) - mean(middle, key)
        if grew > max(rel * mean(middle, key), absolute):
            failures.append(f"{key} grew by {grew:.0f} from the middle third to the last")
total_errors = sum(r["errors"] for r in rows)
if total_errors:
    failures.append(f"{total_errors} requests failed")
first, end = rows[0], rows[-1]
print(f"soak: {len(rows)} minutes, {sum(r['requests'] for r in rows)} requests, {total_errors} failed;"
      f" RSS {first['rss'] / 2**20:.1f} -> {end['rss'] / 2**20:.1f} MiB (max "
      f"{max(r['rss'] for r in rows) / 2**20:.1f}), descriptors {first['fds']} -> {end['fds']},"
      f" threads {first['threads']} -> {end['threads']}, db connections {first['conns']} ->"
      f" {end['conns']}, p99 {first['p99']} -> {end['p99']} ms (max {max(r['p99'] for r in rows)})")
print(f"soak: the record in {args.out}/soak.csv, the plot in {args.out}/soak.svg")
for f in failures:
    print("soak: FAILED: " + f)
sys.exit(1 if failures else 0)
