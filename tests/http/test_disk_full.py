"""Out of room (issue 35): the database's disk full, and its connections all taken.

A private cluster keeps the database in a tablespace on a 6 MB tmpfs (its WAL stays on the
main disk, as a real tablespace on its own volume would). Filled to the last byte: writes
answer 503 with Retry-After naming what happened, nothing is half-written (the same
Idempotency-Key afterwards makes the signal once), reads go on; room made, writes come back
by themselves. Then every connection slot of the server taken: a daemon that must connect
answers 503 with Retry-After, and serves again once slots are free.
"""
import datetime
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import (BIN, BUILD, Api, Cluster, Daemon, as_postgres, assert_clean_exit,
                      unique, wait_until)

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="mounts a tmpfs: needs root")


@pytest.fixture
def small():
    folder = tempfile.mkdtemp(prefix="stek-full-", dir="/tmp")
    os.chmod(folder, 0o755)
    room = os.path.join(folder, "small")
    os.makedirs(room)
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", room]).returncode == 0
    shutil.chown(folder, "postgres", "postgres")
    shutil.chown(room, "postgres", "postgres")
    cluster = Cluster(folder, "data")
    try:
        out = as_postgres(f"{BIN}/initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--locale=C.UTF-8")
        assert out.returncode == 0, out.stderr
        with open(os.path.join(cluster.data, "postgresql.auto.conf"), "a") as f:
            f.write("max_connections = 30\nsuperuser_reserved_connections = 1\n")
        cluster.start()
        cluster.psql(f"CREATE TABLESPACE small LOCATION '{room}'", db="postgres")
        cluster.psql("CREATE DATABASE stek TABLESPACE small", db="postgres")
        env = dict(os.environ, DATABASE_URL=cluster.uri())
        out = subprocess.run([str(BUILD / "stek-migrate"), "up"], env=env, timeout=60,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        token = subprocess.run([str(BUILD / "stekd"), "create-admin-key", "full"], env=env,
                               capture_output=True, text=True, timeout=30).stdout.strip()
        yield cluster, folder, token
    finally:
        cluster.stop("immediate")
        subprocess.run(["umount", "-l", room])
        shutil.rmtree(folder, ignore_errors=True)


def post_signal(api, site, key):
    return api.post("/v1/signals", headers={"Idempotency-Key": key}, json={
        "kind": "barrier", "theme": "energy", "site_id": site["id"],
        "occurred_on": datetime.date.today().isoformat()})


def unavailable(r, says):
    assert r.status_code == 503, r.text
    assert r.headers.get("Retry-After"), r.headers
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert says in r.json()["detail"], r.json()


def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(small, spec):
    cluster, folder, token = small
    d = Daemon(cluster.uri(), folder, STEK_WRITES_PER_MINUTE=0)
    try:
        admin = Api(d.base, spec, token)
        p = admin.post("/v1/partners", json={"name": unique("Buurtwerk"), "kind": "welfare"}).json()
        site = admin.post("/v1/sites", json={"name": unique("Buurthuis"), "address": {
            "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
        app = admin.as_key(admin.post("/v1/keys", json={
            "name": "app", "role": "partner", "partner_id": p["id"]}).json()["token"])
        assert admin.post("/v1/offers", json={
            "title": unique("Koffiemoment"), "site_id": site["id"], "partner_id": p["id"],
            "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-01", "rrule":
            "FREQ=WEEKLY;BYDAY=TU", "start_time": "10:00", "end_time": "12:00"}]}
        ).status_code == 201
        assert post_signal(app, site, uuid.uuid4().hex).status_code == 201
        signals = cluster.psql("SELECT count(*) FROM signals")
        # fill the tablespace to its last byte
        cluster.psql("CREATE TABLE filler (x text) TABLESPACE small")
        out = subprocess.run(["psql", cluster.uri(), "-X", "-qtA", "-c",
                              "INSERT INTO filler SELECT repeat(md5(g::text), 64)"
                              " FROM generate_series(1, 1000000) g"],
                             capture_output=True, text=True, timeout=120)
        assert "No space left on device" in out.stderr or "could not extend" in out.stderr, out
        # the pages the tables have left fill up, then the first write that needs another
        acknowledged = int(signals)
        for _ in range(2000):
            key = uuid.uuid4().hex
            r = post_signal(app, site, key)
            if r.status_code != 201:
                break
            acknowledged += 1
        unavailable(r, "out of room")
        # nothing half-written: every acknowledged signal, not the refused one
        assert cluster.psql("SELECT count(*) FROM signals") == str(acknowledged)
        # reads go on
        assert admin.get("/v1/offers").status_code == 200
        assert admin.get("/v1/feed", params={"municipality": "Kalmthout"}).status_code == 200
        assert admin.get("/v1/signals").status_code == 200
        # room made: writes come back by themselves, the same key makes the signal once
        cluster.psql("DROP TABLE filler")
        r = post_signal(app, site, key)
        assert r.status_code == 201, r.text
        assert post_signal(app, site, key).json()["id"] == r.json()["id"]
        assert cluster.psql("SELECT count(*) FROM signals") == str(acknowledged + 1)
    finally:
        assert_clean_exit(*d.stop())


def test_every_connection_slot_taken_answers_503_and_recovers(small, spec):
    cluster, folder, token = small
    # the daemon and the others as an ordinary role (as in production): the slot kept for
    # superusers stays free for this test's own checks
    cluster.psql("CREATE ROLE app LOGIN", db="postgres")
    cluster.psql("GRANT ALL ON ALL TABLES IN SCHEMA public TO app;"
                 " GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO app")
    app_url = cluster.uri().replace("postgres@", "app@")
    d = Daemon(app_url, folder, STEK_WRITES_PER_MINUTE=0, STEK_DB_CONNECTIONS=2)
    holders = []
    try:
        admin = Api(d.base, spec, token)
        assert admin.get("/v1/partners").status_code == 200
        # the daemon's connections end, and others take every slot left
        cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE application_name LIKE 'stekd%'", db="postgres")
        def apps():
            """Connections of the ordinary role, or None while the server is too full to ask
            (a client still being turned away holds a slot for a moment)."""
            out = subprocess.run(["psql", cluster.uri("postgres"), "-X", "-qtA", "-c",
                                  "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'"],
                                 capture_output=True, text=True, timeout=30)
            return int(out.stdout) if out.returncode == 0 else None

        # as many others as there are slots left for the role (29 of 30), one at a time
        while (apps() or 0) < 29 and len(holders) < 60:
            holders.append(subprocess.Popen(["psql", app_url, "-X", "-qtA", "-c",
                                             "SELECT pg_sleep(120)"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            n = len(holders)
            wait_until(lambda: apps() is not None and (apps() >= 29 or holders[-1].poll() is not None
                                                       or apps() >= n), 20, "a holder connected")
        wait_until(lambda: apps() == 29, 20, "every slot of the role is taken")
        # (a requests.Response is false when not ok: wrapped in a list)
        r = wait_until(lambda: (lambda x: [x] if x.status_code == 503 else None)(
            admin.post("/v1/partners", json={"name": unique("P"), "kind": "x"})), 20,
            "a write finds no slot")[0]
        unavailable(r, "connections all taken")
        unavailable(admin.get("/v1/signals"), "connections all taken")
    finally:
        for h in holders:
            h.kill()
            h.wait()
        # a sleeping backend does not notice its client gone: end them
        cluster.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE query LIKE 'SELECT pg_sleep%'", db="postgres")
    # slots free again: the daemon serves without a restart
    wait_until(lambda: admin.get("/v1/signals").status_code == 200, 20, "the daemon reconnects")
    assert admin.post("/v1/partners", json={"name": unique("P"), "kind": "x"}).status_code == 201
    assert_clean_exit(*d.stop())
