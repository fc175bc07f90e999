"""Backups that restore (issue 35): the commands of README "Backups and restore", run.

A private primary archives its WAL (archive_command into a folder, as the README sets it up);
a base backup with pg_basebackup; a day of changes through the daemon (signals acknowledged,
offers made and edited); the mistake (an administrator deletes a partner's offers) and more
signals after it; then a restore of the base backup into a new cluster, replayed from the
archive to the moment before the mistake (recovery_target_time) and promoted, and a stekd
started on it with nothing else done: every signal acknowledged before that moment is there,
none after it, the offers are back, a signal sent again with its Idempotency-Key is answered as
before, the keys work, writes go on, and a webhook delivery acknowledged after the moment is
sent again with the same event id (the receiver deduplicates on it).
"""
import datetime
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid

import pytest

from conftest import (BIN, BUILD, Api, Cluster, Daemon, as_postgres, assert_clean_exit,
                      unique, wait_until)


@pytest.fixture
def folder():
    f = tempfile.mkdtemp(prefix="stek-backup-", dir="/tmp")
    os.chmod(f, 0o755)
    os.makedirs(os.path.join(f, "wal"))
    if os.getuid() == 0:
        for d in (f, os.path.join(f, "wal")):
            shutil.chown(d, "postgres", "postgres")
    yield f
    shutil.rmtree(f, ignore_errors=True)


class Receiver:
    """A partner's webhook endpoint: answers 503 while failing, records what it accepted."""

    def __init__(self):
        self.failing, self.accepted, self.seen = True, [], []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["id"]
                outer.seen.append(event)
                self.send_response(503 if outer.failing else 204)
                self.end_headers()
                if not outer.failing:
                    outer.accepted.append(event)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


WEBHOOKS = dict(STEK_WEBHOOK_ALLOW="127.0.0.1", STEK_WEBHOOK_RETRY_MS=100)


def signal(api, site, key):
    r = api.post("/v1/signals", headers={"Idempotency-Key": key}, json={
        "kind": "barrier", "theme": "energy", "site_id": site["id"],
        "occurred_on": datetime.date.today().isoformat()})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def test_a_restore_to_the_moment_before_a_mistake_has_every_write_before_it_and_none_after(
        folder, spec):
    primary, restored = Cluster(folder, "primary"), Cluster(folder, "restored")
    wal = os.path.join(folder, "wal")
    daemons = []
    try:
        out = as_postgres(f"{BIN}/initdb", "-D", primary.data, "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--locale=C.UTF-8")
        assert out.returncode == 0, out.stderr
        # README "Backups and restore", 1: archive every WAL segment
        with open(os.path.join(primary.data, "postgresql.auto.conf"), "a") as f:
            f.write("wal_level = replica\narchive_mode = on\n"
                    f"archive_command = 'test ! -f {wal}/%f && cp %p {wal}/%f'\n")
        primary.start()
        primary.psql("CREATE DATABASE stek", db="postgres")
        env = dict(os.environ, DATABASE_URL=primary.uri())
        assert subprocess.run([str(BUILD / "stek-migrate"), "up"], env=env, timeout=60,
                              capture_output=True).returncode == 0
        token = subprocess.run([str(BUILD / "stekd"), "create-admin-key", "backup"], env=env,
                               capture_output=True, text=True, timeout=30).stdout.strip()
        # 2: the base backup (a night's cron)
        base = os.path.join(folder, "base")
        out = as_postgres(f"{BIN}/pg_basebackup", "-D", base, "-X", "fetch", "-c", "fast",
                          "-h", folder, "-p", str(primary.port), "-U", "postgres")
        assert out.returncode == 0, out.stderr

        # a day of changes
        d = Daemon(primary.uri(), folder, STEK_WRITES_PER_MINUTE=0, **WEBHOOKS)
        daemons.append(d)
        admin = Api(d.base, spec, token)
        p = admin.post("/v1/partners", json={"name": unique("Buurtwerk"), "kind": "welfare"}).json()
        # a partner that receives referrals by webhook, its endpoint down for now
        receiver = Receiver()
        q = admin.post("/v1/partners", json={"name": unique("CAW"), "kind": "welfare"}).json()
        assert admin.post(f"/v1/partners/{q['id']}/webhooks", json={
            "url": receiver.url, "events": ["referral.created"]}).status_code == 201
        site = admin.post("/v1/sites", json={"name": unique("Buurthuis"), "address": {
            "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
        app = admin.as_key(admin.post("/v1/keys", json={
            "name": "app", "role": "partner", "partner_id": p["id"]}).json()["token"])
        offers = [admin.post("/v1/offers", json={
            "title": unique("Koffiemoment"), "site_id": site["id"], "partner_id": p["id"],
            "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-01", "rrule":
            "FREQ=WEEKLY;BYDAY=TU", "start_time": "10:00", "end_time": "12:00"}]}).json()
            for _ in range(3)]
        assert admin.patch(f"/v1/offers/{offers[0]['id']}",
                           json={"audience": "iedereen"}).status_code == 200
        keys_before = [uuid.uuid4().hex for _ in range(20)]
        before = [signal(app, site, k) for k in keys_before]
        referral = app.post("/v1/signals", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
            "kind": "referral", "theme": "energy", "site_id": site["id"],
            "referred_to_partner_id": q["id"], "occurred_on": datetime.date.today().isoformat()})
        assert referral.status_code == 201, referral.text
        before.append(referral.json()["id"])
        wait_until(lambda: receiver.seen, 30, "the webhook was tried (and refused)")
        event = receiver.seen[0]
        moment = primary.psql("SELECT now()")  # after every acknowledged write above
        # the endpoint back: the event is delivered after the moment
        receiver.failing = False
        wait_until(lambda: receiver.accepted == [event], 30, "the event is delivered")
        # the mistake, and the writes after it
        for o in offers:
            assert admin.delete(f"/v1/offers/{o['id']}").status_code == 204
        after = [signal(app, site, uuid.uuid4().hex) for _ in range(5)]
        # every WAL segment until now is in the archive
        last = primary.psql("SELECT pg_walfile_name(pg_switch_wal())")
        wait_until(lambda: primary.psql("SELECT last_archived_wal FROM pg_stat_archiver") >= last,
                   30, "the archive has the last segment")
        assert_clean_exit(*d.stop())
        daemons.clear()
        primary.stop()

        # 3: restore into a new cluster, to the moment before the mistake
        out = as_postgres("cp", "-a", base, restored.data)
        assert out.returncode == 0, out.stderr
        with open(os.path.join(restored.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"archive_mode = off\nrestore_command = 'cp {wal}/%f %p'\n"
                    f"recovery_target_time = '{moment}'\nrecovery_target_action = 'promote'\n")
        open(os.path.join(restored.data, "recovery.signal"), "w").close()
        if os.getuid() == 0:
            shutil.chown(os.path.join(restored.data, "recovery.signal"), "postgres", "postgres")
        restored.start()
        wait_until(lambda: restored.psql("SELECT NOT pg_is_in_recovery()", db="postgres") == "t",
                   60, "the restored cluster is promoted")

        # 4: stekd on it, nothing else done
        r = Daemon(restored.uri(), folder, STEK_WRITES_PER_MINUTE=0, **WEBHOOKS)
        daemons.append(r)
        admin, app = Api(r.base, spec, token), Api(r.base, spec, app.token)
        for sid in before:
            assert admin.get(f"/v1/signals/{sid}").status_code == 200, sid
        for sid in after:
            assert admin.get(f"/v1/signals/{sid}").status_code == 404, sid
        for o in offers:
            assert admin.get(f"/v1/offers/{o['id']}").status_code == 200, o["id"]
        assert admin.get(f"/v1/offers/{offers[0]['id']}").json()["audience"] == "iedereen"
        # the same request again is the same answer (the idempotency keys came back)
        assert signal(app, site, keys_before[-1]) == before[len(keys_before) - 1]
        # writes go on, the feed is served
        assert signal(app, site, uuid.uuid4().hex) not in before + after
        feed = admin.get("/v1/feed", params={"municipality": "Kalmthout", "from": "2026-12-01",
                                             "to": "2026-12-28"}).json()["items"]
        assert {i["offer_id"] for i in feed} == {o["id"] for o in offers}
        assert restored.psql("SELECT count(*) FROM signals") == str(len(before) + 1)
        # the delivery acknowledged after the moment is sent again, with the same event id
        wait_until(lambda: receiver.accepted == [event, event], 30, "the event is sent again")
    finally:
        for d in daemons:
            d.stop()
        restored.stop("immediate")
        primary.stop("immediate")


def test_a_dump_restores_into_an_empty_database_search_and_all(own_db, tmp_path, spec):
    """docs/operations.md's nightly pg_dump: restored with pg_restore, the generated search
    terms are computed again (their functions come first whatever the search_path) and stekd
    serves from the copy as it is."""
    from conftest import create_database, drop_database
    d = Daemon(own_db.url, tmp_path, STEK_WRITES_PER_MINUTE=0)
    admin = Api(d.base, spec, own_db.token)
    p = admin.post("/v1/partners", json={"name": unique("Buurtwerk"), "kind": "welfare"}).json()
    site = admin.post("/v1/sites", json={"name": unique("Buurthuis"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    offer = admin.post("/v1/offers", json={
        "title": "Hulp bij formulieren", "site_id": site["id"], "partner_id": p["id"],
        "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-01", "rrule":
        "FREQ=WEEKLY;BYDAY=TU", "start_time": "10:00", "end_time": "12:00"}]}).json()
    assert_clean_exit(*d.stop())
    dump = tmp_path / "stek.dump"
    out = subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", own_db.url],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    name, url = create_database()
    try:
        out = subprocess.run(["pg_restore", "--no-owner", f"--dbname={url}", str(dump)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        r = Daemon(url, tmp_path, STEK_WRITES_PER_MINUTE=0)
        try:
            api = Api(r.base, spec)
            found = api.get("/v1/offers", params={"q": "formulier"}).json()["items"]
            assert [o["id"] for o in found] == [offer["id"]]
        finally:
            assert_clean_exit(*r.stop())
    finally:
        drop_database(name)
