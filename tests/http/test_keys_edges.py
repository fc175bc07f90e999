"""Keys at the edges (issue 12): archived partners, shared addresses, unknown = revoked."""
import statistics
import time
import uuid

import pytest
import requests

from conftest import Daemon, assert_clean_exit, psql, unique, wait_until


def partner_with_key(admin):
    p = admin.post("/v1/partners", json={"name": unique("Archief"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
    return p, admin.as_key(k.json()["token"]), k.json()["token"]


def test_archiving_a_partner_stops_its_keys_everywhere_and_reactivating_restores(
        admin, db_url, tmp_path):
    p, key, token = partner_with_key(admin)
    site = admin.post("/v1/sites", json={"name": unique("Archief site"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()["id"]
    offer = {"title": unique("Archief offer"), "site_id": site, "partner_id": p["id"],
             "functions": ["meeting"], "schedules": [{"dtstart": "2026-03-05",
                                                      "start_time": "13:00",
                                                      "end_time": "15:00"}]}
    signal = {"kind": "barrier", "theme": "energy", "site_id": site,
              "occurred_on": time.strftime("%Y-%m-%d")}
    assert key.get("/v1/signals").status_code == 200
    made = key.post("/v1/offers", json=offer)
    assert made.status_code == 201, made.text
    other = Daemon(db_url, tmp_path)
    try:
        hdr = {"Authorization": "Bearer " + token}
        assert requests.get(other.base + "/v1/signals", headers=hdr).status_code == 200
        offers_before = psql(db_url, "SELECT count(*) FROM offers WHERE partner_id = :'p1'",
                             p["id"])
        signals_before = psql(db_url, "SELECT count(*) FROM signals WHERE partner_id = :'p1'",
                              p["id"])
        assert admin.patch("/v1/partners/" + p["id"], json={"active": False}).status_code == 200
        # At once, here and on the other daemon: every kind of write (confirmed against the
        # database before it is made).
        for base in (None, other.base):
            post = (key.post("/v1/offers", json=offer) if base is None else
                    requests.post(base + "/v1/offers", json=offer, headers=hdr))
            assert post.status_code == 403, post.text
            sig = (key.post("/v1/signals", json=signal,
                            headers={"Idempotency-Key": uuid.uuid4().hex}) if base is None else
                   requests.post(base + "/v1/signals", json=signal,
                                 headers=dict(hdr, **{"Idempotency-Key": uuid.uuid4().hex})))
            assert sig.status_code == 403, sig.text
            exc = (key.post(f"/v1/offers/{made.json()['id']}/exceptions",
                            json={"date": "2026-03-05", "status": "cancelled"})
                   if base is None else
                   requests.post(f"{base}/v1/offers/{made.json()['id']}/exceptions",
                                 json={"date": "2026-03-05", "status": "cancelled"},
                                 headers=hdr))
            assert exc.status_code == 403, exc.text
        # Reads: here at once; on the other daemon as soon as its key copy follows (NOTIFY).
        get = key.get("/v1/signals")
        assert get.status_code == 403 and "archived" in get.json()["detail"], get.text
        # (a list: a 403 response is falsy itself)
        [get] = wait_until(lambda: (lambda g: [g] if g.status_code == 403 else None)(
            requests.get(other.base + "/v1/signals", headers=hdr)), 10,
            "the other daemon refuses the archived key")
        assert "archived" in get.json()["detail"]
        assert psql(db_url, "SELECT count(*) FROM offers WHERE partner_id = :'p1'",
                    p["id"]) == offers_before
        assert psql(db_url, "SELECT count(*) FROM signals WHERE partner_id = :'p1'",
                    p["id"]) == signals_before
        assert psql(db_url, "SELECT count(*) FROM offer_exceptions WHERE offer_id = :'p1'",
                    made.json()["id"]) == "0"
        # Reactivated: the same key works again, everywhere.
        assert admin.patch("/v1/partners/" + p["id"], json={"active": True}).status_code == 200
        assert key.get("/v1/signals").status_code == 200
        assert requests.get(other.base + "/v1/signals", headers=hdr).status_code == 200
        assert key.post("/v1/signals", json=signal,
                        headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 201
    finally:
        assert_clean_exit(*other.stop())


def test_a_valid_key_is_never_refused_for_others_failures(own_db, tmp_path):
    admin_token = own_db.token
    d = Daemon(own_db.url, tmp_path, STEK_AUTH_FAILURES=3)
    try:
        # Limits count per clock minute: start well inside one.
        while time.time() % 60 > 45:
            time.sleep(1)
        bad = {"Authorization": "Bearer stek_" + "0" * 48}
        codes = [requests.get(d.base + "/v1/keys", headers=bad).status_code for _ in range(6)]
        assert codes[:3] == [401] * 3 and codes[-1] == 429, codes
        good = {"Authorization": "Bearer " + admin_token}
        for _ in range(5):
            assert requests.get(d.base + "/v1/keys", headers=good).status_code == 200
        # And the address stays slowed for keys that do not work.
        assert requests.get(d.base + "/v1/keys", headers=bad).status_code == 429
        assert requests.get(d.base + "/v1/keys").status_code == 429
    finally:
        assert_clean_exit(*d.stop())


@pytest.mark.timing
def test_unknown_and_revoked_keys_get_the_same_answer_in_the_same_time(admin, db_url, tmp_path):
    revoked = admin.post("/v1/keys", json={"name": "gone", "role": "admin"}).json()
    assert admin.delete("/v1/keys/" + revoked["id"]).status_code == 204
    d = Daemon(db_url, tmp_path, STEK_AUTH_FAILURES=100000)
    try:
        session = requests.Session()
        unknown = "stek_" + uuid.uuid4().hex + "0" * 16

        def timed(token):
            t0 = time.perf_counter()
            r = session.get(d.base + "/v1/keys", headers={"Authorization": "Bearer " + token})
            return time.perf_counter() - t0, r

        answers, times = {}, {"unknown": [], "revoked": []}
        for i in range(120):  # interleaved, so that machine noise hits both alike
            for name, token in (("unknown", unknown), ("revoked", revoked["token"])):
                dt_, r = timed(token)
                times[name].append(dt_)
                answers[name] = (r.status_code, r.json()["detail"], r.json()["type"])
        assert answers["unknown"] == answers["revoked"]
        mu, mr = statistics.median(times["unknown"]), statistics.median(times["revoked"])
        print(f"\nunknown key median {mu * 1e3:.3f} ms, revoked {mr * 1e3:.3f} ms")
        assert abs(mu - mr) < max(0.25 * min(mu, mr), 0.0005), (mu, mr)
    finally:
        assert_clean_exit(*d.stop())
