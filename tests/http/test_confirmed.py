"""Confirmed or quiet (issue 33, part 3): every offer says when it was last confirmed; one not
confirmed for STEK_CONFIRM_DAYS is stale, and STEK_STALE_GRACE_DAYS later it leaves the feed,
the pages and HSDS until it is confirmed again. The clock is simulated by moving an offer's
confirmation into the past in the database (the daemons follow it like any change)."""
import datetime
import json
import time
import types
import uuid

import pytest

from conftest import Api, Daemon, assert_clean_exit, metric, psql, unique, wait_until
from test_webhooks import Receiver

CONFIRM, GRACE = 30, 7


@pytest.fixture
def w(own_db, tmp_path, spec):
    """A daemon answering the feed from its model, one from the database, on a database of
    their own; a partner with a key, a site and an offer."""
    env = dict(STEK_CONFIRM_DAYS=CONFIRM, STEK_STALE_GRACE_DAYS=GRACE, STEK_WRITES_PER_MINUTE=0,
               STEK_WEBHOOK_ALLOW="127.0.0.1", STEK_WEBHOOK_RETRY_MS=200)
    d = Daemon(own_db.url, tmp_path, **env)
    plain = Daemon(own_db.url, tmp_path, STEK_FEED_MODEL=0, **env)
    admin = Api(d.base, spec, own_db.token)
    p = admin.post("/v1/partners", json={"name": unique("Buurtwerk"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
    town = "Zoersel"
    site = admin.post("/v1/sites", json={"name": unique("Lokaal"), "address": {
        "street": "Kerkplein 1", "postal_code": "2980", "municipality": town}}).json()
    today = datetime.date.today()
    offer = admin.post("/v1/offers", json={
        "title": unique("Breicafé"), "site_id": site["id"], "partner_id": p["id"],
        "functions": ["meeting"],
        "schedules": [{"dtstart": today.isoformat(), "rrule": "FREQ=DAILY",
                       "start_time": "13:00", "end_time": "15:00"}]})
    assert offer.status_code == 201, offer.text
    ns = types.SimpleNamespace(
        url=own_db.url, d=d, admin=admin, partner=admin.as_key(k.json()["token"]),
        plain=Api(plain.base, spec), anon=Api(d.base, spec), p=p, site=site, town=town,
        offer=offer.json(), env=env, tmp=tmp_path, spec=spec, token=own_db.token)
    yield ns
    for daemon in (d, plain):
        assert_clean_exit(*daemon.stop())


def back(w, days):
    """The offer's last confirmation moved `days` days into the past (the simulated clock)."""
    psql(w.url, "UPDATE offers SET confirmed_at = now() - make_interval(days => :'p1'::int)"
         " WHERE id = :'p2'", days, w.offer["id"])


def published(w, api):
    """Where the offer is public through api: feed JSON, iCalendar, HSDS, its page."""
    feed = api.get(f"/v1/feed?municipality={w.town}")
    ics = api.get(f"/v1/feed.ics?municipality={w.town}")
    hsds = api.get("/hsds/services?per_page=50").json()["contents"]
    mine = [i for i in feed.json()["items"] if i["offer_id"] == w.offer["id"]]
    page = api.get("/activity/" + mine[0]["occurrence_id"]).status_code if mine else None
    return {"feed": bool(mine), "ics": w.offer["title"] in ics.text,
            "hsds": any(s["id"] == w.offer["id"] for s in hsds),
            "hsds_one": api.get("/hsds/services/" + w.offer["id"]).status_code == 200,
            "page": page == 200}


def everywhere(w, shown):
    """Waits until both daemons (the model's and the database's) show the offer, or not."""
    want = {k: shown for k in ("feed", "ics", "hsds", "hsds_one", "page")}
    for api in (w.anon, w.plain):
        wait_until(lambda: published(w, api) == want, 30,
                   f"the offer is {'public' if shown else 'quiet'} everywhere")


def stale_ids(w):
    r = w.admin.get("/v1/offers?stale=true&limit=500")
    assert r.status_code == 200, r.text
    return {o["id"] for o in r.json()["items"]}


def test_an_offer_goes_stale_then_quiet_and_comes_back_when_confirmed(w):
    o = w.offer
    assert abs(datetime.datetime.fromisoformat(o["confirmed_at"].replace("Z", "+00:00"))
               - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=5)
    everywhere(w, True)
    item = next(i for i in w.anon.get(f"/v1/feed?municipality={w.town}").json()["items"]
                if i["offer_id"] == o["id"])
    assert item["confirmed_on"] == o["confirmed_at"][:10]
    assert o["id"] not in stale_ids(w)
    # Stale, within its grace: listed as stale, still public.
    back(w, CONFIRM + 2)
    assert o["id"] in stale_ids(w)
    assert o["id"] not in {x["id"] for x in w.admin.get("/v1/offers?stale=false&limit=500")
                           .json()["items"]}
    wait_until(lambda: metric(w.d, "stek_offers_stale") == 1, 30, "the metric counts it")
    assert metric(w.d, "stek_offers_stale_share") == 1.0
    everywhere(w, True)
    # Past the grace: quiet on every public surface, on both daemons.
    back(w, CONFIRM + GRACE + 2)
    everywhere(w, False)
    assert w.anon.get(f"/v1/offers/{o['id']}").status_code == 200  # the record stays
    month = w.anon.get(f"/print/month?municipality={w.town}")
    assert month.status_code == 200 and o["title"] not in month.text
    # Its partner confirms: public again at once, the trail says so.
    r = w.partner.post(f"/v1/offers/{o['id']}/confirm")
    assert r.status_code == 200, r.text
    assert r.json()["confirmed_at"] > o["confirmed_at"] or r.json()["confirmed_at"][:10] == \
        datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    everywhere(w, True)
    assert o["id"] not in stale_ids(w)
    audit = w.admin.get(f"/v1/audit?entity=offer&entity_id={o['id']}").json()["items"]
    assert (audit[0]["action"], audit[0]["fields"]) == ("update", ["confirmed_at"])
    # An edit confirms too.
    back(w, CONFIRM + GRACE + 2)
    everywhere(w, False)
    r = w.partner.patch(f"/v1/offers/{o['id']}", json={"audience": "buren"})
    assert r.status_code == 200, r.text
    everywhere(w, True)


def test_who_may_confirm(w):
    o = w.offer
    other = w.admin.post("/v1/partners", json={"name": unique("Ander"), "kind": "x"}).json()
    k = w.admin.post("/v1/keys", json={"name": "b", "role": "partner", "partner_id": other["id"]})
    assert w.anon.as_key(k.json()["token"]).post(f"/v1/offers/{o['id']}/confirm").status_code == 404
    assert w.anon.post(f"/v1/offers/{o['id']}/confirm").status_code == 401
    assert w.admin.post(f"/v1/offers/{uuid.uuid4()}/confirm").status_code == 404
    assert w.admin.post(f"/v1/offers/{o['id']}/confirm").status_code == 200


def test_the_partner_is_reminded_before_its_offer_turns_stale(w):
    rec = Receiver()
    try:
        events = ["referral.created", "handoff.arrived", "barrier.status_changed",
                  "key.expiring", "offer.confirmation_due"]
        hook = w.partner.post(f"/v1/partners/{w.p['id']}/webhooks",
                              json={"url": rec.url, "events": events})
        assert hook.status_code == 201, hook.text  # every event at once
        back(w, CONFIRM - 10)  # stale in 10 days: within the 14 days' notice
        # The hourly job runs 9 s after a daemon starts: a new one finds it.
        d = Daemon(w.url, w.tmp, **w.env)
        try:
            got = [g for g in rec.wait(1, timeout=60)]
            payload = json.loads(got[0]["body"])
            assert payload["type"] == "offer.confirmation_due"
            assert payload["data"]["offer_id"] == w.offer["id"]
            stale_on = datetime.date.fromisoformat(payload["data"]["stale_on"])
            assert 9 <= (stale_on - datetime.date.today()).days <= 12
            assert payload["data"]["hidden_on"] == (stale_on + datetime.timedelta(days=GRACE)) \
                .isoformat()
            assert psql(w.url, "SELECT count(*) FROM offer_reminders") == "1"
        finally:
            assert_clean_exit(*d.stop())
    finally:
        rec.stop()
