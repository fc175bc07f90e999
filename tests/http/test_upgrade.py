"""A rolling upgrade, proven (issue 35; README "Upgrading").

The previous release (the commit in .ci/previous-release, built from the repository's own
history) serves with two daemons behind nginx, which retries a request on the other daemon
when one goes away. Under a steady load of feed reads and signal writes (each with its
Idempotency-Key), the schema is migrated forward with this release's stek-migrate, then the
daemons are restarted one at a time on this release. No request fails, and every signal that
was acknowledged is in the database, once. Before the restarts, the old daemons answer reads
and writes of every kind on the new schema (the rule: expand, then contract a release later).
"""
import datetime
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import (BUILD, ROOT, Daemon, assert_clean_exit, cli, create_database,
                      drop_database, free_port, psql, unique, wait_until)

PREVIOUS = (ROOT / ".ci" / "previous-release").read_text().strip()
PREV = ROOT / "build" / "previous"


@pytest.fixture(scope="module")
def previous():
    """The previous release's stekd and stek-migrate, built once (release build)."""
    stamp = PREV / "commit"
    if not (stamp.exists() and stamp.read_text() == PREVIOUS and (PREV / "stekd").exists()):
        tree = PREV / "tree"
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)
        subprocess.run(["rm", "-rf", str(tree)])
        out = subprocess.run(["git", "worktree", "add", "--detach", str(tree), PREVIOUS],
                             cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        out = subprocess.run(["make", "-j2", f"BUILD={PREV}", f"{PREV}/stekd", f"{PREV}/stek-migrate"],
                             cwd=tree, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-3000:]
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)
        stamp.write_text(PREVIOUS)
    return PREV


class Prev(Daemon):
    """A daemon of the previous release (the same launcher, another binary)."""

    def __init__(self, url, tmp, port=None, **env):
        import conftest
        saved = conftest.BUILD
        conftest.BUILD = PREV
        try:
            super().__init__(url, tmp, **env)
        finally:
            conftest.BUILD = saved


def start_on(cls, url, tmp, port, **env):
    """A daemon on a given port (the one nginx sends to)."""
    import conftest
    saved = conftest.free_port
    conftest.free_port = lambda: port
    try:
        return cls(url, tmp, **env)
    finally:
        conftest.free_port = saved


NGINX = """worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    upstream stek {{ server 127.0.0.1:{a} max_fails=0; server 127.0.0.1:{b} max_fails=0; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://stek;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 4;
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def test_a_rolling_upgrade_under_load_fails_no_request_and_loses_no_write(previous, tmp_path):
    name, url = create_database()
    env = dict(os.environ, DATABASE_URL=url)
    assert subprocess.run([str(previous / "stek-migrate"), "up"], env=env, capture_output=True,
                          timeout=60).returncode == 0
    token = subprocess.run([str(previous / "stekd"), "create-admin-key", "upgrade"], env=env,
                           capture_output=True, text=True, timeout=30).stdout.strip()
    pa, pb, pn = free_port(), free_port(), free_port()
    daemons = {"a": start_on(Prev, url, tmp_path, pa, STEK_WRITES_PER_MINUTE=0),
               "b": start_on(Prev, url, tmp_path, pb, STEK_WRITES_PER_MINUTE=0)}
    (tmp_path / "nginx.conf").write_text(NGINX.format(work=tmp_path, a=pa, b=pb, port=pn))
    assert subprocess.run(["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                          capture_output=True).returncode == 0
    base = f"http://127.0.0.1:{pn}"
    auth = {"Authorization": f"Bearer {token}"}
    s = requests.Session()
    try:
        p = s.post(base + "/v1/partners", headers=auth, json={"name": unique("Buurtwerk"),
                                                              "kind": "welfare"}).json()
        site = s.post(base + "/v1/sites", headers=auth, json={"name": unique("Buurthuis"),
                      "address": {"street": "Markt 1", "postal_code": "2920",
                                  "municipality": "Kalmthout"}}).json()
        app = s.post(base + "/v1/keys", headers=auth, json={
            "name": "app", "role": "partner", "partner_id": p["id"]}).json()["token"]
        offer = s.post(base + "/v1/offers", headers=auth, json={
            "title": unique("Koffiemoment"), "site_id": site["id"], "partner_id": p["id"],
            "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-01", "rrule":
            "FREQ=WEEKLY;BYDAY=TU", "start_time": "10:00", "end_time": "12:00"}]}).json()

        failures, acknowledged, counts = [], [], {"reads": 0, "writes": 0}
        stop = threading.Event()

        def reader():
            rs = requests.Session()
            while not stop.is_set():
                r = rs.get(base + "/v1/feed", params={"municipality": "Kalmthout",
                                                      "from": "2026-12-01", "to": "2026-12-28"})
                if r.status_code != 200:
                    failures.append(f"GET feed {r.status_code} {r.text[:200]}")
                counts["reads"] += 1

        def writer():
            ws = requests.Session()
            while not stop.is_set():
                key = uuid.uuid4().hex
                r = ws.post(base + "/v1/signals", headers={
                    "Authorization": f"Bearer {app}", "Idempotency-Key": key}, json={
                    "kind": "barrier", "theme": "energy", "site_id": site["id"],
                    "occurred_on": datetime.date.today().isoformat()})
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])
                else:
                    failures.append(f"POST signal {r.status_code} {r.text[:200]}")
                counts["writes"] += 1

        load = [threading.Thread(target=f) for f in (reader, reader, writer, writer)]
        for t in load:
            t.start()
        wait_until(lambda: counts["writes"] > 20, 30, "the load runs")
        # 1. the schema forward, the old daemons serving
        out = subprocess.run([str(BUILD / "stek-migrate"), "up"], env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        # the old daemons on the new schema: reads and writes of every kind
        old = f"http://127.0.0.1:{pa}"
        assert requests.get(old + f"/v1/offers/{offer['id']}").status_code == 200
        assert requests.patch(old + f"/v1/offers/{offer['id']}", headers=auth,
                              json={"audience": "iedereen"}).status_code == 200
        assert requests.get(old + "/v1/offers", params={"q": "koffiemoment"}).json()["items"]
        assert requests.get(old + "/hsds/services").status_code == 200
        assert requests.post(old + "/v1/partners", headers=auth, json={
            "name": unique("Nieuw"), "kind": "welfare"}).status_code == 201
        # 2. one daemon at a time on this release
        for k, port in (("a", pa), ("b", pb)):
            before = counts["writes"]
            code, log = daemons[k].stop()
            assert code == 0, log[-2000:]
            daemons[k] = start_on(Daemon, url, tmp_path, port, STEK_WRITES_PER_MINUTE=0)
            wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/readyz").status_code == 200,
                       30, "the new daemon is ready")
            wait_until(lambda: counts["writes"] > before + 20, 30, "the load goes on")
        stop.set()
        for t in load:
            t.join()
        assert not failures, failures[:5]
        assert counts["reads"] > 50 and len(acknowledged) > 50, counts
        stored = psql(url, "SELECT count(*), count(DISTINCT id) FROM signals").split("|")
        assert stored == [str(len(acknowledged))] * 2
        ids = set(psql(url, "SELECT id FROM signals").split())
        assert ids == set(acknowledged)
        # the new release serves what it brought: the one search
        assert requests.get(base + "/v1/offers", params={"q": "koffiemomenten"}).json()["items"]
    finally:
        nginx_pid = tmp_path / "nginx.pid"
        if nginx_pid.exists():
            os.kill(int(nginx_pid.read_text()), signal.SIGTERM)
        for d in daemons.values():
            d.stop()
        drop_database(name)
