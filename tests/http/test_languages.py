"""Content in the reader's language: Dutch, French, English, German (issue 16)."""
import uuid

import icalendar
import requests

from conftest import unique

FR = {"Accept-Language": "fr-BE, fr;q=0.9, nl;q=0.5"}


def site_of(demo):
    return demo["sites"]["Kantine Bezemheide"]["id"]


def new_offer(admin, demo, **extra):
    body = {"title": {"nl": unique("Soepmoment"), "fr": unique("Moment soupe")},
            "description": {"nl": "Soep en een babbel.", "fr": "Soupe et papotage."},
            "site_id": site_of(demo), "partner_id": demo["partners"]["SAAMO"]["id"],
            "functions": ["meeting"], "free": True, "registration": "none",
            "schedules": [{"dtstart": "2026-12-03", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                           "start_time": "13:00", "end_time": "15:00"}]}
    body.update(extra)
    r = admin.post("/v1/offers", json=body)
    assert r.status_code == 201, r.text
    return r.json(), body


def test_a_record_answers_in_the_readers_language(admin, api, demo):
    offer, body = new_offer(admin, demo)
    # Written with objects, answered with objects: the writer sees every language stored.
    assert offer["title"] == body["title"] and offer["language"] == "all"
    assert offer["main_language"] == "nl" and "translations" not in offer
    path = f"/v1/offers/{offer['id']}"
    # Read back plain in the main language, saying which.
    nl = api.get(path).json()
    assert nl["title"] == body["title"]["nl"] and nl["language"] == "nl"
    fr = api.get(path, headers=FR)
    assert fr.status_code == 200
    assert fr.json()["title"] == body["title"]["fr"] and fr.json()["language"] == "fr"
    assert fr.json()["description"] == "Soupe et papotage."
    assert fr.headers["Content-Language"] == "fr"
    assert "Accept-Language" in fr.headers["Vary"]
    # ?lang= wins over Accept-Language; a region counts as its language.
    assert api.get(path, params={"lang": "nl"}, headers=FR).json()["title"] == body["title"]["nl"]
    assert api.get(path, params={"lang": "fr-BE"}).json()["language"] == "fr"
    # ETags are per language, and a 304 only for the same language.
    nl = api.get(path)
    assert nl.headers["Content-Language"] == "nl"
    assert nl.headers["ETag"] != fr.headers["ETag"]
    assert api.get(path, headers={**FR, "If-None-Match": fr.headers["ETag"]}).status_code == 304
    assert api.get(path, headers={**FR, "If-None-Match": nl.headers["ETag"]}).status_code == 200
    # ?lang=all: every language of each translatable text.
    everything = api.get(path, params={"lang": "all"}).json()
    assert everything["title"] == body["title"] and everything["language"] == "all"
    assert everything["audience"] is None


def test_a_missing_translation_falls_back_to_the_main_language_and_says_so(admin, api, demo):
    offer, body = new_offer(admin, demo)
    path = f"/v1/offers/{offer['id']}"
    # An unsupported language alone is no error: the main language.
    for headers, params in (({"Accept-Language": "es"}, {}), ({}, {"lang": "es"}),
                            ({"Accept-Language": "de"}, {}), ({"Accept-Language": "*"}, {})):
        r = api.get(path, headers=headers, params=params)
        assert r.status_code == 200 and r.json()["language"] == "nl", (headers, params)
        assert r.json()["title"] == body["title"]["nl"]
    # The reader's best language the record has: German is wanted most, French is there.
    r = api.get(path, headers={"Accept-Language": "de, fr;q=0.8, en;q=0.5"})
    assert r.json()["language"] == "fr" and r.json()["title"] == body["title"]["fr"]
    # q=0 refuses a language.
    # ?lang= belongs to reads with texts; too long a value is a clear 400.
    r = api.get("/v1/offers", params={"lang": "x" * 36})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "lang"
    assert api.get("/v1/stats/signals", params={"lang": "fr"}).status_code == 400
    r = api.get(path, headers={"Accept-Language": "fr;q=0, en"})
    assert r.json()["language"] == "nl"
    # One record, one language: a half-translated record stays in its main language.
    half, hbody = new_offer(admin, demo, description={"nl": "Alleen Nederlands."})
    r = api.get(f"/v1/offers/{half['id']}", headers=FR).json()
    assert r["language"] == "nl" and r["title"] == hbody["title"]["nl"]


def test_lists_are_localized_item_by_item(admin, api, demo):
    offer, body = new_offer(admin, demo)
    r = api.get("/v1/offers", params={"site": site_of(demo), "limit": 500}, headers=FR)
    items = {o["id"]: o for o in r.json()["items"]}
    assert items[offer["id"]]["title"] == body["title"]["fr"]
    assert {o["language"] for o in items.values()} <= {"fr", "nl"}
    assert "fr" in r.headers["Content-Language"]
    # Search finds an offer by any of its languages, accents folded.
    found = api.get("/v1/offers", params={"q": "papotage"}).json()["items"]
    assert offer["id"] in [o["id"] for o in found]
    found = api.get("/v1/offers", params={"q": body["title"]["fr"].upper()}).json()["items"]
    assert offer["id"] in [o["id"] for o in found]


def test_a_patch_changes_one_language_and_a_plain_string_the_main_one(admin, api, demo):
    offer, body = new_offer(admin, demo)
    path = f"/v1/offers/{offer['id']}"
    etag_fr = api.get(path, headers=FR).headers["ETag"]
    # If-Match takes the ETag of any language of the current version.
    r = admin.patch(path, json={"title": {"de": "Suppenmoment"}},
                    headers={"If-Match": etag_fr})
    assert r.status_code == 200, r.text
    titles = api.get(path, params={"lang": "all"}).json()["title"]
    assert titles == {**body["title"], "de": "Suppenmoment"}
    # German is not complete (no description): a German reader gets the main language.
    assert api.get(path, headers={"Accept-Language": "de"}).json()["language"] == "nl"
    admin.patch(path, json={"description": {"de": "Suppe und ein Gespräch."}})
    de = api.get(path, headers={"Accept-Language": "de"}).json()
    assert de["language"] == "de" and de["title"] == "Suppenmoment"
    # A plain string is the main language; its old translations go (they translated the old text).
    admin.patch(path, json={"title": "Nieuwe titel"})
    assert api.get(path, params={"lang": "all"}).json()["title"] == {"nl": "Nieuwe titel"}
    # A client that reads and writes plain strings keeps working.
    assert admin.patch(path, json={"description": "Gewoon tekst."}).json()["description"] == \
        "Gewoon tekst."
    # The main language may change, with every text in it.
    r = admin.patch(path, json={"main_language": "fr", "title": {"fr": "Titre"}})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["description"]
    r = admin.patch(path, json={"main_language": "fr", "title": {"fr": "Titre"},
                                "description": {"fr": "Texte"}})
    assert r.status_code == 200 and r.json()["title"]["fr"] == "Titre"
    assert r.json()["language"] == "all" and r.json()["main_language"] == "fr"
    assert api.get(path, params={"lang": "nl"}).json()["title"] == "Nieuwe titel"


def test_every_language_passes_the_checks_and_the_guard(admin, demo):
    base = {"site_id": site_of(demo), "partner_id": demo["partners"]["SAAMO"]["id"],
            "functions": ["meeting"]}
    cases = [
        ({"title": {"nl": unique("Ok"), "fr": "Appelez le 0470 12 34 56"}}, "title.fr"),
        ({"title": unique("Ok"), "description": {"nl": "Goed", "en": "mail jan@example.org"}},
         "description.en"),
        ({"title": {"nl": unique("Ok"), "xx": "?"}}, "title.xx"),
        ({"title": {"nl": unique("Ok"), "é" * 60: "?"}}, "title"),  # a key never echoed cut
        ({"title": {"fr": "Seulement en français"}}, "title"),
        ({"title": {"nl": unique("Ok"), "fr": "x" * 201}}, "title.fr"),
        ({"title": {"nl": unique("Ok"), "de": "zwei\nZeilen"}}, "title.de"),
        ({"title": {"nl": unique("Ok"), "fr": 5}}, "title.fr"),
        ({"title": {}}, "title"),
        ({"title": unique("Ok"), "main_language": "es"}, "main_language"),
    ]
    for extra, field in cases:
        r = admin.post("/v1/offers", json={**base, **extra})
        assert r.status_code == 422, (extra, r.text)
        fields = [e["field"] for e in r.json()["errors"]]
        assert field in fields, (extra, fields)
        if field in ("title.fr", "description.en") and "0470" in str(extra) or "@" in str(extra):
            err = next(e for e in r.json()["errors"] if e["field"] == field)
            assert err.get("personal_data") in ("phone", "email"), err
            assert "0470" not in r.text and "jan@" not in r.text


def test_sites_partners_notes_and_themes_in_languages(admin, api, demo):
    site = admin.post("/v1/sites", json={
        "name": {"fr": unique("Maison"), "nl": unique("Huis")}, "main_language": "fr",
        "accessibility": {"fr": "Accessible en chaise roulante.", "nl": "Rolstoeltoegankelijk."},
        "address": {"street": "Rue Haute 1", "postal_code": "1000", "municipality": "Brussel"}})
    assert site.status_code == 201, site.text
    s = site.json()
    assert s["language"] == "all" and s["main_language"] == "fr"
    assert s["accessibility"] == {"fr": "Accessible en chaise roulante.",
                                  "nl": "Rolstoeltoegankelijk."}
    nl = api.get(f"/v1/sites/{s['id']}", headers={"Accept-Language": "nl-BE"}).json()
    assert nl["language"] == "nl" and nl["accessibility"] == "Rolstoeltoegankelijk."
    # A closure's note is in its site's main language unless it says otherwise.
    c = admin.post(f"/v1/sites/{s['id']}/closures", json={
        "from": "2027-07-01", "to": "2027-07-31",
        "note": {"fr": "Fermé en juillet", "nl": "Gesloten in juli"}})
    assert c.status_code == 201, c.text
    assert c.json()["main_language"] == "fr" and c.json()["note"]["fr"] == "Fermé en juillet"
    listed = api.get(f"/v1/sites/{s['id']}/closures", params={"lang": "nl"}).json()["items"]
    assert listed[0]["note"] == "Gesloten in juli" and listed[0]["language"] == "nl"
    # A partner's description.
    p = admin.post("/v1/partners", json={"name": unique("Partner"), "kind": "welfare",
                                         "description": {"nl": "Welzijn.", "de": "Wohlfahrt."}})
    assert p.status_code == 201, p.text
    de = api.get(f"/v1/partners/{p.json()['id']}", headers={"Accept-Language": "de"}).json()
    assert de["description"] == "Wohlfahrt." and de["language"] == "de"
    # Theme labels: four languages, and `label` in the reader's.
    themes = api.get("/v1/themes", params={"limit": 100}, headers=FR).json()["items"]
    work = next(t for t in themes if t["code"] == "work")
    assert work["label"] == "Travail" and work["label_de"] == "Arbeit" and work["language"] == "fr"
    made = admin.post("/v1/themes", json={"code": "w" + uuid.uuid4().hex[:20],
                                          "label_nl": "Water", "label_en": "Water",
                                          "label_fr": "Eau", "label_de": "Wasser"})
    assert made.status_code == 201, made.text
    assert made.json()["label_fr"] == "Eau"
    # Like every text, a label may come as an object of languages (English falls back to Dutch).
    made = admin.post("/v1/themes", json={"code": "w" + uuid.uuid4().hex[:20],
                                          "label": {"nl": "Vuur", "fr": "Feu"}})
    assert made.status_code == 201, made.text
    assert (made.json()["label_nl"], made.json()["label_fr"], made.json()["label_en"]) == \
        ("Vuur", "Feu", "Vuur")
    bad = admin.post("/v1/themes", json={"code": "w" + uuid.uuid4().hex[:20],
                                         "label": {"nl": "Aarde", "xx": "?"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "label"


def test_the_feed_and_calendar_in_the_readers_language(admin, api, demo, daemon):
    offer, body = new_offer(admin, demo)
    exc = admin.post(f"/v1/offers/{offer['id']}/exceptions", json={
        "date": "2026-12-10", "status": "cancelled",
        "note": {"nl": "Geen soep deze week", "fr": "Pas de soupe cette semaine"}})
    assert exc.status_code == 201, exc.text
    assert exc.json()["note"] == {"nl": "Geen soep deze week", "fr": "Pas de soupe cette semaine"}
    assert exc.json()["main_language"] == "nl"
    params = {"site": site_of(demo), "from": "2026-12-07", "to": "2026-12-13", "limit": 500}
    nl = api.get("/v1/feed", params=params)
    fr = api.get("/v1/feed", params=params, headers=FR)
    mine_nl = [i for i in nl.json()["items"] if i["offer_id"] == offer["id"]]
    mine_fr = [i for i in fr.json()["items"] if i["offer_id"] == offer["id"]]
    assert mine_nl[0]["title"] == body["title"]["nl"] and mine_nl[0]["language"] == "nl"
    assert mine_fr[0]["title"] == body["title"]["fr"] and mine_fr[0]["language"] == "fr"
    assert mine_fr[0]["note"] == "Pas de soupe cette semaine"
    assert mine_fr[0]["status"] == "cancelled"
    assert "fr" in fr.headers["Content-Language"] and "Accept-Language" in fr.headers["Vary"]
    # Cached per language: each language its own answer and its own ETag.
    assert nl.headers["ETag"] != fr.headers["ETag"]
    again = api.get("/v1/feed", params={**params, "lang": "fr"})
    assert again.json() == fr.json()
    assert api.get("/v1/feed", params=params, headers={
        **FR, "If-None-Match": fr.headers["ETag"]}).status_code == 304
    # ?lang=all: the offer's texts as objects of their languages.
    every = api.get("/v1/feed", params={**params, "lang": "all"}).json()["items"]
    mine = [i for i in every if i["offer_id"] == offer["id"]]
    assert mine[0]["title"] == body["title"] and mine[0]["language"] == "all"
    assert mine[0]["description"] == body["description"]
    # The Brussels demo site: French first, Dutch for a Dutch reader.
    brussels = demo["sites"]["Maison de quartier Le Tilleul"]["id"]
    bx = {"site": brussels, "from": "2026-12-07", "to": "2026-12-13"}
    titles_nl = {i["title"] for i in api.get("/v1/feed", params={**bx, "lang": "nl"}).json()["items"]}
    titles_fr = {i["title"] for i in api.get("/v1/feed", params=bx).json()["items"]}
    assert titles_nl == {"Praattafel", "Sociale permanentie"}
    assert titles_fr == {"Table de conversation", "Permanence sociale"}
    # iCalendar: LANGUAGE on the texts and the calendar's name.
    ics = requests.get(daemon.base + "/v1/feed.ics",
                       params={**params, "function": "meeting", "lang": "fr"}, timeout=30)
    cal = icalendar.Calendar.from_ical(ics.content)
    assert cal["X-WR-CALNAME"].params["LANGUAGE"] == "fr"
    assert "rencontre" in str(cal["X-WR-CALNAME"])
    events = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == body["title"]["fr"]]
    assert events and all(e["SUMMARY"].params["LANGUAGE"] == "fr" for e in events)
    assert any(e["STATUS"] == "CANCELLED" and "Pas de soupe" in str(e["DESCRIPTION"])
               for e in events)
    # The calendar's fixed phrases in the reader's language too (without one: Dutch / English).
    assert all("Gratuit" in str(e["DESCRIPTION"]) and "Sans rendez-vous" in str(e["DESCRIPTION"])
               for e in events)
    plain = icalendar.Calendar.from_ical(requests.get(
        daemon.base + "/v1/feed.ics", params={**params, "function": "meeting"}, timeout=30).content)
    mine = [e for e in plain.walk("VEVENT") if str(e["SUMMARY"]) == body["title"]["nl"]]
    assert mine and "Gratis / free" in str(mine[0]["DESCRIPTION"])
    assert "LANGUAGE" not in plain["X-WR-CALNAME"].params
    # The wall calendar in German.
    page = api.get("/print/month", params={"site": site_of(demo), "month": "2026-12",
                                           "lang": "de"})
    assert page.headers["Content-Language"] == "de"
    assert 'lang="de"' in page.text and "Dezember 2026" in page.text
    assert "Donnerstag" in page.text
    # Without ?lang=, the reader's Accept-Language; titles in French where they exist.
    page = api.get("/print/month", params={"site": site_of(demo), "month": "2026-12"},
                   headers=FR)
    assert 'lang="fr"' in page.text and "décembre 2026" in page.text
    assert "Salon d&#39;apprentissage ouvert" in page.text or \
        "Salon d'apprentissage ouvert" in page.text
