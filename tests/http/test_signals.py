"""Signals: anonymous, idempotent, never duplicated, handoffs, advocacy status, suppressed stats."""
import datetime as dt
import subprocess
import threading
import uuid
from zoneinfo import ZoneInfo

import requests

from conftest import BUILD, cli, psql, unique

TODAY = dt.date.today().isoformat()


def partner_key(admin, name=None):
    p = admin.post("/v1/partners", json={"name": unique(name or "Signal partner"),
                                         "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]}).json()
    return p["id"], admin.as_key(k["token"])


def new_site(admin, municipality=None):
    return admin.post("/v1/sites", json={"name": unique("Signal site"), "address": {
        "street": "Markt 1", "postal_code": "2920",
        "municipality": municipality or unique("Gemeente")}}).json()["id"]


def post(api, body, key=None, **kw):
    return api.post("/v1/signals", json=body,
                    headers={"Idempotency-Key": key or uuid.uuid4().hex}, **kw)


def referral(site, to=None, **extra):
    body = {"kind": "referral", "theme": "energy", "site_id": site, "occurred_on": TODAY}
    if to:
        body["referred_to_partner_id"] = to
    body.update(extra)
    return body


def test_post_referral_and_barrier(admin, db_url):
    pid, caw = partner_key(admin)
    other, _ = partner_key(admin)
    site = new_site(admin)
    r = post(caw, referral(site, other, note="Wachtte al drie weken op de premie."))
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["partner_id"] == pid and len(s["handoff_code"]) == 8 and s["status"] is None
    assert r.headers["Location"] == "/v1/signals/" + s["id"]
    b = post(caw, {"kind": "barrier", "theme": "mobility", "site_id": site, "occurred_on": TODAY,
                   "note": "Het loket is enkel met de auto bereikbaar."})
    assert b.status_code == 201 and b.json()["status"] == "new" and b.json()["handoff_code"] is None
    row = psql(db_url, "SELECT kind, theme, partner_id FROM signals WHERE id = :'p1'", s["id"])
    assert row == f"referral|energy|{pid}"


def test_a_key_revoked_behind_the_daemons_back_posts_nothing(admin, db_url):
    """The signal's own statement confirms the key (no extra round trip): revoked without a
    notification (triggers off), the daemon's copy still says valid, and still nothing is
    written, not even a replay of an earlier answer."""
    p = admin.post("/v1/partners", json={"name": unique("Stille intrekking"),
                                         "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]}).json()
    caw = admin.as_key(k["token"])
    site = new_site(admin)
    assert post(caw, referral(site), key="zelfde-sleutel").status_code == 201
    psql(db_url, "SET session_replication_role = replica;"
                 " UPDATE api_keys SET revoked_at = now() WHERE id = :'p1'", k["id"])
    assert post(caw, referral(site)).status_code == 401
    assert post(caw, referral(site), key="zelfde-sleutel").status_code == 401
    assert psql(db_url, "SELECT count(*) FROM signals WHERE partner_id = :'p1'", p["id"]) == "1"


def test_only_partner_keys_post_and_a_key_is_required(admin, api):
    site = new_site(admin)
    assert post(admin, referral(site)).status_code == 403
    assert post(api, referral(site)).status_code == 401
    _, caw = partner_key(admin)
    r = caw.post("/v1/signals", json=referral(site))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "Idempotency-Key"
    r = caw.post("/v1/signals", json=referral(site), headers={"Idempotency-Key": "a b"})
    assert r.status_code == 400


def test_validation_and_no_field_for_a_person(admin, db_url):
    _, caw = partner_key(admin)
    site = new_site(admin)
    before = psql(db_url, "SELECT count(*) FROM signals")
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    cases = [
        (referral(site, name="Jan Peeters"), "name"),
        (referral(site, occurred_on=future), "occurred_on"),
        (referral(site, occurred_on=old), "occurred_on"),
        (referral(site, theme="astrology"), "theme"),
        ({"kind": "barrier", "theme": "energy", "site_id": site, "occurred_on": TODAY,
          "referred_to_partner_id": str(uuid.uuid4())}, "referred_to_partner_id"),
        (referral(site, kind="gossip"), "kind"),
        (referral(str(uuid.uuid4())), "site_id"),
    ]
    for body, field in cases:
        r = post(caw, body)
        assert r.status_code == 422, body
        assert field in {e["field"] for e in r.json()["errors"]}, (body, r.json())
    assert psql(db_url, "SELECT count(*) FROM signals") == before


def test_notes_with_personal_data_are_refused_without_echo(admin, db_url, daemon):
    _, caw = partner_key(admin)
    site = new_site(admin)
    before = psql(db_url, "SELECT count(*) FROM signals")
    for note, word in (("Mail naar jan.peeters@gmail.com", "e-mail"),
                       ("Belt terug op 0470 12 34 56", "phone"),
                       ("Rekening BE68 5390 0754 7034", "IBAN"),
                       ("RRN 85.07.30-033.28 voor de aanvraag", "national register")):
        r = post(caw, referral(site, note=note))
        assert r.status_code == 422
        err = r.json()["errors"][0]
        assert err["field"] == "note" and word in err["message"]
        for secret in ("jan.peeters", "0470 12 34 56", "BE68", "85.07.30"):
            assert secret not in r.text
    assert psql(db_url, "SELECT count(*) FROM signals") == before
    marker = "Unieke-notitie-" + uuid.uuid4().hex
    assert post(caw, referral(site, note=marker)).status_code == 201
    assert marker not in daemon.log_path.read_text()


def test_idempotency(admin, db_url):
    _, caw = partner_key(admin)
    _, other = partner_key(admin)
    site = new_site(admin)
    key = "retry-" + uuid.uuid4().hex
    first = post(caw, referral(site), key)
    again = post(caw, referral(site), key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    changed = post(caw, referral(site, theme="housing"), key)
    assert changed.status_code == 422
    theirs = post(other, referral(site), key)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # Stored as a keyed hash, never as sent: the replay above still found it.
    assert psql(db_url, "SELECT count(*) FROM idempotency_keys WHERE key = :'p1'", key) == "0"
    assert psql(db_url, "SELECT count(*) FROM idempotency_keys WHERE key = stek_key_hash(:'p1')"
                        " AND key ~ '^[0-9a-f]{64}$'", key) == "2"
    assert psql(db_url, "SELECT count(*) FROM idempotency_keys WHERE key = encode(sha256("
                        "convert_to(:'p1', 'UTF8')), 'hex')", key) == "0"  # keyed, not a plain hash


def test_fifty_concurrent_identical_requests_create_one_row(admin, daemon, db_url):
    _, caw = partner_key(admin)
    site = new_site(admin)
    key = "burst-" + uuid.uuid4().hex
    body = referral(site, theme="digital")
    results = []
    barrier = threading.Barrier(50)

    def send():
        barrier.wait()
        results.append(requests.post(daemon.base + "/v1/signals", json=body, timeout=30,
                                     headers={"Idempotency-Key": key,
                                              "Authorization": "Bearer " + caw.token}))

    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["id"] for r in results}) == 1
    assert psql(db_url, "SELECT count(*) FROM signals WHERE id = :'p1'", results[0].json()["id"]) == "1"


def test_batch_all_or_nothing_and_replay(admin, db_url):
    _, caw = partner_key(admin)
    site = new_site(admin)
    items = [dict(referral(site, theme=t), idempotency_key=f"b-{uuid.uuid4().hex}")
             for t in ("energy", "housing", "food")]
    r = caw.post("/v1/signals/batch", json={"signals": items})
    assert r.status_code == 201, r.text
    ids = [s["id"] for s in r.json()["items"]]
    again = caw.post("/v1/signals/batch", json={"signals": items})
    assert [s["id"] for s in again.json()["items"]] == ids
    before = psql(db_url, "SELECT count(*) FROM signals")
    bad = [dict(referral(site), idempotency_key=f"c-{uuid.uuid4().hex}"),
           dict(referral(site, note="mail me: a@b.be"), idempotency_key=f"c-{uuid.uuid4().hex}")]
    r = caw.post("/v1/signals/batch", json={"signals": bad})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "signals[1].note"
    reuse = [dict(referral(site), idempotency_key=f"d-{uuid.uuid4().hex}"),
             dict(items[0], theme="work")]
    r = caw.post("/v1/signals/batch", json={"signals": reuse})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "signals[1].idempotency_key"
    assert psql(db_url, "SELECT count(*) FROM signals") == before
    too_many = [dict(referral(site), idempotency_key=str(i)) for i in range(501)]
    assert caw.post("/v1/signals/batch", json={"signals": too_many}).status_code == 422


def test_who_sees_which_signals(admin):
    a_id, a = partner_key(admin)
    b_id, b = partner_key(admin)
    _, c = partner_key(admin)
    site = new_site(admin)
    s = post(a, referral(site, b_id)).json()
    mine = post(a, referral(site)).json()
    assert a.get("/v1/signals/" + s["id"]).status_code == 200
    assert b.get("/v1/signals/" + s["id"]).status_code == 200
    assert b.get("/v1/signals/" + mine["id"]).status_code == 404
    assert c.get("/v1/signals/" + s["id"]).status_code == 404
    ids_b = {x["id"] for x in b.get("/v1/signals?limit=500").json()["items"]}
    assert s["id"] in ids_b and mine["id"] not in ids_b
    assert c.get("/v1/signals?limit=500").json()["items"] == []
    assert s["id"] in {x["id"] for x in admin.get("/v1/signals?limit=500&kind=referral").json()["items"]}
    assert a.get("/v1/signals?kind=gossip").status_code == 400


def test_handoffs(admin):
    a_id, a = partner_key(admin)
    b_id, b = partner_key(admin)
    _, c = partner_key(admin)
    site = new_site(admin)
    code = post(a, referral(site, b_id)).json()["handoff_code"]
    typed = code[:4].lower() + "-" + code[4:]
    r = b.get("/v1/handoffs/" + typed)
    assert r.status_code == 200 and r.json()["arrived_at"] is None and r.json()["code"] == code
    first = b.post("/v1/handoffs/" + code).json()["arrived_at"]
    assert first is not None
    assert b.post("/v1/handoffs/" + code).json()["arrived_at"] == first
    assert a.get("/v1/handoffs/" + code).status_code == 404
    assert c.post("/v1/handoffs/" + code).status_code == 404
    assert admin.get("/v1/handoffs/" + code).status_code == 403


def test_guessing_handoff_codes_is_rate_limited(admin):
    _, guesser = partner_key(admin)
    statuses = [guesser.get("/v1/handoffs/ZZZZZZZ" + str(i % 8 + 2)).status_code for i in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429
    r = guesser.get("/v1/handoffs/ABCDEFGH")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0 and r.headers["RateLimit-Remaining"] == "0"


def test_barrier_follows_the_advocacy_work(admin, db_url):
    _, caw = partner_key(admin)
    site = new_site(admin)
    sid = post(caw, {"kind": "barrier", "theme": "digital", "site_id": site,
                     "occurred_on": TODAY}).json()["id"]
    path = "/v1/signals/" + sid
    assert admin.patch(path, json={"status": "in_review"}).json()["status"] == "in_review"
    r = admin.patch(path, json={"status": "raised"})
    assert r.status_code == 422 and "raised_with" in r.json()["errors"][0]["message"]
    assert admin.patch(path, json={"status": "raised",
                                   "raised_with": "Gemeenteraad"}).status_code == 200
    assert admin.patch(path, json={"status": "new"}).status_code == 422
    assert admin.patch(path, json={"status": "answered",
                                   "answer": "Er komt een loket."}).status_code == 200
    done = admin.patch(path, json={"status": "closed"}).json()
    assert done["status"] == "closed" and done["raised_with"] == "Gemeenteraad"
    assert caw.patch(path, json={"status": "closed"}).status_code == 403
    history = psql(db_url, "SELECT string_agg(to_status, ',' ORDER BY at) FROM signal_history"
                           " WHERE signal_id = :'p1'", sid)
    assert history == "in_review,raised,answered,closed"
    ref = post(caw, referral(site)).json()["id"]
    assert admin.patch("/v1/signals/" + ref, json={"status": "in_review"}).status_code == 422


def test_themes(admin, api):
    codes = {t["code"] for t in api.get("/v1/themes").json()["items"]}
    assert {"allowance", "energy", "forms_and_bills", "digital", "housing", "health",
            "mental_health", "work", "leisure", "food", "family", "mobility", "legal",
            "language", "other"} <= codes
    code = "t_" + uuid.uuid4().hex[:8]
    assert admin.post("/v1/themes", json={"code": code, "label_nl": "Water",
                                          "label_en": "Water"}).status_code == 201
    assert admin.post("/v1/themes", json={"code": code, "label_nl": "W",
                                          "label_en": "W"}).status_code == 409
    assert admin.post("/v1/themes", json={"code": "Bad Code", "label_nl": "x",
                                          "label_en": "x"}).status_code == 422
    assert api.post("/v1/themes", json={"code": "x_y", "label_nl": "x",
                                        "label_en": "x"}).status_code == 401


def test_retention_erases_notes_and_keeps_counts(admin, db_url):
    _, caw = partner_key(admin)
    site = new_site(admin)
    sid = post(caw, referral(site, note="Vraag over de premie.")).json()["id"]
    count = psql(db_url, "SELECT count(*) FROM signals")
    later = (dt.date.today() + dt.timedelta(days=24 * 31 + 5)).isoformat()
    out = cli(db_url, "purge", "--as-of", later)
    assert out.returncode == 0, out.stderr
    assert "erased" in out.stdout
    assert psql(db_url, "SELECT note IS NULL, note_erased_at IS NOT NULL FROM signals"
                        " WHERE id = :'p1'", sid) == "t|t"
    assert psql(db_url, "SELECT count(*) FROM signals") == count
    assert psql(db_url, "SELECT count(*) FROM idempotency_keys") == "0"
    assert cli(db_url, "purge", "--as-of", "yesterday").returncode == 2


def test_handoff_codes_expire(admin, db_url):
    _, a = partner_key(admin)
    b_id, b = partner_key(admin)
    s = post(a, referral(new_site(admin), b_id)).json()
    expires = dt.date.fromisoformat(s["handoff_expires_on"])
    # Expiry days are the service's days (Europe/Brussels), not the test machine's.
    assert (expires - dt.datetime.now(ZoneInfo("Europe/Brussels")).date()).days == 90
    assert b.get("/v1/handoffs/" + s["handoff_code"]).status_code == 200
    psql(db_url, "UPDATE signals SET handoff_expires_on = current_date - 1 WHERE id = :'p1'", s["id"])
    assert b.get("/v1/handoffs/" + s["handoff_code"]).status_code == 404
    assert b.post("/v1/handoffs/" + s["handoff_code"]).status_code == 404
