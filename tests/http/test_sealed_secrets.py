"""Secrets sealed at rest (issue 32): with STEK_SECRET_KEY_FILE a webhook's signing secret is
stored sealed under the operator's key, so that a database dump (with or without the wrong
key) can sign nothing; a daemon without the right key refuses to start; keys rotate with
`stekd reseal-secrets`."""
import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, Api, Daemon, assert_clean_exit, cli, create_database, \
    drop_database, migrate, psql, unique
from test_webhooks import Receiver, verify


def key_file(tmp_path, name, *keys, mode=0o600):
    path = tmp_path / name
    path.write_text("# stek secret keys, the current one first\n" + "".join(k + "\n" for k in keys))
    os.chmod(path, mode)
    return path


def new_key(url):
    out = cli(url, "new-secret-key")
    assert out.returncode == 0 and len(out.stdout.strip()) == 64, out
    return out.stdout.strip()


def run(url, *args, **env):
    """stekd with args (none: serve) as a process that must end by itself (a refusal)."""
    full = dict(os.environ, DATABASE_URL=url, STEK_PORT="1", **{k: str(v) for k, v in env.items()})
    return subprocess.run([str(BUILD / "stekd"), *args], capture_output=True, text=True,
                          env=full, timeout=60)


def stored(url):
    return psql(url, "SELECT secret FROM webhooks ORDER BY created_at").splitlines()


@pytest.fixture
def db(spec):
    name, url = create_database()
    assert migrate(url, "up").returncode == 0
    token = cli(url, "create-admin-key", "sealed").stdout.strip()
    yield url, token
    drop_database(name)


def subscribe_and_refer(d, spec, token):
    """A partner with a webhook (its secret as answered) and one referral delivered to it."""
    admin = Api(d.base, spec, token)
    rec = Receiver()
    p = admin.post("/v1/partners", json={"name": unique("CAW"), "kind": "welfare"}).json()
    q = admin.post("/v1/partners", json={"name": unique("OCMW"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": q["id"]})
    site = admin.post("/v1/sites", json={"name": unique("Site"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    hook = admin.post(f"/v1/partners/{p['id']}/webhooks",
                      json={"url": rec.url, "events": ["referral.created"]})
    assert hook.status_code == 201, hook.text
    r = admin.as_key(k.json()["token"]).post("/v1/signals", json={
        "kind": "referral", "theme": "energy", "site_id": site["id"],
        "occurred_on": time.strftime("%Y-%m-%d"), "referred_to_partner_id": p["id"]},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    got = rec.wait(1)
    return rec, hook.json(), got[0], admin, p, k.json()["token"], site


def test_the_stored_secret_is_sealed_and_a_dump_with_the_wrong_key_signs_nothing(db, spec,
                                                                                   tmp_path):
    url, token = db
    keys = key_file(tmp_path, "secret.key", new_key(url))
    d = Daemon(url, tmp_path, STEK_SECRET_KEY_FILE=keys, STEK_WEBHOOK_ALLOW="127.0.0.1",
               STEK_WEBHOOK_RETRY_MS=200)
    rec = None
    try:
        rec, hook, delivery, *_ = subscribe_and_refer(d, spec, token)
        secret = hook["secret"]
        assert secret.startswith("whsec_")
        assert verify(secret, delivery["headers"], delivery["body"])  # the receiver's view
        # What the database holds is not the secret, nor anything that signs like it.
        dump = subprocess.run(["pg_dump", "--data-only", "--table=webhooks", url],
                              capture_output=True, text=True, check=True).stdout
        assert secret not in dump and secret[6:] not in dump
        [value] = stored(url)
        assert value.startswith("sealed:1:") and value in dump
        for word in dump.replace("\t", " ").split():
            assert not verify(word, delivery["headers"], delivery["body"])
    finally:
        if rec:
            rec.stop()
        assert_clean_exit(*d.stop())
    # The dump with the wrong key: nothing opens, and no daemon starts to sign with it.
    wrong = key_file(tmp_path, "wrong.key", new_key(url))
    out = run(url, "reseal-secrets", STEK_SECRET_KEY_FILE=wrong)
    assert out.returncode == 1 and "does not open" in out.stderr, out
    out = run(url, STEK_SECRET_KEY_FILE=wrong)
    kid = stored(url)[0].split(":")[2]
    assert out.returncode == 1 and kid in out.stderr and "refusing to start" in out.stderr, out
    out = run(url)  # no key file at all
    assert out.returncode == 1 and "STEK_SECRET_KEY_FILE" in out.stderr, out
    assert stored(url)[0].startswith(f"sealed:1:{kid}:")  # nothing was changed by them


def test_plain_secrets_are_sealed_at_start_and_keys_rotate(db, spec, tmp_path):
    url, token = db
    d = Daemon(url, tmp_path, STEK_WEBHOOK_ALLOW="127.0.0.1", STEK_WEBHOOK_RETRY_MS=200)
    rec, hook, first, admin, partner, poster, site = subscribe_and_refer(d, spec, token)
    rec.stop()
    assert_clean_exit(*d.stop())
    assert stored(url) == [hook["secret"]]  # no key file: kept as it is (as before)
    old = new_key(url)
    keys = key_file(tmp_path, "secret.key", old)
    d = Daemon(url, tmp_path, STEK_SECRET_KEY_FILE=keys)
    assert_clean_exit(*d.stop())
    [sealed] = stored(url)
    assert sealed.startswith("sealed:1:") and hook["secret"] not in sealed
    old_id = sealed.split(":")[2]
    # Rotation: a new key first, the old one below it; reseal; then the old one can go.
    keys = key_file(tmp_path, "secret.key", new_key(url), old)
    out = run(url, "reseal-secrets", STEK_SECRET_KEY_FILE=keys)
    assert out.returncode == 0 and "1 secrets sealed anew" in out.stderr, out
    [resealed] = stored(url)
    assert resealed.startswith("sealed:1:") and resealed.split(":")[2] != old_id
    keys = key_file(tmp_path, "secret.key", open(keys).read().split("\n")[1])
    rec = Receiver()
    d = Daemon(url, tmp_path, STEK_SECRET_KEY_FILE=keys, STEK_WEBHOOK_ALLOW="127.0.0.1",
               STEK_WEBHOOK_RETRY_MS=200)
    try:
        a = Api(d.base, spec, token)
        w = a.patch(f"/v1/partners/{partner['id']}/webhooks/{hook['id']}", json={"url": rec.url})
        assert w.status_code == 200, w.text
        r = a.as_key(poster).post("/v1/signals", json={
            "kind": "referral", "theme": "energy", "site_id": site["id"],
            "occurred_on": time.strftime("%Y-%m-%d"), "referred_to_partner_id": partner["id"]},
            headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        got = rec.wait(1)
        assert verify(hook["secret"], got[0]["headers"], got[0]["body"])  # the same secret
        # A new secret by rotation is sealed too, and both sign during the grace.
        new = a.post(f"/v1/partners/{partner['id']}/webhooks/{hook['id']}/secret")
        assert new.status_code == 200, new.text
        values = psql(url, "SELECT secret || ' ' || previous_secret FROM webhooks").split()
        assert all(v.startswith("sealed:1:") for v in values) and new.json()["secret"] not in \
            " ".join(values)
    finally:
        rec.stop()
        assert_clean_exit(*d.stop())


def test_a_key_file_others_may_read_is_refused(db, tmp_path):
    url, _ = db
    keys = key_file(tmp_path, "open.key", "1" * 64, mode=0o644)
    out = run(url, STEK_SECRET_KEY_FILE=keys)
    assert out.returncode == 2 and "chmod 600" in out.stderr, out
    out = run(url, STEK_SECRET_KEY_FILE=tmp_path / "missing.key")
    assert out.returncode == 2 and "cannot be read" in out.stderr, out


def test_a_calendars_address_is_sealed_too_and_still_fetched(db, spec, tmp_path):
    from test_calendars import FIXTURES, Server
    url, token = db
    keys = key_file(tmp_path, "secret.key", new_key(url))
    srv = Server()
    srv.files["private-0123abcd/basic.ics"] = (FIXTURES / "google.ics").read_text()
    d = Daemon(url, tmp_path, STEK_SECRET_KEY_FILE=keys, STEK_CALENDAR_ALLOW="127.0.0.1",
               STEK_CALENDAR_SYNC_MINUTES=1440)
    try:
        admin = Api(d.base, spec, token)
        p = admin.post("/v1/partners", json={"name": unique("Kring"), "kind": "welfare"}).json()
        site = admin.post("/v1/sites", json={"name": unique("Kring"), "address": {
            "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
        cal = admin.post(f"/v1/partners/{p['id']}/calendars", json={
            "url": srv.url("private-0123abcd/basic.ics"), "site_id": site["id"],
            "functions": ["meeting"]})
        assert cal.status_code == 201, cal.text
        assert "private-0123abcd" not in cal.text
        stored = psql(url, "SELECT url FROM calendar_sources")
        assert stored.startswith("sealed:1:") and "private-0123abcd" not in stored
        run = admin.post(f"/v1/partners/{p['id']}/calendars/{cal.json()['id']}/sync").json()
        assert run["ok"] and run["created"] == 3, run
    finally:
        srv.stop()
        assert_clean_exit(*d.stop())
