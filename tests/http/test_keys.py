"""API keys: 401/403, shown once, stored as hashes, revocation, the command line."""
import time

import pytest

from conftest import cli, psql, sha256_hex, unique


def make_partner(admin):
    r = admin.post("/v1/partners", json={"name": unique("Org"), "kind": "welfare"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_no_bad_and_unknown_keys_are_401(api):
    for headers in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer nope"},
                    {"Authorization": "Bearer stek_" + "0" * 48}):
        r = api.get("/v1/keys", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["type"] == "urn:stek:problem:unauthorized"


def test_partner_key_may_not_do_admin_work(admin, db_url):
    pid = make_partner(admin)
    r = admin.post("/v1/keys", json={"name": "CAW app", "role": "partner", "partner_id": pid})
    assert r.status_code == 201, r.text
    partner = admin.as_key(r.json()["token"])
    assert partner.get("/v1/keys").status_code == 403
    assert partner.post("/v1/partners", json={"name": unique("X"), "kind": "k"}).status_code == 403
    assert partner.get("/v1/audit").status_code == 403
    assert partner.get("/v1/partners").status_code == 200


def test_token_is_shown_once_and_stored_as_hash(admin, db_url):
    r = admin.post("/v1/keys", json={"name": "second admin", "role": "admin"})
    assert r.status_code == 201
    key = r.json()
    token = key["token"]
    assert token.startswith(key["prefix"]) and key["revoked_at"] is None
    assert r.headers["Location"] == "/v1/keys/" + key["id"]
    got = admin.get("/v1/keys/" + key["id"]).json()
    assert "token" not in got and got["prefix"] == key["prefix"]
    listed = []
    cursor = None
    while True:
        page = admin.get("/v1/keys?limit=100" + (f"&cursor={cursor}" if cursor else "")).json()
        listed += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert key["id"] in [k["id"] for k in listed]
    assert all("token" not in k for k in listed)
    row = psql(db_url, "SELECT token_hash FROM api_keys WHERE id = :'p1'", key["id"])
    assert row == sha256_hex(token)
    dump = psql(db_url, "SELECT string_agg(t::text, ' ') FROM api_keys t")
    assert token not in dump


def test_revoked_key_stops_on_the_next_request(admin):
    r = admin.post("/v1/keys", json={"name": "short-lived", "role": "admin"})
    kid, other = r.json()["id"], admin.as_key(r.json()["token"])
    assert other.get("/v1/keys").status_code == 200
    assert admin.delete("/v1/keys/" + kid).status_code == 204
    r = other.get("/v1/keys")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert admin.delete("/v1/keys/" + kid).status_code == 204  # idempotent
    assert admin.get("/v1/keys/" + kid).json()["revoked_at"] is not None
    assert admin.delete("/v1/keys/8f0e6a4c-0001-4a00-8000-0000000000ff").status_code == 404
    assert admin.delete("/v1/keys/not-a-uuid").status_code == 404


def test_key_validation_names_fields(admin):
    pid = make_partner(admin)
    cases = [
        ({"name": "x", "role": "partner"}, "partner_id", "required"),
        ({"name": "x", "role": "admin", "partner_id": pid}, "partner_id", "absent"),
        ({"name": "x", "role": "root"}, "role", "one of"),
        ({"role": "admin"}, "name", "required"),
        ({"name": "x", "role": "admin", "token": "stek_x"}, "token", "read-only"),
        ({"name": "x", "role": "partner", "partner_id": "8f0e6a4c-0001-4a00-8000-0000000000ff"},
         "partner_id", "existing"),
    ]
    for body, field, words in cases:
        r = admin.post("/v1/keys", json=body)
        assert r.status_code == 422, body
        errs = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert field in errs and words in errs[field], (body, errs)


def test_create_admin_key_prints_only_the_token(db_url, api):
    out = cli(db_url, "create-admin-key", "ops laptop")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stek_") and len(lines[0]) == 53
    assert api.get("/v1/keys", token=lines[0]).status_code == 200
    audit = api.get("/v1/audit?entity=key&limit=500", token=lines[0]).json()["items"]
    assert any(a["key_id"] is None and a["action"] == "create" for a in audit)
    bad = cli(db_url, "create-admin-key")
    assert bad.returncode == 2


@pytest.mark.timing
def test_revocation_reaches_another_daemon_at_once(admin, db_url, tmp_path):
    import time

    import requests

    from conftest import Daemon, assert_clean_exit

    other = Daemon(db_url, tmp_path)
    try:
        r = admin.post("/v1/keys", json={"name": "cached elsewhere", "role": "admin"}).json()
        headers = {"Authorization": "Bearer " + r["token"]}
        # Used twice on the other daemon: the second time from its key cache.
        assert requests.get(other.base + "/v1/keys", headers=headers).status_code == 200
        assert requests.get(other.base + "/v1/keys", headers=headers).status_code == 200
        assert admin.delete("/v1/keys/" + r["id"]).status_code == 204
        t0, status = time.time(), 200
        while status != 401 and time.time() - t0 < 2:
            status = requests.get(other.base + "/v1/keys", headers=headers).status_code
        assert status == 401 and time.time() - t0 < 0.5
    finally:
        code, log = other.stop()
    assert_clean_exit(code, log)


@pytest.mark.timing
def test_failed_authentication_never_takes_a_database_connection(admin, admin_token, db_url,
                                                                 tmp_path):
    """With the only database worker stuck behind a lock, refusals still come at once."""
    import requests

    from conftest import Daemon, assert_clean_exit, worker_stuck_on_lock

    revoked = admin.post("/v1/keys", json={"name": "old app", "role": "admin"}).json()
    assert admin.delete("/v1/keys/" + revoked["id"]).status_code == 204
    pid = make_partner(admin)
    d = Daemon(db_url, tmp_path, STEK_DB_CONNECTIONS=1, STEK_AUTH_FAILURES=1000)
    try:
        with worker_stuck_on_lock(d, db_url, pid, admin_token, 4) as stuck:
            tokens = ["stek_" + "%048x" % i for i in range(1, 21)] + [revoked["token"]]
            for token in tokens:
                r = requests.get(d.base + "/v1/keys", timeout=2,
                                 headers={"Authorization": "Bearer " + token})
                assert r.status_code == 401, r.text
                assert r.json()["detail"] == "the API key is not valid (unknown or revoked)"
            assert stuck.locker.poll() is None, "the lock was released too early to prove anything"
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)
