"""The feed answered from memory (issue 14) gives the same answers as from the database.

The session daemon keeps the in-memory model (STEK_FEED_MODEL=1, the default); a second
daemon on the same database asks PostgreSQL for every feed query (STEK_FEED_MODEL=0). Both
must answer every query byte for byte alike: bodies, ETags, Last-Modified, Content-Language,
over data with the hard cases (occurrences moved between sites, to and from an inactive
site, cancellations with translated notes, closures, translations, accents, no location).
The model's counter shows the answers really came from memory.
"""
import datetime
import email.utils
import time
import uuid
from zoneinfo import ZoneInfo

import pytest

from conftest import Api, Daemon, assert_clean_exit, metric, unique, wait_until


def model_current(api, daemon, timeout=10):
    """Waits until a new feed query is answered from the model; returns its counter."""
    def answered_by_model():
        before = metric(daemon, "stek_feed_model_answers_total")
        assert api.get("/v1/feed", params={"q": uuid.uuid4().hex}).status_code == 200
        after = metric(daemon, "stek_feed_model_answers_total")
        return after if after > before else None
    return wait_until(answered_by_model, timeout, "the feed model is current")


def day(offset):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def byday(date_text):
    return ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][
        datetime.date.fromisoformat(date_text).weekday()]


@pytest.fixture(scope="module")
def world(daemon, db_url, spec, admin_token, tmp_path_factory):
    admin = Api(daemon.base, spec, admin_token)
    town = unique("Écaussinnes-Lalaing")
    elsewhere = unique("Braine")

    def site(name, municipality, **extra):
        body = dict({"name": name, "address": {"street": "Rue 1", "postal_code": "7191",
                                               "municipality": municipality}}, **extra)
        r = admin.post("/v1/sites", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    a = site({"fr": unique("Maison des Crêpes"), "nl": "Pannenkoekenhuis"}, town,
             main_language="fr", location={"lat": 50.5701, "lon": 4.1802})
    b = site(unique("Salle B"), town, location={"lat": 50.5801, "lon": 4.1902})
    c = site(unique("Salle C"), elsewhere)  # no location; made inactive below
    p = admin.post("/v1/partners", json={"name": unique("CPAS"), "kind": "welfare",
                                         "email": "cpas@example.org"}).json()
    q = admin.post("/v1/partners", json={"name": unique("Ligue"), "kind": "volunteers"}).json()

    def offer(site_id, partner_id, dtstart, sched_site=None, rrule=True, **extra):
        sched = {"dtstart": dtstart, "start_time": "14:00", "end_time": "16:00"}
        if rrule:
            sched["rrule"] = f"FREQ=WEEKLY;BYDAY={byday(dtstart)}"
        if sched_site:
            sched["site_id"] = sched_site
        body = dict({"title": unique("Atelier"), "site_id": site_id, "partner_id": partner_id,
                     "functions": ["meeting"], "schedules": [sched]}, **extra)
        r = admin.post("/v1/offers", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    o1 = offer(a["id"], p["id"], day(-6), main_language="fr",
               title={"fr": unique("Crème et café"), "nl": unique("Room en koffie")},
               description={"fr": "Une crêpe, un café.", "nl": "Een pannenkoek, een koffie."},
               audience={"fr": "Tout le monde", "nl": "Iedereen"}, phone="064 11 22 33")
    o2 = offer(b["id"], q["id"], day(-5), sched_site=a["id"], functions=["learning"],
               categories=["food"], free=False, price_note="2 euro")
    o3 = offer(c["id"], q["id"], day(-4))
    o4 = offer(b["id"], p["id"], day(9), rrule=False, title=unique("Eenmalig feest"))

    def exception(o, date, **body):
        r = admin.post(f"/v1/offers/{o['id']}/exceptions", json=dict({"date": date}, **body))
        assert r.status_code == 201, r.text

    exception(o1, day(8), status="cancelled",
              note={"fr": "Fermé pour travaux", "nl": "Gesloten wegens werken"})
    exception(o1, day(15), status="moved", site_id=b["id"], start_time="10:00",
              end_time="12:00", note="Ailleurs")
    exception(o3, day(10), status="moved", site_id=a["id"], note="Chez les crêpes")
    exception(o2, day(16), status="moved", site_id=c["id"])  # to the inactive site: gone
    r = admin.post(f"/v1/sites/{a['id']}/closures",
                   json={"from": day(20), "to": day(26), "note": "Vacances"})
    assert r.status_code == 201, r.text
    r = admin.patch(f"/v1/sites/{c['id']}", json={"active": False})
    assert r.status_code == 200, r.text

    plain = Daemon(db_url, tmp_path_factory.mktemp("plain"), STEK_FEED_MODEL=0,
                   STEK_WRITES_PER_MINUTE=0)
    yield {"admin": admin, "town": town, "elsewhere": elsewhere, "a": a, "b": b, "c": c,
           "p": p, "q": q, "o1": o1, "o2": o2, "o3": o3, "o4": o4, "plain": plain}
    assert_clean_exit(*plain.stop())


def queries(w):
    town = w["town"]
    window = {"from": day(1), "to": day(40)}
    base = [
        {"municipality": town},
        {"municipality": town.upper().replace("É", "E")},
        {"municipality": town, "function": "learning"},
        {"municipality": town, "free": "false"},
        {"municipality": town, "category": "food"},
        {"municipality": w["elsewhere"]},
        {"site": w["a"]["id"].upper()},
        {"site": w["c"]["id"]},
        {"near": "50.5701,4.1802", "radius_km": "1"},
        {"near": "50.5701,4.1802", "radius_km": "1.3", "municipality": town},
        {"q": "crème"},
        {"q": "CREME ET"},
        {"partner": w["p"]["id"]},
        {"partner": w["q"]["id"], "limit": "2"},
    ]
    out = []
    for lang in (None, "fr", "nl", "de", "all"):
        for b in base:
            params = dict(window, **b)
            if lang:
                params["lang"] = lang
            out.append(params)
    out.append({"municipality": town})  # the default window (today, 28 days)
    out.append({"municipality": town, "from": day(1), "to": day(366)})
    return out


def fetch(daemon, path, params, headers=None):
    import requests
    return requests.get(daemon.base + path, params=params, headers=headers or {}, timeout=10)


def same(x, y, what):
    assert x.status_code == y.status_code == 200, (what, x.text[:300], y.text[:300])
    for h in ("ETag", "Content-Language", "Content-Type"):
        assert x.headers.get(h) == y.headers.get(h), (what, h, x.headers.get(h),
                                                      y.headers.get(h))
    assert x.content == y.content, what
    # An answer without items is "modified" when it was made: the two may be a second apart.
    mx, my = (email.utils.parsedate_to_datetime(r.headers["Last-Modified"]) for r in (x, y))
    empty = (b'"items":[]' in x.content if x.content.startswith(b"{")
             else b"BEGIN:VEVENT" not in x.content)
    assert mx == my or (empty and abs((mx - my).total_seconds()) <= 2), (what, mx, my)


def test_the_model_answers_every_query_as_the_database_does(api, daemon, world):
    before = model_current(api, daemon)
    n = 0
    for params in queries(world):
        for path in ("/v1/feed", "/v1/feed.ics"):
            mem, sql = fetch(daemon, path, params), fetch(world["plain"], path, params)
            same(mem, sql, (path, params))
            n += 1
            if path == "/v1/feed" and mem.json()["next_cursor"]:
                more = dict(params, cursor=mem.json()["next_cursor"])
                same(fetch(daemon, path, more), fetch(world["plain"], path, more), more)
                n += 1
    # Every one of them came from memory (none of these keys was cached before).
    assert metric(daemon, "stek_feed_model_answers_total") - before >= n
    # And they hold what the data says: the moved, cancelled and closed occurrences.
    items = fetch(daemon, "/v1/feed", {"municipality": world["town"], "from": day(1),
                                       "to": day(40), "limit": 500, "lang": "nl"}).json()["items"]
    mine = {(i["offer_id"], i["start"][:10]): i for i in items}
    assert mine[(world["o1"]["id"], day(8))]["status"] == "cancelled"
    assert mine[(world["o1"]["id"], day(8))]["note"] == "Gesloten wegens werken"
    moved = mine[(world["o1"]["id"], day(15))]
    assert moved["status"] == "moved" and moved["site"]["id"] == world["b"]["id"]
    assert mine[(world["o3"]["id"], day(10))]["site"]["id"] == world["a"]["id"]
    assert (world["o2"]["id"], day(16)) not in mine  # moved to the inactive site
    assert mine[(world["o4"]["id"], day(9))]["status"] == "scheduled"
    closed = [i for i in items if day(20) <= i["start"][:10] <= day(26)
              and i["site"]["id"] == world["a"]["id"]]
    assert len(closed) == 2 and {i["status"] for i in closed} == {"cancelled"}
    assert {i["note"] for i in closed} == {"Vacances"}


def test_what_the_model_cannot_answer_exactly_goes_to_the_database(api, daemon, world):
    model_current(api, daemon)
    for params in ({"municipality": world["town"], "from": day(-200), "to": day(-150)},
                   {"municipality": "Ærø"}):
        before = metric(daemon, "stek_feed_model_answers_total")
        same(fetch(daemon, "/v1/feed", params), fetch(world["plain"], "/v1/feed", params),
             params)
        assert metric(daemon, "stek_feed_model_answers_total") == before, params
    # q is cut into words the same way on both paths (issue 34: letters stek_fold does not
    # know separate words there and here), so the model answers it, and the same.
    params = {"q": "İstanbul straße"}
    before = metric(daemon, "stek_feed_model_answers_total")
    same(fetch(daemon, "/v1/feed", params), fetch(world["plain"], "/v1/feed", params), params)
    assert metric(daemon, "stek_feed_model_answers_total") == before + 1, params


def test_a_write_is_seen_at_once_and_the_model_follows(api, daemon, world):
    admin, o4 = world["admin"], world["o4"]
    model_current(api, daemon)
    title = unique("Nieuw feest")
    r = admin.patch(f"/v1/offers/{o4['id']}", json={"title": title},
                    headers={"If-Match": admin.get(f"/v1/offers/{o4['id']}").headers["ETag"]})
    assert r.status_code == 200, r.text
    params = {"municipality": world["town"], "from": day(1), "to": day(40), "limit": 500}
    # The very next read sees it (from the reloaded model, which it waits for, or from the
    # database when the reload takes longer than a second).
    items = fetch(daemon, "/v1/feed", params).json()["items"]
    assert [i["title"] for i in items if i["offer_id"] == o4["id"]] == [title]
    # Once the model has loaded the change, it answers with it.
    model_current(api, daemon)
    params["limit"] = 499
    before = metric(daemon, "stek_feed_model_answers_total")
    items = fetch(daemon, "/v1/feed", params).json()["items"]
    assert metric(daemon, "stek_feed_model_answers_total") == before + 1
    assert [i["title"] for i in items if i["offer_id"] == o4["id"]] == [title]


def test_signals_and_keys_leave_the_feed_and_its_model_alone(api, daemon, world):
    """Only writes to feed data move the feed on: a signal (the busiest write) or a key must not
    drop the cached answers or make every daemon reload its model."""
    admin = world["admin"]
    p = admin.post("/v1/partners", json={"name": unique("Signalerende partner"),
                                         "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
    partner = admin.as_key(k.json()["token"])
    site = world["b"]["id"]
    model_current(api, daemon)
    params = {"municipality": world["town"], "from": day(1), "to": day(30)}
    first = fetch(daemon, "/v1/feed", params)
    loads = metric(daemon, "stek_feed_model_loads_total")
    hits = metric(daemon, "stek_feed_cache_hits_total")
    today = datetime.datetime.now(ZoneInfo("Europe/Brussels")).date()
    for _ in range(10):
        r = partner.post("/v1/signals", json={"kind": "barrier", "theme": "mobility",
                                               "site_id": site, "occurred_on": day(0)},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
    assert admin.post("/v1/keys", json={"name": "nog een", "role": "admin"}).status_code == 201
    time.sleep(1.2)  # what a notification from the database would take
    again = fetch(daemon, "/v1/feed", params)
    assert again.headers["ETag"] == first.headers["ETag"]
    if datetime.datetime.now(ZoneInfo("Europe/Brussels")).date() == today:
        # (Midnight in Brussels moves the model's window: a load, and every answer anew.)
        assert metric(daemon, "stek_feed_cache_hits_total") == hits + 1  # still the cached answer
        assert metric(daemon, "stek_feed_model_loads_total") == loads
