"""Keys that expire and rotate (issue 32): every key ends, a rotation keeps the old token for a
grace period, the day of last use is kept, and keys about to end are announced."""
import datetime
import json
import types

import pytest
import requests

from conftest import Api, Daemon, assert_clean_exit, metric, psql, unique, wait_until
from test_webhooks import Receiver, world  # noqa: F401 (a fixture)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def parse(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def partner_key(admin, **extra):
    p = admin.post("/v1/partners", json={"name": unique("Keys"), "kind": "welfare"})
    assert p.status_code == 201, p.text
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner",
                                     "partner_id": p.json()["id"], **extra})
    assert k.status_code == 201, k.text
    return p.json()["id"], k.json()


def refused(a, path):
    """(the answer,) when a's GET of path is 401, else None (a Response is falsy on 4xx)."""
    r = a.get(path)
    return (r,) if r.status_code == 401 else None


@pytest.fixture
def pair(own_db, tmp_path, spec):
    """Two daemons on a database of the tests' own (a key change must reach both; the refused
    keys here count against no other test's budget of failed authentications)."""
    daemons = [Daemon(own_db.url, tmp_path, STEK_WRITES_PER_MINUTE=0) for _ in range(2)]
    yield types.SimpleNamespace(
        admin=Api(daemons[0].base, spec, own_db.token), api=Api(daemons[0].base, spec),
        second=Api(daemons[1].base, spec), url=own_db.url)
    for d in daemons:
        assert_clean_exit(*d.stop())


def test_every_key_ends_by_default_at_its_roles_longest_lifetime(pair):
    admin = pair.admin
    _, k = partner_key(admin)
    assert abs(parse(k["expires_at"]) - (now() + datetime.timedelta(days=365))) < \
        datetime.timedelta(minutes=5)
    a = admin.post("/v1/keys", json={"name": "admin two", "role": "admin"})
    assert a.status_code == 201, a.text
    assert abs(parse(a.json()["expires_at"]) - (now() + datetime.timedelta(days=90))) < \
        datetime.timedelta(minutes=5)
    assert a.json()["last_used_on"] is None and a.json()["previous_token_valid_until"] is None
    listed = admin.get(f"/v1/keys/{a.json()['id']}").json()
    assert listed["expires_at"] == a.json()["expires_at"]


@pytest.mark.parametrize("expires_at, says", [
    ("2020-01-01T00:00:00Z", "in the future"),
    ("soon", "date-time"),
    ("2026-13-01T00:00:00Z", "date-time"),
    ("beyond", "longest lifetime"),
])
def test_an_end_in_the_past_or_beyond_the_maximum_is_422_naming_it(pair, expires_at, says):
    admin = pair.admin
    if expires_at == "beyond":
        expires_at = iso(now() + datetime.timedelta(days=91))
    before = len(admin.get("/v1/keys?limit=200").json()["items"])
    r = admin.post("/v1/keys", json={"name": "x", "role": "admin", "expires_at": expires_at})
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["field"] == "expires_at" and says in err["message"], r.text
    assert len(admin.get("/v1/keys?limit=200").json()["items"]) == before


def test_an_expired_key_is_refused_saying_it_expired_on_every_daemon(pair):
    admin, api, second = pair.admin, pair.api, pair.second
    _, k = partner_key(admin, expires_at=iso(now() + datetime.timedelta(seconds=3)))
    mine, there = api.as_key(k["token"]), second.as_key(k["token"])
    assert mine.get("/v1/me").status_code == 200
    assert there.get("/v1/me").status_code == 200

    for a in (mine, there):
        r = wait_until(lambda: refused(a, "/v1/me"), 30, "the key has expired")[0]
        assert "expired" in r.json()["detail"] and k["id"] in r.json()["detail"], r.text
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # An unknown key still says only that it is not valid.
    r = api.as_key("stek_" + "1" * 48).get("/v1/me")
    assert r.status_code == 401 and "expired" not in r.json()["detail"]
    # An expired key cannot be rotated back to life.
    assert admin.post(f"/v1/keys/{k['id']}/rotate").status_code == 409


def test_a_rotation_keeps_the_old_token_for_the_grace_then_refuses_it(pair):
    admin, api, second, db_url = pair.admin, pair.api, pair.second, pair.url
    pid, k = partner_key(admin)
    old = k["token"]
    r = admin.post(f"/v1/keys/{k['id']}/rotate")
    assert r.status_code == 200, r.text
    body = r.json()
    new = body["token"]
    assert new != old and new.startswith(body["prefix"]) and body["grace_hours"] == 24
    until = parse(body["previous_token_valid_until"])
    assert abs(until - (now() + datetime.timedelta(hours=24))) < datetime.timedelta(minutes=5)
    # Both tokens work on both daemons, at once for the new one.
    for a in (api, second):
        assert a.as_key(new).get("/v1/me").status_code == 200
        assert a.as_key(old).get("/v1/me").json()["id"] == k["id"]
    # The old token's grace ends (moved to the past in the database): refused, saying why.
    psql(db_url, "UPDATE api_keys SET previous_valid_until = now() - interval '1 second'"
         " WHERE id = :'p1'", k["id"])
    for a in (api, second):
        r = wait_until(lambda: refused(a.as_key(old), "/v1/me"), 30,
                       "the replaced token is refused")[0]
        assert "replaced by a rotation" in r.json()["detail"], r.text
        assert a.as_key(new).get("/v1/me").status_code == 200
    assert admin.get(f"/v1/keys/{k['id']}").json()["previous_token_valid_until"] is None
    stored = psql(db_url, "SELECT token_hash FROM api_keys WHERE id = :'p1'", k["id"])
    assert new not in stored and old not in stored
    audit = admin.get(f"/v1/audit?entity=key&entity_id={k['id']}").json()["items"]
    assert (audit[0]["action"], audit[0]["fields"]) == ("update", ["token", "expires_at"])


def test_grace_zero_ends_the_old_token_at_once_and_a_key_rotates_itself(pair):
    admin, api, second = pair.admin, pair.api, pair.second
    pid, k = partner_key(admin)
    me = api.as_key(k["token"])
    r = me.post(f"/v1/keys/{k['id']}/rotate", json={"grace_hours": 0})
    assert r.status_code == 200, r.text
    assert r.json()["previous_token_valid_until"] is None and r.json()["grace_hours"] == 0
    new = r.json()["token"]
    assert me.get("/v1/me").status_code == 401
    wait_until(lambda: refused(second.as_key(k["token"]), "/v1/me"), 30,
               "the other daemon refuses the old token")
    assert second.as_key(new).get("/v1/me").status_code == 200
    # A key rotates only itself; other keys' rotation is 403, bad bodies 422 naming the field.
    _, other = partner_key(admin)
    assert api.as_key(new).post(f"/v1/keys/{other['id']}/rotate").status_code == 403
    for body, field in (({"grace_hours": 721}, "grace_hours"), ({"grace_hours": "x"}, "grace_hours"),
                        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
                        ({"token": "stek_x"}, "token")):
        r = admin.post(f"/v1/keys/{other['id']}/rotate", json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (body, r.text)
    assert api.as_key(other["token"]).get("/v1/me").status_code == 200  # nothing changed
    assert admin.post("/v1/keys/00000000-0000-4000-8000-000000000000/rotate").status_code == 404


def test_the_day_of_last_use_is_kept_as_a_day(pair):
    admin, api, db_url = pair.admin, pair.api, pair.url
    _, k = partner_key(admin)
    assert admin.get(f"/v1/keys/{k['id']}").json()["last_used_on"] is None
    api.as_key(k["token"]).get("/v1/me")
    today = psql(db_url, "SELECT (now() AT TIME ZONE 'Europe/Brussels')::date").strip()
    got = wait_until(lambda: admin.get(f"/v1/keys/{k['id']}").json()["last_used_on"], 30,
                     "last_used_on is stored")
    assert got == today
    kind = psql(db_url, "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'api_keys' AND column_name = 'last_used_on'").strip()
    assert kind == "date"


def test_keys_about_to_end_are_counted_and_announced_to_their_partner(world):
    rec = Receiver()
    try:
        w = world
        hook = w["b"].post(f"/v1/partners/{w['b_id']}/webhooks",
                           json={"url": rec.url, "events": ["key.expiring"]})
        assert hook.status_code == 201, hook.text
        before = metric(w["d"], "stek_keys_expiring_14d")
        k = w["admin"].post("/v1/keys", json={
            "name": "short", "role": "partner", "partner_id": w["b_id"],
            "expires_at": iso(now() + datetime.timedelta(days=3))})
        assert k.status_code == 201, k.text
        got = rec.wait(1)
        payload = json.loads(got[0]["body"])
        assert payload["type"] == "key.expiring"
        assert payload["data"]["key_id"] == k.json()["id"]
        assert payload["data"]["expires_at"] == k.json()["expires_at"]
        assert k.json()["token"].encode() not in got[0]["body"]
        assert metric(w["d"], "stek_keys_expiring_14d") == before + 1
        # A rotation gives the key a new end: no longer counted.
        r = w["admin"].post(f"/v1/keys/{k.json()['id']}/rotate", json={"grace_hours": 0})
        assert r.status_code == 200, r.text
        wait_until(lambda: metric(w["d"], "stek_keys_expiring_14d") == before, 30,
                   "the rotated key is no longer counted")
    finally:
        rec.stop()
