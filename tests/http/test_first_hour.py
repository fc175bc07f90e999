"""Issue 30: what residents are told, a newcomer's first hour, and the edges outsiders found.

Each test here failed before the change it names: defaults that published "free" and "walk
in" when nobody said so, coordinates printed with float noise, no kind filter, no /v1/me, an
empty calendar for a misspelled municipality, write answers that hid the translations just
written, no PATCH for exceptions and closures, a contract that disagreed with the server.
"""
import json
import re
import uuid

import icalendar
import pytest
import requests

from conftest import psql, unique

WEEK = {"from": "2027-02-01", "to": "2027-02-07"}


@pytest.fixture
def place(admin):
    """A municipality of its own with a site (coordinates as people type them) and a partner."""
    town = "Zoersel" + uuid.uuid4().hex[:8]
    site = admin.post("/v1/sites", json={
        "name": unique("Buurthuis"), "location": {"lat": 51.3869, "lon": 4.4697},
        "address": {"street": "Kerkplein 1", "postal_code": "2980", "municipality": town}})
    assert site.status_code == 201, site.text
    partner = admin.post("/v1/partners", json={"name": unique("Buurtwerk"), "kind": "welfare"})
    assert partner.status_code == 201, partner.text
    return {"town": town, "site": site.json(), "partner": partner.json()}


def new_offer(admin, place, **extra):
    body = dict({"title": unique("Soepmoment"), "site_id": place["site"]["id"],
                 "partner_id": place["partner"]["id"], "functions": ["meeting"],
                 "schedules": [{"dtstart": "2027-02-02", "rrule": "FREQ=WEEKLY;BYDAY=TU",
                                "start_time": "13:00", "end_time": "15:00"}]}, **extra)
    r = admin.post("/v1/offers", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def feed_items(api, place, **params):
    r = api.get("/v1/feed", params={"municipality": place["town"], **WEEK, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def json_ld(html):
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert m, "the page carries JSON-LD"
    return m.group(1)


def test_an_offer_that_says_nothing_about_price_or_registration_is_not_published_as_free(
        admin, api, place, db_url, daemon):
    offer = new_offer(admin, place)
    assert offer["free"] is None and offer["registration"] is None
    assert psql(db_url, "SELECT coalesce(free::text, 'NULL') || '/' || coalesce(registration, "
                        "'NULL') FROM offers WHERE id = :'p1'", offer["id"]) == "NULL/NULL"
    [item] = feed_items(api, place)
    assert item["free"] is None and item["registration"] is None
    # Unknown is neither free nor paying.
    assert feed_items(api, place, free="true") == [] and feed_items(api, place, free="false") == []
    ics = api.get("/v1/feed.ics", params={"municipality": place["town"], **WEEK})
    [ev] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    for told in ("Gratis", "free", "Geen afspraak nodig", "Inschrijven nodig"):
        assert told not in str(ev["DESCRIPTION"]), told
    page = requests.get(f"{daemon.base}/activity/{item['occurrence_id']}", timeout=30).text
    assert 'class="price"' not in page and "Gratis" not in page
    ld = json.loads(json_ld(page))
    assert "isAccessibleForFree" not in ld and "offers" not in ld
    hsds = api.get(f"/hsds/services/{offer['id']}").json()
    assert "fees_description" not in hsds and "application_process" not in hsds
    assert hsds["cost_options"] == []
    uit = api.get(f"/v1/offers/{offer['id']}/uitdatabank")
    assert "priceInfo" not in uit.text
    # Said, it is told.
    r = admin.patch(f"/v1/offers/{offer['id']}", json={"free": True, "registration": "none"})
    assert r.status_code == 200 and r.json()["free"] is True, r.text
    [item] = feed_items(api, place, free="true")
    ics = api.get("/v1/feed.ics", params={"municipality": place["town"], **WEEK})
    [ev] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert "Gratis" in str(ev["DESCRIPTION"]) and "Geen afspraak nodig" in str(ev["DESCRIPTION"])
    page = requests.get(f"{daemon.base}/activity/{item['occurrence_id']}", timeout=30).text
    assert json.loads(json_ld(page))["isAccessibleForFree"] is True
    # And taken back: null is unknown again.
    r = admin.patch(f"/v1/offers/{offer['id']}", json={"free": None, "registration": None})
    assert r.status_code == 200 and r.json()["free"] is None and r.json()["registration"] is None


def test_coordinates_are_printed_as_stored(admin, api, place, daemon):
    offer = new_offer(admin, place, free=True)
    [item] = feed_items(api, place)
    page = requests.get(f"{daemon.base}/activity/{item['occurrence_id']}", timeout=30).text
    ld = json_ld(page)
    assert '"latitude":51.3869' in ld and '"longitude":4.4697' in ld, ld
    assert "51.38689" not in ld and "4.46969" not in ld
    ics = api.get("/v1/feed.ics", params={"municipality": place["town"], **WEEK}).text
    assert "GEO:51.3869;4.4697" in ics
    assert '"lat":51.3869,"lon":4.4697' in api.get("/v1/feed", params={
        "municipality": place["town"], **WEEK}).text
    # What is sent with float noise or more than 7 decimals is kept with 7 at most.
    r = admin.patch(f"/v1/sites/{place['site']['id']}",
                    json={"location": {"lat": 51.386899999999997, "lon": 4.46971234567}})
    assert r.status_code == 200, r.text
    assert r.json()["location"] == {"lat": 51.3869, "lon": 4.4697123}
    assert '"lat":51.3869,"lon":4.4697123' in api.get(f"/v1/sites/{place['site']['id']}").text
    assert offer["id"]


def test_the_feed_and_its_calendar_take_a_kind(admin, api, place):
    act = new_offer(admin, place)
    hours = new_offer(admin, place, kind="opening_hours", title=unique("Sociale kruidenier"))
    kinds = {i["offer_id"]: i["kind"] for i in feed_items(api, place)}
    assert kinds == {act["id"]: "activity", hours["id"]: "opening_hours"}
    assert [i["offer_id"] for i in feed_items(api, place, kind="activity")] == [act["id"]]
    assert [i["offer_id"] for i in feed_items(api, place, kind="opening_hours")] == [hours["id"]]
    ics = api.get("/v1/feed.ics", params={"municipality": place["town"], "kind": "activity",
                                          **WEEK})
    summaries = [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(ics.content).walk("VEVENT")]
    assert summaries == [act["title"]]
    r = api.get("/v1/feed", params={"kind": "event"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "kind"


def test_a_key_learns_what_it_is(admin, api, place):
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner",
                                     "partner_id": place["partner"]["id"]})
    assert k.status_code == 201, k.text
    token = k.json()["token"]
    me = api.as_key(token).get("/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["id"] == k.json()["id"] and body["role"] == "partner"
    assert body["partner"] == {"id": place["partner"]["id"], "name": place["partner"]["name"]}
    assert body["partner_id"] == place["partner"]["id"]
    assert body["expires_at"] == k.json()["expires_at"] and body["expires_at"] is not None
    assert "offers" in body["scopes"] and "keys" not in body["scopes"]
    assert token not in me.text and "token" not in body and "hash" not in me.text
    mine = admin.get("/v1/me").json()
    assert mine["role"] == "admin" and mine["partner"] is None and "keys" in mine["scopes"]
    assert api.get("/v1/me").status_code == 401
    admin.delete(f"/v1/keys/{k.json()['id']}")
    assert api.as_key(token).get("/v1/me").status_code == 401


def test_a_misspelled_municipality_is_answered_with_the_closest_known_ones(admin, api, place):
    new_offer(admin, place, free=True)
    typo = place["town"][:-1]  # a letter short
    r = api.get("/print/month", params={"municipality": typo, "month": "2027-02"})
    assert r.status_code == 404, r.text
    err = r.json()["errors"][0]
    assert err["field"] == "municipality" and err["suggestions"][0] == place["town"]
    assert api.get("/print/month", params={"municipality": place["town"],
                                           "month": "2027-02"}).status_code == 200
    for path in ("/v1/feed", "/v1/feed.ics", "/v1/sites", "/v1/offers", "/v1/stats/signals",
                 "/v1/stats/answers"):
        for _ in range(2):  # computed, then from the cache: the hint stays
            r = api.get(path, params={"municipality": typo, **(WEEK if "feed" in path else {})})
            assert r.status_code == 200, (path, r.text)
            hint = r.headers.get("Stek-Hint", "")
            assert f'unknown municipality "{typo}"' in hint and f'"{place["town"]}"' in hint, \
                (path, hint)
        if path in ("/v1/feed", "/v1/sites", "/v1/offers"):
            assert r.json()["items"] == []
        if "stats" not in path:  # (a known municipality without signals: nothing to count)
            good = api.get(path, params={"municipality": place["town"],
                                         **(WEEK if "feed" in path else {})})
            assert "Stek-Hint" not in good.headers, path
    far = api.get("/v1/feed", params={"municipality": "Qqqqqqqqqqqqq", **WEEK})
    assert "no known municipality is close" in far.headers["Stek-Hint"]
    r = api.get("/v1/feed", params={"municipality": "Liège-sur-mer-x", **WEEK})
    assert "Li%C3%A8ge" in r.headers["Stek-Hint"]  # ASCII: UTF-8 percent-encoded
    r = api.get("/print/month", params={})
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["field"] == "site" and not err["message"].startswith("give")


def test_a_write_in_languages_is_answered_in_languages(admin, api, place):
    offer = new_offer(admin, place, description="Soep en een babbel.")
    path = f"/v1/offers/{offer['id']}"
    assert offer["title"] == api.get(path).json()["title"]  # plain in, plain out
    r = admin.patch(path, json={"title": {"fr": "Moment soupe"}})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == {"nl": offer["title"], "fr": "Moment soupe"}
    assert r.json()["description"] == {"nl": "Soep en een babbel."}
    assert r.json()["language"] == "all"
    r = admin.patch(path, json={"description": {"fr": "Soupe et papotage."}}, params={"lang": "fr"})
    assert r.json()["title"] == "Moment soupe"  # ?lang= chooses
    missing = api.get(path, params={"missing_languages": "true"}).json()["missing_languages"]
    assert missing == {"en": ["title", "description"], "de": ["title", "description"]}
    assert "missing_languages" not in api.get(path).json()
    site = api.get(f"/v1/sites/{place['site']['id']}", params={"missing_languages": "true"})
    assert site.json()["missing_languages"]["fr"] == ["name"]
    listed = api.get("/v1/offers", params={"municipality": place["town"],
                                            "missing_languages": "true"}).json()["items"]
    assert [o["missing_languages"] for o in listed] == [missing]
    assert "missing_languages" not in api.get("/v1/offers", params={
        "municipality": place["town"]}).json()["items"][0]
    r = api.get(path, params={"missing_languages": "yes"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "missing_languages"


def test_exceptions_and_closures_take_a_patch(admin, api, place):
    offer = new_offer(admin, place)
    path = f"/v1/offers/{offer['id']}/exceptions"
    r = admin.post(path, json={"date": "2027-02-02", "status": "cancelled", "note": "Geen soep"})
    assert r.status_code == 201, r.text
    r = admin.patch(f"{path}/2027-02-02", data=json.dumps({"note": {"fr": "Pas de soupe"}}),
                    headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["note"] == {"nl": "Geen soep", "fr": "Pas de soupe"}
    fr = api.get(f"{path}/2027-02-02", params={"lang": "fr"}).json()
    assert fr["note"] == "Pas de soupe" and fr["status"] == "cancelled"
    # The feed shows an occurrence in one language: French once the offer has its French title.
    assert admin.patch(f"/v1/offers/{offer['id']}", json={"title": {"fr": "Soupe"}}).ok
    [item] = feed_items(api, place, lang="fr")
    assert item["status"] == "cancelled" and item["note"] == "Pas de soupe"
    r = admin.patch(f"{path}/2027-02-02", json={"status": "moved"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    r = admin.patch(f"{path}/2027-02-02", json={"date": "2027-02-09"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "date"
    assert admin.patch(f"{path}/2027-02-09", json={"note": "x"}).status_code == 404
    # Posting again for the same date replaces the exception whole: 200, not 201.
    r = admin.post(path, json={"date": "2027-02-02", "status": "cancelled", "note": "Verlof"})
    assert r.status_code == 200 and r.json()["note"] == "Verlof"
    assert api.get(f"{path}/2027-02-02", params={"lang": "fr"}).json()["note"] == "Verlof"

    cpath = f"/v1/sites/{place['site']['id']}/closures"
    c = admin.post(cpath, json={"from": "2027-07-01", "to": "2027-07-31", "note": "Zomer"})
    assert c.status_code == 201, c.text
    r = admin.patch(f"{cpath}/{c.json()['id']}", headers={
        "Content-Type": "application/merge-patch+json"}, data=json.dumps(
            {"note": {"fr": "Été"}, "to": "2027-08-15"}))
    assert r.status_code == 200, r.text
    assert r.json()["note"] == {"nl": "Zomer", "fr": "Été"} and r.json()["to"] == "2027-08-15"
    r = admin.patch(f"{cpath}/{c.json()['id']}", json={"to": "2027-06-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    assert admin.patch(f"{cpath}/{uuid.uuid4()}", json={"note": "x"}).status_code == 404
    other = admin.post("/v1/partners", json={"name": unique("Elders"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "x", "role": "partner", "partner_id": other["id"]})
    r = api.as_key(k.json()["token"]).patch(f"{cpath}/{c.json()['id']}", json={"note": "x"})
    assert r.status_code == 403


def test_themes_take_what_the_document_says(admin):
    code = "t" + uuid.uuid4().hex[:10]
    r = admin.post("/v1/themes", json={"code": code, "label_nl": "Energie", "label_en": "Energy",
                                       "main_language": "nl", "language": "nl"})
    assert r.status_code == 201, r.text
    r = admin.post("/v1/themes", json={"code": code + "x", "label_nl": "A", "label_en": "A",
                                       "main_language": "fr"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "main_language"


def test_declared_headers_are_sent_on_keyed_reads_and_empty_pages(admin, api, place):
    offer = new_offer(admin, place)
    raw = admin.get("/v1/stats/signals", params={"raw": "true"})
    assert raw.status_code == 200, raw.text
    for h in ("ETag", "Last-Modified", "Cache-Control"):
        assert h in raw.headers, h
    assert raw.headers["Cache-Control"] == "no-store"  # exact counts: kept nowhere
    keyed = admin.get("/v1/sites", params={"limit": 1})
    assert keyed.headers["Cache-Control"] == "private, no-cache" and keyed.headers["ETag"]
    again = admin.get("/v1/stats/signals", params={"raw": "true"},
                      headers={"If-None-Match": raw.headers["ETag"]})
    assert again.status_code == 304
    for path, params in ((f"/v1/offers/{offer['id']}/exceptions", {}),
                         (f"/v1/sites/{place['site']['id']}/closures", {}),
                         ("/v1/partners", {"limit": 1}),
                         ("/v1/sites", {"municipality": place["town"] + "-none"}),
                         ("/v1/offers", {"municipality": place["town"] + "-none"})):
        for who in (api, admin):
            r = who.get(path, params=params)
            assert r.status_code == 200, r.text
            assert "Accept-Language" in r.headers.get("Vary", ""), (path, r.headers)
            assert r.headers.get("Content-Language"), (path, r.headers)


def test_help_with_forms_is_not_exported_as_a_course(admin, api, place):
    offer = new_offer(admin, place, functions=["learning", "referral"],
                      categories=["forms_and_bills"])
    r = api.get(f"/v1/offers/{offer['id']}/uitdatabank")
    assert r.status_code == 422, r.text
    assert r.json()["type"] == "urn:stek:problem:not-exportable"
    assert [e["field"] for e in r.json()["errors"]] == ["categories"]


@pytest.mark.parametrize("text", [
    "Mail jan apestaartje telenet punt be",
    "schrijf naar els aapje skynet punt be",
    "contact: an.desmet arrobase outlook point fr",
    "mohamed arroba gmail punto com",
    "mail naar jan.peeters@telenet,be",
    "jan(a)telenet.be na 17u",
    "k.janssens klammeraffe web punkt de",
])
def test_the_privacy_guard_reads_the_other_names_of_the_at_sign(admin, place, text):
    r = admin.post("/v1/offers", json={
        "title": unique("Soep"), "description": text, "site_id": place["site"]["id"],
        "partner_id": place["partner"]["id"], "functions": ["meeting"]})
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert err["field"] == "description" and err["personal_data"] == "email"
    assert text not in r.text


def test_harmless_commas_pass_the_guard(admin, place):
    new_offer(admin, place, description="Soep, brood en koffie: 2,50 euro, thee gratis.")


def help_entries():
    from conftest import BUILD
    import subprocess
    out = subprocess.run([str(BUILD / "stekd"), "--help"], capture_output=True, text=True).stdout
    entries, name = {}, None
    for line in out.splitlines():
        m = re.match(r"^  ([A-Z][A-Z_]+) +(.*)$", line)
        if m:
            name = m.group(1)
            entries[name] = m.group(2)
        elif name and line.startswith("    "):
            entries[name] += " " + line.strip()
        else:
            name = None
    return entries


def test_each_default_in_help_is_under_its_own_variable():
    entries = help_entries()
    assert "Europe/Brussels" in entries["STEK_TIMEZONE"]
    assert "io.uitdatabank.be" in entries["STEK_UITDATABANK_URL"]
    assert "Europe" not in entries["STEK_READ_URLS"] and "default none" in entries["STEK_READ_URLS"]
    # At most one default per variable (the man page and stek.env are made from this text).
    for name, text in entries.items():
        assert text.count("(default") + text.count("; default") <= 1, (name, text)


def test_an_update_is_audited_with_the_fields_it_changed_not_their_values(admin, place):
    offer = new_offer(admin, place, description="Soep en een babbel.")
    path = f"/v1/offers/{offer['id']}"
    r = admin.patch(path, json={"title": {"fr": "Moment soupe secret"},
                                "description": "Nieuwe tekst geheim", "free": True})
    assert r.status_code == 200, r.text
    admin.patch(path, json={"description": "Nieuwe tekst geheim"})  # changes nothing
    entries = admin.get("/v1/audit", params={"entity": "offer", "entity_id": offer["id"]}).json()
    updates = [e for e in entries["items"] if e["action"] == "update"]
    assert [u["fields"] for u in updates] in ([[], ["description", "free", "title.fr"]],
                                             [["description", "free", "title.fr"], []])
    created = [e for e in entries["items"] if e["action"] == "create"]
    assert created and created[0]["fields"] is None
    text = json.dumps(entries)
    assert "geheim" not in text and "secret" not in text.replace("title.fr", "")


def test_the_documentation_states_the_widgets_served_size(daemon):
    from conftest import ROOT
    text = (ROOT / "docs" / "widget.md").read_text()
    stated = float(re.search(r"about (\d+(?:\.\d+)?) KB gzipped as served", text).group(1))
    r = requests.get(daemon.base + "/widget.js", headers={"Accept-Encoding": "gzip"},
                     stream=True, timeout=10)
    assert r.headers.get("Content-Encoding") == "gzip"
    served = len(r.raw.read(decode_content=False)) / 1024
    assert abs(served - stated) <= 0.5, (stated, served)


def test_every_documented_read_answers_with_its_declared_headers(admin, api, place, spec, daemon):
    """Each GET of the document, anonymously and with an admin key, checked against what the
    document declares for that answer (Spec.check: status, headers marked required, body)."""
    offer = new_offer(admin, place, free=True, registration="none")
    oid, sid, pid = offer["id"], place["site"]["id"], place["partner"]["id"]
    admin.post(f"/v1/offers/{oid}/exceptions", json={"date": "2027-02-02", "status": "cancelled"})
    cid = admin.post(f"/v1/sites/{sid}/closures", json={"from": "2027-08-01",
                                                         "to": "2027-08-02"}).json()["id"]
    other = admin.post("/v1/partners", json={"name": unique("Doorverwezen"),
                                             "kind": "welfare"}).json()
    keys = {p: admin.post("/v1/keys", json={"name": "k", "role": "partner", "partner_id": p})
            .json() for p in (pid, other["id"])}
    partner = api.as_key(keys[pid]["token"])
    import uuid as _uuid
    sig = partner.post("/v1/signals", headers={"Idempotency-Key": _uuid.uuid4().hex}, json={
        "kind": "referral", "theme": "energy", "site_id": sid, "occurred_on": "2026-11-19",
        "referred_to_partner_id": other["id"]}).json()
    [item] = feed_items(api, place)
    page = api.get("/").text
    asset = re.search(r'src="(/assets/[^"]+)"', page).group(1)
    sal = api.get("/hsds/service_at_locations", params={"per_page": 1}).json()["contents"][0]
    tax = api.get("/hsds/taxonomies").json()["contents"][0]
    term = api.get("/hsds/taxonomy_terms", params={"per_page": 1}).json()["contents"][0]
    wid = str(_uuid.uuid4())
    urls = {
        "/": "/", "/widget.js": "/widget.js", "/assets/{file}": asset, "/healthz": "/healthz",
        "/readyz": "/readyz", "/openapi.json": "/openapi.json", "/metrics": "/metrics",
        "/stats": "/stats?municipality=" + place["town"],
        "/print/month": f"/print/month?site={sid}&month=2027-02",
        "/v1/partners": "/v1/partners?limit=2", "/v1/partners/{id}": f"/v1/partners/{pid}",
        "/v1/partners/{id}/webhooks": f"/v1/partners/{pid}/webhooks",
        "/v1/partners/{id}/webhooks/{wid}": f"/v1/partners/{pid}/webhooks/{wid}",
        "/v1/partners/{id}/webhooks/{wid}/deliveries": f"/v1/partners/{pid}/webhooks/{wid}/deliveries",
        "/v1/sites": "/v1/sites?limit=2", "/v1/sites/{id}": f"/v1/sites/{sid}",
        "/v1/sites/{id}/closures": f"/v1/sites/{sid}/closures",
        "/v1/sites/{id}/closures/{cid}": f"/v1/sites/{sid}/closures/{cid}",
        "/v1/offers": "/v1/offers?limit=2", "/v1/offers/{id}": f"/v1/offers/{oid}",
        "/v1/offers/{id}/uitdatabank": f"/v1/offers/{oid}/uitdatabank",
        "/v1/offers/{id}/exceptions": f"/v1/offers/{oid}/exceptions",
        "/v1/offers/{id}/exceptions/{date}": f"/v1/offers/{oid}/exceptions/2027-02-02",
        "/v1/feed": f"/v1/feed?municipality={place['town']}&from=2027-02-01&to=2027-02-07",
        "/v1/feed.ics": f"/v1/feed.ics?municipality={place['town']}&from=2027-02-01&to=2027-02-07",
        "/v1/themes": "/v1/themes", "/v1/signals": "/v1/signals?limit=2",
        "/v1/signals/{id}": f"/v1/signals/{sig['id']}",
        "/v1/handoffs/{code}": f"/v1/handoffs/{sig['handoff_code']}",
        "/v1/stats/signals": "/v1/stats/signals?group_by=theme",
        "/v1/stats/answers": "/v1/stats/answers",
        "/activity/{occurrence_id}": f"/activity/{item['occurrence_id']}",
        "/hsds": "/hsds", "/hsds/": "/hsds/", "/hsds/profile": "/hsds/profile",
        "/hsds/services": "/hsds/services?per_page=2", "/hsds/services/{id}": f"/hsds/services/{oid}",
        "/hsds/service_at_locations": "/hsds/service_at_locations?per_page=2",
        "/hsds/service_at_locations/{id}": f"/hsds/service_at_locations/{sal['id']}",
        "/hsds/organizations": "/hsds/organizations?per_page=2",
        "/hsds/organizations/{id}": f"/hsds/organizations/{pid}",
        "/hsds/taxonomies": "/hsds/taxonomies", "/hsds/taxonomies/{id}": f"/hsds/taxonomies/{tax['id']}",
        "/hsds/taxonomy_terms": "/hsds/taxonomy_terms?per_page=2",
        "/hsds/taxonomy_terms/{id}": f"/hsds/taxonomy_terms/{term['id']}",
        "/v1/keys": "/v1/keys?limit=2", "/v1/me": "/v1/me",
        "/v1/keys/{id}": f"/v1/keys/{keys[pid]['id']}", "/v1/audit": "/v1/audit?limit=2",
        "/v1/partners/{id}/calendars": f"/v1/partners/{pid}/calendars",
        "/v1/partners/{id}/calendars/{cid}": f"/v1/partners/{pid}/calendars/{wid}",
        "/v1/partners/{id}/calendars/{cid}/runs": f"/v1/partners/{pid}/calendars/{wid}/runs",
        "/v1/search/synonyms": "/v1/search/synonyms",
    }
    documented = {p for p, ops in spec.doc["paths"].items() if "get" in ops}
    assert documented == set(urls), documented ^ set(urls)
    referred = api.as_key(keys[other["id"]]["token"])
    for tmpl, url in urls.items():
        path, _, query = url.partition("?")
        params = dict(x.split("=", 1) for x in query.split("&")) if query else None
        who = referred if tmpl == "/v1/handoffs/{code}" else partner if "webhooks" in tmpl else admin
        r = who.get(path, params=params)  # checked against the document by Api
        expect = ({404} if "{wid}" in tmpl or "{cid}" in tmpl and "calendars" in tmpl
                  else {200, 422} if "uitdatabank" in tmpl else {200})
        assert r.status_code in expect, (tmpl, r.text[:300])
        if tmpl != "/metrics":
            anon = api.get(path, params=params)
            assert anon.status_code in (200, 401, 404, 422), (tmpl, anon.status_code)
