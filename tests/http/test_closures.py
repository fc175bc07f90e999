"""Site closures and what a visitor needs in the feed: whom to contact, "no appointment
needed" (issue 15)."""
import uuid

import icalendar
import pytest

from conftest import Api, unique


@pytest.fixture(scope="module")
def town(daemon, spec, admin_token):
    admin = Api(daemon.base, spec, admin_token)
    name = unique("Sluitdorp")

    def site(label, **extra):
        body = {"name": unique(label), "address": {"street": "Dorp 1", "postal_code": "2990",
                                                   "municipality": name}}
        body.update(extra)
        r = admin.post("/v1/sites", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def partner(label, **extra):
        r = admin.post("/v1/partners", json=dict({"name": unique(label), "kind": "welfare"},
                                                 **extra))
        assert r.status_code == 201, r.text
        p = r.json()
        k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
        return p, admin.as_key(k.json()["token"])

    closed = site("Kantine", email="kantine@example.org", phone="03 111 22 33")
    hall = site("Dorpshuis")
    other = site("Elders")
    (p, pkey), (q, qkey), (r, rkey) = (partner("SAAMO", phone="03 222 33 44"),
                                       partner("CAW", email="info@caw.example.org"),
                                       partner("Ligo"))

    def offer(title, site_id, partner_id, byday, sched_site=None, **extra):
        sched = {"dtstart": "2026-12-0" + {"TH": "3", "MO": "7", "TU": "1"}[byday],
                 "rrule": f"FREQ=WEEKLY;BYDAY={byday}", "start_time": "13:00",
                 "end_time": "15:00"}
        if sched_site:
            sched["site_id"] = sched_site
        body = dict({"title": unique(title), "site_id": site_id, "partner_id": partner_id,
                     "functions": ["meeting"], "schedules": [sched]}, **extra)
        res = admin.post("/v1/offers", json=body)
        assert res.status_code == 201, res.text
        return res.json()

    x = offer("Koffie", closed["id"], p["id"], "TH", registration="required",
              email="koffie@example.org", phone="03 999 88 77", audience="Iedereen welkom")
    y = offer("Moved in", other["id"], q["id"], "MO", sched_site=closed["id"])
    z = offer("Moved out", closed["id"], p["id"], "TU", sched_site=hall["id"],
              registration="none", free=True)
    w = offer("Elders", other["id"], r["id"], "MO")
    return {"admin": admin, "name": name, "closed": closed, "hall": hall, "other": other,
            "p": p, "q": q, "r": r, "pkey": pkey, "qkey": qkey, "rkey": rkey,
            "x": x, "y": y, "z": z, "w": w}


def feed(api, town, **q):
    params = dict({"municipality": town["name"], "from": "2026-12-14", "to": "2027-01-10",
                   "limit": 500}, **q)
    r = api.get("/v1/feed", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def by(items, offer, day):
    hit = [i for i in items if i["offer_id"] == offer["id"] and i["start"].startswith(day)]
    assert len(hit) == 1, (offer["title"], day, [i["start"] for i in items
                                                 if i["offer_id"] == offer["id"]])
    return hit[0]


def test_a_closure_cancels_the_sites_occurrences_and_deleting_restores(api, town):
    admin, pkey = town["admin"], town["pkey"]
    path = f"/v1/sites/{town['closed']['id']}/closures"
    # An explicit exception during the closure: moved to the village hall; it still happens.
    ex = admin.post(f"/v1/offers/{town['x']['id']}/exceptions", json={
        "date": "2026-12-31", "status": "moved", "site_id": town["hall"]["id"],
        "note": "In het dorpshuis"})
    assert ex.status_code == 201, ex.text
    before = feed(api, town)
    assert by(before, town["x"], "2026-12-24")["status"] == "scheduled"
    made = pkey.post(path, json={"from": "2026-12-21", "to": "2027-01-03",
                                 "note": "Kerstvakantie"})
    assert made.status_code == 201, made.text
    c = made.json()
    assert (c["from"], c["to"], c["note"], c["site_id"]) == ("2026-12-21", "2027-01-03",
                                                             "Kerstvakantie", town["closed"]["id"])
    assert api.get(made.headers["Location"]).json() == c
    assert [i["id"] for i in api.get(path).json()["items"]] == [c["id"]]
    items = feed(api, town)  # the cache follows at once
    for day in ("2026-12-24",):
        it = by(items, town["x"], day)
        assert it["status"] == "cancelled" and it["note"] == "Kerstvakantie"
    moved = by(items, town["x"], "2026-12-31")
    assert moved["status"] == "moved" and moved["site"]["id"] == town["hall"]["id"]
    assert by(items, town["x"], "2026-12-17")["status"] == "scheduled"
    assert by(items, town["x"], "2027-01-07")["status"] == "scheduled"
    # Moved into the closed site by a schedule: cancelled; moved out of it: not affected.
    for day in ("2026-12-21", "2026-12-28"):
        assert by(items, town["y"], day)["status"] == "cancelled"
    for day in ("2026-12-22", "2026-12-29"):
        assert by(items, town["z"], day)["status"] == "scheduled"
    assert by(items, town["w"], "2026-12-21")["status"] == "scheduled"
    ics = api.get("/v1/feed.ics", params={"municipality": town["name"], "from": "2026-12-20",
                                          "to": "2026-12-26"})
    cal = icalendar.Calendar.from_ical(ics.content)
    xev = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == town["x"]["title"]]
    assert len(xev) == 1 and str(xev[0]["STATUS"]) == "CANCELLED"
    assert "Kerstvakantie" in str(xev[0]["DESCRIPTION"])
    # Deleting the closure restores them.
    assert pkey.delete(made.headers["Location"]).status_code == 204
    items = feed(api, town)
    assert by(items, town["x"], "2026-12-24")["status"] == "scheduled"
    assert by(items, town["y"], "2026-12-21")["status"] == "scheduled"
    assert api.get(made.headers["Location"]).status_code == 404
    assert pkey.delete(made.headers["Location"]).status_code == 404


def test_closure_validation_and_who_may_write(api, town):
    admin = town["admin"]
    path = f"/v1/sites/{town['closed']['id']}/closures"
    for body, field in (({"from": "2027-02-10", "to": "2027-02-01"}, "to"),
                        ({"from": "2027-01-01", "to": "2028-01-03"}, "to"),
                        ({"from": "2027-02-30", "to": "2027-03-01"}, "from"),
                        ({"to": "2027-03-01"}, "from"),
                        ({"from": "2027-03-01", "to": "2027-03-02", "colour": "red"}, "colour")):
        r = admin.post(path, json=body)
        assert r.status_code == 422 and field in {e["field"] for e in r.json()["errors"]}, body
    r = admin.post(path, json={"from": "2027-03-01", "to": "2027-03-02",
                               "note": "Gesloten, bel Jan op 0475 12 34 56"})
    assert r.status_code == 422 and r.json()["errors"][0]["personal_data"] == "phone"
    first = admin.post(path, json={"from": "2027-07-01", "to": "2027-07-31", "note": "Zomer"})
    assert first.status_code == 201
    for span in (("2027-07-31", "2027-08-15"), ("2027-06-01", "2027-07-01"),
                 ("2027-07-10", "2027-07-12")):
        r = admin.post(path, json={"from": span[0], "to": span[1]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from", span
    assert admin.post(path, json={"from": "2027-08-01", "to": "2027-08-02"}).status_code == 201
    # Partners of other sites never; a partner with an offer moved into the site by a schedule may.
    assert town["rkey"].post(path, json={"from": "2027-09-01", "to": "2027-09-02"}).status_code == 403
    assert town["rkey"].delete(first.headers["Location"]).status_code == 403
    assert town["qkey"].post(path, json={"from": "2027-09-01", "to": "2027-09-02"}).status_code == 201
    assert api.post(path, json={"from": "2027-10-01", "to": "2027-10-02"}).status_code == 401
    assert admin.post(f"/v1/sites/{uuid.uuid4()}/closures",
                      json={"from": "2027-10-01", "to": "2027-10-02"}).status_code == 404
    assert api.get(f"/v1/sites/{uuid.uuid4()}/closures").status_code == 404
    assert api.get(f"{path}/{uuid.uuid4()}").status_code == 404
    page = api.get(path, params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(path, params={"limit": 500, "cursor": page["next_cursor"]}).json()["items"]
    froms = [page["items"][0]["from"]] + [c["from"] for c in rest]
    assert froms == sorted(froms) and len(froms) == 3


def test_feed_items_say_whom_to_contact_and_whether_to_register(api, town):
    items = feed(api, town, **{"from": "2027-01-04", "to": "2027-01-10"})
    x = by(items, town["x"], "2027-01-07")
    assert x["registration"] == "required" and x["audience"] == "Iedereen welkom"
    assert x["contact"] == {"email": "koffie@example.org", "phone": "03 999 88 77"}
    # No contact of its own: the partner's, then the site's, field by field.
    z = by(items, town["z"], "2027-01-05")  # partner SAAMO: a phone only; its site: the hall
    assert z["registration"] == "none" and z["contact"] == {"email": None,
                                                            "phone": "03 222 33 44"}
    y = by(items, town["y"], "2027-01-04")  # partner CAW (e-mail), at the closed site (both)
    assert y["contact"] == {"email": "info@caw.example.org", "phone": "03 111 22 33"}
    # y said nothing about registration or price: unknown, never "walk in" or "free".
    assert y["registration"] is None and y["free"] is None
    ics = api.get("/v1/feed.ics", params={"municipality": town["name"], "from": "2027-01-04",
                                          "to": "2027-01-10"})
    cal = icalendar.Calendar.from_ical(ics.content)
    ev = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == town["x"]["title"]][0]
    desc = str(ev["DESCRIPTION"])
    assert "Inschrijven nodig" in desc and "Iedereen welkom" in desc and "03 999 88 77" in desc
    assert str(ev["CONTACT"]) == "03 999 88 77, koffie@example.org"
    assert str(ev["ORGANIZER"]) == "mailto:koffie@example.org"
    ev = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == town["z"]["title"]][0]
    assert "Geen afspraak nodig" in str(ev["DESCRIPTION"]) and "ORGANIZER" not in ev
    assert "Gratis" in str(ev["DESCRIPTION"])
    ev = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == town["y"]["title"]][0]
    for said in ("Geen afspraak nodig", "Inschrijven nodig", "Gratis"):
        assert said not in str(ev["DESCRIPTION"]), said


def test_the_monthly_calendar_page(api, town, admin):
    site = town["closed"]["id"]
    path = "/print/month"
    r = api.get(path, params={"site": site, "month": "2027-01"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    html = r.text
    assert "januari 2027" in html and town["closed"]["name"] in html and "<svg" in html
    assert town["x"]["title"] in html and "donderdag" in html
    assert "Inschrijven" not in html  # the wall calendar keeps to time, title, free
    assert "koffie@example.org" in html and "03 999 88 77" in html   # contact line
    # A closure shows as struck through with its note; the French page speaks French.
    made = town["pkey"].post(f"/v1/sites/{site}/closures",
                             json={"from": "2027-01-07", "to": "2027-01-07", "note": "Verbouwing"})
    assert made.status_code == 201
    html = api.get(path, params={"site": site, "month": "2027-01"}).text
    assert '<li class="cancelled">' in html and "Verbouwing" in html and "Afgelast" in html
    fr = api.get(path, params={"site": site, "month": "2027-01", "lang": "fr"}).text
    assert "janvier 2027" in fr and "jeudi" in fr and 'lang="fr"' in fr
    # A municipality's calendar names the site of each activity.
    town_html = api.get(path, params={"municipality": town["name"], "month": "2027-01"}).text
    assert town["hall"]["name"] in town_html and town["other"]["name"] in town_html
    # Text from the database is escaped.
    admin.patch(f"/v1/offers/{town['w']['id']}", json={"title": "<b>Elders & co</b>"})
    esc = api.get(path, params={"municipality": town["name"], "month": "2027-01"}).text
    assert "&lt;b&gt;Elders &amp; co&lt;/b&gt;" in esc and "<b>Elders" not in esc
    for bad, field in (({}, "site"), ({"site": site, "municipality": "x"}, "municipality"),
                       ({"site": "nope"}, "site"), ({"site": site, "month": "2027-13"}, "month"),
                       ({"site": site, "month": "27-01"}, "month"),
                       ({"site": site, "lang": "es"}, "lang")):
        r = api.get(path, params=bad)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, (bad, r.text)
    assert api.get(path, params={"site": str(uuid.uuid4())}).status_code == 404
