"""Sites, offers, schedules and exceptions, with the examples of domain.md loaded over HTTP."""
import pytest

from conftest import load_demo, psql, unique

def site_body(**extra):
    body = {"name": unique("Site"), "address": {"street": "Dorpsstraat 1", "postal_code": "2920",
                                                 "municipality": "Kalmthout"}}
    body.update(extra)
    return body


def offer_body(demo, **extra):
    body = {"title": unique("Offer"), "site_id": demo["sites"]["Kantine Bezemheide"]["id"],
            "partner_id": demo["partners"]["SAAMO"]["id"], "functions": ["meeting"],
            "schedules": [{"dtstart": "2026-01-01", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                           "start_time": "13:00", "end_time": "15:00"}]}
    body.update(extra)
    return body


def test_demo_loads_over_http_and_twice_is_harmless(demo, daemon, admin_token):
    assert len(demo["sites"]) >= 4 and len(demo["offers"]) >= 13
    assert load_demo.load(daemon.base, admin_token) == 0
    kff = demo["offers"]["Koffie & Formulieren"]
    assert [s["rrule"] for s in kff["schedules"]] == ["FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=TH"]
    assert kff["schedules"][0]["until"] == "2023-02-08"
    rap = demo["offers"]["Rap op Stap Kalmthout"]
    assert rap["schedules"][0]["site_id"] == demo["sites"]["DC De Groten Uitleg"]["id"]
    assert rap["schedules"][1]["site_id"] is None


def test_site_defaults_and_read_back(admin, api):
    r = admin.post("/v1/sites", json=site_body(location={"lat": 51.3869, "lon": 4.4744}))
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["timezone"] == "Europe/Brussels" and s["model"] == "stek"
    assert s["address"]["country"] == "BE" and s["location"] == {"lat": 51.3869, "lon": 4.4744}
    assert api.get("/v1/sites/" + s["id"]).json() == s


def test_site_validation_lists_every_field(admin, db_url):
    before = psql(db_url, "SELECT count(*) FROM sites")
    r = admin.post("/v1/sites", json={"name": "", "model": "castle", "location": {"lat": 95},
                                      "address": {"street": "x", "postal_code": "2920!",
                                                  "country": "be"},
                                      "coordinator_partner_id": "nope"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"name", "model", "location.lat", "location.lon", "address.municipality",
                      "address.postal_code", "address.country", "coordinator_partner_id"}
    assert psql(db_url, "SELECT count(*) FROM sites") == before


def test_site_timezone_is_checked_against_postgresql(admin):
    r = admin.post("/v1/sites", json=site_body(timezone="Europe/Atlantis"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timezone"
    r = admin.post("/v1/sites", json=site_body(timezone="Europe/Amsterdam"))
    assert r.status_code == 201 and r.json()["timezone"] == "Europe/Amsterdam"


def test_site_filters(demo, api):
    def names(q):
        return {s["name"] for s in api.get("/v1/sites?limit=500&" + q).json()["items"]}

    assert {"Kantine Bezemheide", "DC De Groten Uitleg"} <= names("municipality=KALMTHOUT")
    assert "'t Kattegat" not in names("municipality=Kalmthout")
    assert "'t Kattegat" in names("postal_code=2990")
    assert names("model=mens_shed").isdisjoint({"'t Kattegat"})
    assert "Kantine Bezemheide" in names("q=bezemhéide")
    near = api.get("/v1/sites?near=51.3731,4.4625&radius_km=20").json()["items"]
    ordered = [s["name"] for s in near if s["name"] in ("Kantine Bezemheide", "'t Kattegat")]
    assert ordered == ["Kantine Bezemheide", "'t Kattegat"]
    assert all(s["location"] for s in near)
    assert "'t Kattegat" not in {s["name"] for s in api.get(
        "/v1/sites?near=51.3731,4.4625&radius_km=3").json()["items"]}
    for q, field in (("radius_km=5", "radius_km"), ("near=91,4", "near"), ("near=abc", "near"),
                     ("model=castle", "model"), ("active=yes", "active")):
        r = api.get("/v1/sites?" + q)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, q


def test_near_paging_is_stable(demo, api):
    full = [s["id"] for s in api.get("/v1/sites?near=51.38,4.5&radius_km=50&limit=500").json()["items"]]
    seen, cursor = [], None
    while True:
        page = api.get("/v1/sites?near=51.38,4.5&radius_km=50&limit=1"
                       + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == full and len(full) >= 2


def test_site_with_offers_cannot_be_deleted_but_archived(demo, admin, api):
    sid = demo["sites"]["'t Kattegat"]["id"]
    r = admin.delete("/v1/sites/" + sid)
    assert r.status_code == 409
    s = admin.post("/v1/sites", json=site_body()).json()
    assert admin.patch("/v1/sites/" + s["id"], json={"active": False}).json()["active"] is False
    assert s["id"] in {x["id"] for x in api.get("/v1/sites?active=false&limit=500").json()["items"]}
    assert admin.delete("/v1/sites/" + s["id"]).status_code == 204


def test_offer_validation_names_schedule_fields(demo, admin):
    body = offer_body(demo, functions=["eating"], schedules=[
        {"dtstart": "2023-02-07", "rrule": "FREQ=WEEKLY;BYDAY=TH", "start_time": "13:00",
         "end_time": "15:00"},
        {"dtstart": "2023-09-20", "rrule": "FREQ=MONTHLY;BYDAY=3WE;BYSETPOS=1",
         "start_time": "18:00", "end_time": "17:00"},
        {"dtstart": "2023-09-20", "rrule": "FREQ=WEEKLY;BYDAY=3WE", "start_time": "18:00",
         "end_time": "19:00"},
        {"dtstart": "2023-09-20", "rrule": "FREQ=WEEKLY;COUNT=2;UNTIL=20240101",
         "start_time": "18:00", "end_time": "19:00"},
        {"dtstart": "2023-09-20", "until": "2023-01-01", "start_time": "25:00",
         "end_time": "19:00"},
    ])
    r = admin.post("/v1/offers", json=body)
    assert r.status_code == 422
    errs = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert "functions[0]" in errs
    assert "Tuesday" in errs["schedules[0].dtstart"]
    assert "BYSETPOS" in errs["schedules[1].rrule"] and "schedules[1].end_time" in errs
    assert "ordinals" in errs["schedules[2].rrule"]
    assert "COUNT and UNTIL" in errs["schedules[3].rrule"]
    assert "schedules[4].start_time" in errs
    many = offer_body(demo, schedules=[body["schedules"][0]] * 21)
    r = admin.post("/v1/offers", json=many)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "schedules"


def test_offer_filters(demo, api):
    def titles(q):
        return {o["title"] for o in api.get("/v1/offers?limit=500&" + q).json()["items"]}

    kalmthout = titles("municipality=Kalmthout")
    assert "Open Leersalon" in kalmthout and "Fietsbieb" not in kalmthout
    assert "Open Leersalon" in titles("function=learning")
    assert "Fietsbieb" not in titles("free=true") and "Fietsbieb" in titles("free=false")
    assert "Koffie & Formulieren" in titles("category=forms_and_bills")
    assert "Rap op Stap Kalmthout" in titles("site=" + demo["sites"]["DC De Groten Uitleg"]["id"])
    assert "Open Leersalon" in titles("q=LEERSALON")
    assert titles("partner=" + demo["partners"]["Ligo Antwerpen"]["id"]) == {"Open Leersalon"}
    assert api.get("/v1/offers?function=eating").status_code == 400


def test_partner_key_writes_only_its_own_offers(demo, admin, api):
    saamo = demo["partners"]["SAAMO"]["id"]
    key = admin.post("/v1/keys", json={"name": "SAAMO app", "role": "partner",
                                       "partner_id": saamo}).json()["token"]
    mine = api.as_key(key)
    r = mine.post("/v1/offers", json=offer_body(demo))
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert mine.patch("/v1/offers/" + oid, json={"audience": "iedereen"}).status_code == 200
    other = demo["offers"]["Open Leersalon"]
    for resp in (mine.patch("/v1/offers/" + other["id"], json={"title": "mine now"}),
                 mine.delete("/v1/offers/" + other["id"]),
                 mine.post(f"/v1/offers/{other['id']}/exceptions",
                           json={"date": "2026-12-03", "status": "cancelled"})):
        assert resp.status_code == 404
    assert api.get("/v1/offers/" + other["id"]).json()["title"] == "Open Leersalon"
    r = mine.post("/v1/offers", json=offer_body(demo, partner_id=other["partner_id"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partner_id"
    r = mine.patch("/v1/offers/" + oid, json={"partner_id": other["partner_id"]})
    assert r.status_code == 422
    assert mine.post("/v1/sites", json=site_body()).status_code == 403


def test_patch_replaces_schedules_only_when_sent(demo, admin, db_url):
    o = admin.post("/v1/offers", json=offer_body(demo)).json()
    sid = o["schedules"][0]["id"]
    r = admin.patch("/v1/offers/" + o["id"], json={"description": "x"})
    assert r.json()["schedules"][0]["id"] == sid
    new = [{"dtstart": "2026-01-05", "rrule": "FREQ=WEEKLY;BYDAY=MO", "start_time": "09:00",
            "end_time": "10:00"}, {"dtstart": "2026-06-01", "start_time": "09:00",
                                   "end_time": "12:00"}]
    r = admin.patch("/v1/offers/" + o["id"], json={"schedules": new})
    assert [s["dtstart"] for s in r.json()["schedules"]] == ["2026-01-05", "2026-06-01"]
    assert psql(db_url, "SELECT count(*) FROM schedules WHERE offer_id = :'p1'", o["id"]) == "2"
    # A document read back, schedule ids included, can be sent again.
    again = admin.patch("/v1/offers/" + o["id"], json={"schedules": r.json()["schedules"]})
    assert again.status_code == 200


def test_exceptions_follow_the_schedules(demo, admin, api):
    kff = demo["offers"]["Koffie & Formulieren"]
    path = f"/v1/offers/{kff['id']}/exceptions"
    # Mondays until 8 February 2023, Thursdays from 9 February: history is kept.
    assert admin.post(path, json={"date": "2023-01-30", "status": "cancelled"}).status_code == 201
    r = admin.post(path, json={"date": "2023-02-13", "status": "cancelled"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date"
    assert admin.post(path, json={"date": "2023-02-16", "status": "cancelled"}).status_code == 201
    moved = admin.post(path, json={"date": "2023-02-16", "status": "moved", "start_time": "14:00",
                                   "end_time": "16:00", "note": "later"})
    assert moved.status_code == 200 and moved.json()["status"] == "moved"
    for body, field in (({"date": "2023-02-23", "status": "cancelled", "start_time": "10:00",
                          "end_time": "11:00"}, "status"),
                        ({"date": "2023-02-23", "status": "moved"}, "status"),
                        ({"date": "2023-02-23", "status": "moved", "start_time": "10:00"},
                         "end_time"),
                        ({"date": "2023-02-30", "status": "cancelled"}, "date")):
        r = admin.post(path, json=body)
        assert r.status_code == 422 and field in {e["field"] for e in r.json()["errors"]}, body
    dates = [e["date"] for e in api.get(path).json()["items"]]
    assert {"2023-01-30", "2023-02-16", "2026-12-24"} <= set(dates) and dates == sorted(dates)
    assert admin.delete(path + "/2023-02-16").status_code == 204
    assert admin.delete(path + "/2023-02-16").status_code == 404
    assert admin.delete(path + "/tomorrow").status_code == 404


def test_exceptions_survive_an_edit_of_the_offer(demo, admin, api):
    o = admin.post("/v1/offers", json=offer_body(demo)).json()
    path = f"/v1/offers/{o['id']}/exceptions"
    assert admin.post(path, json={"date": "2026-12-24", "status": "cancelled",
                                  "note": "Kerstavond"}).status_code == 201
    # Move the offer to Mondays: the Thursday exception stays, and shows again when
    # Thursdays come back.
    admin.patch("/v1/offers/" + o["id"], json={"schedules": [
        {"dtstart": "2026-01-05", "rrule": "FREQ=WEEKLY;BYDAY=MO", "start_time": "13:00",
         "end_time": "15:00"}]})
    assert [e["date"] for e in api.get(path).json()["items"]] == ["2026-12-24"]
    r = admin.post(path, json={"date": "2026-12-31", "status": "cancelled"})
    assert r.status_code == 422


def test_monthly_third_wednesday_and_audit(demo, admin):
    o = admin.post("/v1/offers", json=offer_body(demo, schedules=[
        {"dtstart": "2026-01-21", "rrule": "FREQ=MONTHLY;BYDAY=3WE", "start_time": "18:00",
         "end_time": "19:30"}])).json()
    path = f"/v1/offers/{o['id']}/exceptions"
    assert admin.post(path, json={"date": "2026-12-16", "status": "cancelled"}).status_code == 201
    assert admin.post(path, json={"date": "2026-12-09", "status": "cancelled"}).status_code == 422
    audit = admin.get(f"/v1/audit?entity=offer_exception&entity_id={o['id']}/2026-12-16").json()
    assert [a["action"] for a in audit["items"]] == ["create"]
    assert admin.delete("/v1/offers/" + o["id"]).status_code == 204
    assert admin.get(path).status_code == 404
