"""Signed webhooks from a durable outbox (issue 19), against a receiver on loopback."""
import hashlib
import hmac
import http.server
import json
import signal
import threading
import time
import uuid

import pytest

from conftest import Api, Daemon, assert_clean_exit, cli, create_database, drop_database, \
    free_port, migrate, unique, wait_until


class Receiver:
    """An HTTP receiver on loopback that records every request; `fail` answers first."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.got, self.fail = [], []
        self.server = None
        self.start()

    def start(self):
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = rec.fail.pop(0) if rec.fail else 200
                rec.got.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def wait(self, n, timeout=15):
        def arrived():
            ok = [g for g in self.got if g["status"] == 200]
            return ok if len(ok) >= n else None
        return wait_until(arrived, timeout, f"{n} deliveries arrived")


def until(check, timeout=30):
    """Polls check() until it is true (a slow machine or valgrind may take a while)."""
    return wait_until(check, timeout, "the webhook condition holds")


def verify(secret, headers, body):
    sig = dict(p.split("=", 1) for p in headers["Stek-Signature"].split(",")[:2])
    assert abs(time.time() - int(sig["t"])) < 300
    wants = [p.split("=", 1)[1] for p in headers["Stek-Signature"].split(",") if p.startswith("v1=")]
    mac = hmac.new(secret.encode(), f"{sig['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return mac in wants


@pytest.fixture
def world(spec, tmp_path):
    name, url = create_database()
    assert migrate(url, "up").returncode == 0
    token = cli(url, "create-admin-key", "hooks").stdout.strip()
    d = Daemon(url, tmp_path, STEK_WEBHOOK_ALLOW="127.0.0.1", STEK_WEBHOOK_RETRY_MS=200)
    admin = Api(d.base, spec, token)

    def partner(label):
        p = admin.post("/v1/partners", json={"name": unique(label), "kind": "welfare"}).json()
        k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
        return p["id"], admin.as_key(k.json()["token"])

    a_id, a = partner("Verwijzer")
    b_id, b = partner("CAW")
    site = admin.post("/v1/sites", json={"name": unique("Hook site"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()["id"]
    w = {"url": url, "d": d, "admin": admin, "a": a, "a_id": a_id, "b": b, "b_id": b_id,
         "site": site, "tmp": tmp_path, "token": token, "spec": spec}
    yield w
    code, log = w["d"].stop()
    assert_clean_exit(code, log)
    drop_database(name)


def refer(w, note=None):
    body = {"kind": "referral", "theme": "energy", "site_id": w["site"],
            "occurred_on": time.strftime("%Y-%m-%d"), "referred_to_partner_id": w["b_id"]}
    if note:
        body["note"] = note
    r = w["a"].post("/v1/signals", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


def subscribe(w, url, events=("referral.created",)):
    r = w["b"].post(f"/v1/partners/{w['b_id']}/webhooks", json={"url": url, "events": list(events)})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_referral_is_delivered_once_signed_and_retried(world):
    rec = Receiver()
    try:
        hook = subscribe(world, rec.url)
        assert hook["secret"].startswith("whsec_") and "secret" not in world["b"].get(
            f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}").json()
        s = refer(world, note="Vraag over de premie.")
        got = rec.wait(1)
        assert len(got) == 1
        body = json.loads(got[0]["body"])
        assert body["type"] == "referral.created" and got[0]["headers"]["Stek-Event-Id"] == body["id"]
        assert body["data"]["signal_id"] == s["id"] and body["data"]["handoff_code"] == s["handoff_code"]
        assert "note" not in body["data"] and "premie" not in got[0]["body"].decode()
        assert verify(hook["secret"], got[0]["headers"], got[0]["body"])
        assert not verify("whsec_" + "0" * 64, got[0]["headers"], got[0]["body"])
        # 500, then 429 with Retry-After: 0, then 200: retried, delivered once more.
        rec.fail = [500, 500]
        refer(world)
        got = rec.wait(2)
        log = world["b"].get(f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}/deliveries").json()
        newest = log["items"][0]
        assert newest["status"] == "delivered" and newest["attempts"] == 3 and newest["last_status"] == 200
        time.sleep(1)
        assert len([g for g in rec.got if g["status"] == 200]) == 2  # nothing sent twice
        # A rotation: the new secret signs, the old one too for a day.
        new = world["b"].post(f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}/secret").json()
        refer(world)
        got = rec.wait(3)
        assert verify(new["secret"], got[-1]["headers"], got[-1]["body"])
        assert verify(hook["secret"], got[-1]["headers"], got[-1]["body"])
        # A 404 from the receiver is not retried; redeliver sends the same event again.
        rec.fail = [404]
        refer(world)
        deliveries = f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}/deliveries"
        failed = until(lambda: next((d for d in world["b"].get(deliveries).json()["items"][:1]
                                     if d["status"] == "failed"), None))
        assert failed["last_status"] == 404 and failed["attempts"] == 1
        again = world["b"].post(f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver")
        assert again.status_code == 200
        got = rec.wait(4)
        assert got[-1]["headers"]["Stek-Event-Id"] == failed["id"]
    finally:
        rec.stop()


def test_receiver_down_then_up_gets_everything_in_order_even_after_kill_9(world):
    port = free_port()
    hook = subscribe(world, f"http://127.0.0.1:{port}/hook")
    made = [refer(world)["id"] for _ in range(4)]
    time.sleep(1.0)  # attempts fail: nothing listens
    # The daemon dies between commit and delivery; a new one takes the outbox over.
    world["d"].proc.send_signal(signal.SIGKILL)
    world["d"].proc.wait()
    world["d"].log.close()
    world["d"] = Daemon(world["url"], world["tmp"], STEK_WEBHOOK_ALLOW="127.0.0.1",
                        STEK_WEBHOOK_RETRY_MS=200)
    rec = Receiver(port)
    try:
        got = rec.wait(4, timeout=40)
        order = [json.loads(g["body"])["data"]["signal_id"] for g in got]
        assert order == made  # in order of creation, none lost
        ids = [g["headers"]["Stek-Event-Id"] for g in rec.got if g["status"] == 200]
        assert len(set(ids)) == 4
    finally:
        rec.stop()


def test_ssrf_and_other_partners_are_refused(world, tmp_path):
    b, bid = world["b"], world["b_id"]
    for url in ("http://169.254.169.254/latest/meta-data", "https://169.254.169.254/",
                "http://example.org/hook", "https://10.1.2.3/hook", "https://[::1]:8443/x",
                "ftp://127.0.0.1/x", "not a url"):
        r = b.post(f"/v1/partners/{bid}/webhooks", json={"url": url, "events": ["referral.created"]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url", (url, r.text)
    # A partner never subscribes to another partner's events.
    r = world["a"].post(f"/v1/partners/{bid}/webhooks",
                        json={"url": "http://127.0.0.1:1/x", "events": ["referral.created"]})
    assert r.status_code == 403
    assert world["a"].get(f"/v1/partners/{bid}/webhooks").status_code == 403
    r = b.post(f"/v1/partners/{bid}/webhooks", json={"url": "http://127.0.0.1:1/x",
                                                     "events": ["gossip"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("events")
    # Allowed when subscribed, refused at delivery once the allow-list no longer has it
    # (the check is made again before every request: a DNS answer cannot redirect it).
    rec = Receiver()
    try:
        hook = subscribe(world, rec.url)
        code, log = world["d"].stop()
        assert_clean_exit(code, log)
        world["d"] = Daemon(world["url"], world["tmp"], STEK_WEBHOOK_RETRY_MS=200)
        client = Api(world["d"].base, world["spec"], world["token"])
        r = client.post(f"/v1/partners/{bid}/webhooks",
                        json={"url": "http://localhost:9/x", "events": ["referral.created"]})
        assert r.status_code == 422  # a name that resolves to loopback
        world["a"] = world["a"].__class__(world["d"].base, world["spec"], world["a"].token)
        world["b"] = world["b"].__class__(world["d"].base, world["spec"], world["b"].token)
        refer(world)
        path = f"/v1/partners/{bid}/webhooks/{hook['id']}/deliveries"
        last = until(lambda: next((d for d in world["b"].get(path).json()["items"][:1]
                                   if d["status"] == "failed"), None))
        assert "refused" in last["last_error"]
        assert rec.got == []
    finally:
        rec.stop()


def test_pause_resume_delete_and_three_failing_days(world):
    from conftest import psql
    rec = Receiver()
    try:
        hook = subscribe(world, rec.url)
        path = f"/v1/partners/{world['b_id']}/webhooks/{hook['id']}"
        assert world["b"].patch(path, json={"active": False}).json()["active"] is False
        refer(world)
        time.sleep(1.0)
        assert rec.got == []  # paused: kept in the outbox
        assert world["b"].patch(path, json={"active": True}).json()["active"] is True
        rec.wait(1)
        until(lambda: world["b"].get(path + "/deliveries").json()["items"][0]["status"]
              == "delivered")  # recorded (and the subscription's health with it)
        # Failing for three days: the next failure pauses it, and it says why.
        psql(world["url"], "UPDATE webhooks SET failing_since = now() - interval '4 days'"
                           " WHERE id = :'p1'", hook["id"])
        rec.fail = [404]
        refer(world)
        doc = until(lambda: (lambda d: d if d["active"] is False else None)(
            world["b"].get(path).json()))
        assert "3 days" in doc["paused_reason"]
        listed = world["admin"].get(f"/v1/partners/{world['b_id']}/webhooks").json()["items"]
        assert [h["id"] for h in listed] == [hook["id"]]
        assert world["b"].delete(path).status_code == 204
        assert world["b"].get(path).status_code == 404
    finally:
        rec.stop()
