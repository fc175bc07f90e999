#!/usr/bin/env python3
"""The layer rule, checked (make test runs it): stekd's code is layered, and a file includes
headers of its own layer or of a lower one, never of a higher one.

  base      version.h, crypto.h, embedded.h           (no state, no I/O)
  domain    pure logic: recurrence, time zones, the feed's expansion and model, rendering,
            the privacy guard, languages (service/stekd/domain/)
  infra     config.h, log.h, metrics.h, job.h, notify.h, secrets.h: the process's
            configuration, log, counters, background jobs, systemd notifications and the key
            ring of the secrets sealed at rest,
            which every layer above the domain may use (the domain may not: it is pure)
  db        statements, connections, the listener, the key store, replicas (service/stekd/db/)
  http      the server, the pool, routing, requests and replies, caches (service/stekd/http/)
  handlers  one file per resource, and the route table (service/stekd/handlers/)
  jobs      the background jobs of the daemon: maintenance, watchdog, webhook delivery
            (service/stekd/jobs/; the listener, the feed model's loader and the replica
            monitor are jobs of the db layer, on the same facility, job.h)
  top       main (the tables of subcommands and of stages), config, log, metrics, the job
            facility (service/stekd/*.c)

A header belongs to the layer of the file that implements it (the path its first comment
names, else the table below). Prints every include that points up and exits 1 if there is
one; with --graph, prints the layer graph (what docs/architecture.md draws).
"""
import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("STEK_LAYERS_ROOT") or Path(__file__).resolve().parent.parent.parent)
ORDER = ["base", "domain", "infra", "db", "http", "handlers", "jobs", "top"]
HEADERS = {  # headers whose first comment names no implementing file
    "version.h": "base", "crypto.h": "base", "embedded.h": "base", "errors.def": "domain",
    "config.h": "infra", "log.h": "infra", "metrics.h": "infra", "metrics.def": "infra",
    "job.h": "infra", "notify.h": "infra", "secrets.h": "infra",
    "feedmodel.h": "domain", "i18n.h": "domain", "db.h": "db", "http.h": "http",
    "jspec.h": "http", "qspec.h": "http", "router.h": "http", "server.h": "http",
    "handlers.h": "handlers",
}


def header_layers():
    out = {}
    for h in sorted((ROOT / "include" / "stek").iterdir()):
        if h.name in HEADERS:
            out[h.name] = HEADERS[h.name]
            continue
        m = re.search(r"service/stekd/(?:([a-z]+)/)?[a-z_]+\.c", h.read_text())
        if m is None:
            sys.exit(f"layers: {h.name} names no implementing file; add it to HEADERS")
        out[h.name] = m.group(1) if m.group(1) else "top"
    return out


def file_layer(path, layers):
    rel = path.relative_to(ROOT)
    if rel.parts[0] == "include":
        return layers[path.name]
    if rel.parts[:2] == ("service", "common"):
        return "base"
    return rel.parts[2] if len(rel.parts) > 3 else "top"


def main():
    layers = header_layers()
    files = sorted((ROOT / "include" / "stek").iterdir()) + sorted(
        p for p in (ROOT / "service" / "stekd").rglob("*") if p.suffix in (".c", ".h", ".def"))
    up, graph = [], set()
    for f in files:
        me = file_layer(f, layers)
        for inc in re.findall(r'#include "stek/([a-z_]+\.(?:h|def))"', f.read_text()):
            them = layers.get(inc)
            if them is None:
                up.append(f"{f.relative_to(ROOT)}: unknown header {inc}")
                continue
            if them != me:
                graph.add((me, them))
            if ORDER.index(them) > ORDER.index(me):
                up.append(f"{f.relative_to(ROOT)} ({me}) includes {inc} ({them})")
    if "--graph" in sys.argv:
        for a, b in sorted(graph, key=lambda e: (ORDER.index(e[0]), ORDER.index(e[1]))):
            print(f"{a} -> {b}")
    for line in up:
        print("layers: up a layer:", line)
    print(f"layers: {len(files)} files, {len(up)} includes up a layer")
    return 1 if up else 0


if __name__ == "__main__":
    sys.exit(main())
