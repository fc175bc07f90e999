"""The sector's standards (issue 17): the Open Referral HSDS 3.0 API under /hsds/, occurrence
pages with schema.org JSON-LD, opening hours that are not events, the UiTdatabank export.

HSDS's rules are encoded here in our own words (the HSDS schemas are CC BY-SA and are not copied):
the required fields and types of each object HSDS 3.0 defines, its enumerations, UUIDs for every
id and no nulls anywhere; docs/standards.md says how to run the official compiled schemas by hand."""
import json
import math
import re
import uuid

import pytest

from conftest import Api, unique
from schemaorg import Vocabulary

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# HSDS 3.0 objects: required fields, typed fields, enumerations, and the nested objects by key.
HSDS = {
    "service": {"required": ["id", "name", "status"],
                "str": ["name", "description", "email", "fees_description", "application_process",
                        "eligibility_description", "last_modified"],
                "enum": {"status": ["active", "inactive", "defunct", "temporarily closed"]}},
    "organization": {"required": ["id", "name", "description"], "str": ["name", "description",
                                                                        "email", "website"]},
    "location": {"required": ["id", "location_type"], "num": ["latitude", "longitude"],
                 "enum": {"location_type": ["physical", "postal", "virtual"]}},
    "address": {"required": ["id", "address_1", "city", "state_province", "postal_code",
                             "country", "address_type"],
                "enum": {"address_type": ["physical", "postal", "virtual"]}},
    "service_at_location": {"required": ["id"]},
    "schedule": {"required": ["id"], "num": ["timezone", "interval", "count"],
                 "str": ["dtstart", "until", "valid_from", "valid_to", "byday", "bymonthday",
                         "opens_at", "closes_at", "description"],
                 "enum": {"freq": ["WEEKLY", "MONTHLY"],
                          "wkst": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]}},
    "phone": {"required": ["id", "number"]},
    "cost_option": {"required": ["id"], "num": ["amount"], "str": ["currency", "option"]},
    "attribute": {"required": ["id"]},
    "taxonomy_term": {"required": ["id", "name", "description"]},
    "taxonomy": {"required": ["id", "name", "description"]},
    "accessibility": {"required": ["id"]},
}
NESTED = {"organization": "organization", "services": "service", "service": "service",
          "location": "location", "addresses": "address", "service_at_locations":
          "service_at_location", "schedules": "schedule", "phones": "phone",
          "cost_options": "cost_option", "attributes": "attribute",
          "taxonomy_term": "taxonomy_term", "accessibility": "accessibility"}


def hsds_problems(kind, doc, where="$"):
    """Every way doc breaks HSDS 3.0's rules for kind (x_stek_ fields are the profile's)."""
    rules, out = HSDS[kind], []
    for f in rules["required"]:
        if f not in doc:
            out.append(f"{where}: {kind} without {f}")
    for key, value in doc.items():
        at = f"{where}.{key}"
        if value is None:
            out.append(f"{at}: null (HSDS's types are not nullable: leave it out)")
            continue
        if key.startswith("x_stek_"):
            continue
        if key == "id" or key.endswith("_id"):
            if not (isinstance(value, str) and UUID.match(value)):
                out.append(f"{at}: {value!r} is not a UUID")
        elif key in rules.get("num", []) and (isinstance(value, bool) or
                                              not isinstance(value, (int, float))):
            out.append(f"{at}: {value!r} is not a number")
        elif key in rules.get("str", []) and not isinstance(value, str):
            out.append(f"{at}: {value!r} is not a string")
        elif key in rules.get("enum", {}) and value not in rules["enum"][key]:
            out.append(f"{at}: {value!r} is not one of {rules['enum'][key]}")
        elif key in NESTED:
            items = value if isinstance(value, list) else [value]
            if isinstance(value, list) != (key not in ("organization", "location", "service",
                                                       "taxonomy_term")):
                out.append(f"{at}: wrong shape")
            for i, item in enumerate(items):
                out += hsds_problems(NESTED[key], item, f"{at}[{i}]")
    return out


def assert_hsds(kind, doc):
    problems = hsds_problems(kind, doc)
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def world(daemon, spec, admin_token):
    """Two sites in a new municipality, a partner and offers that cover what HSDS can and cannot
    say: weekly, every day, every other month, a single date at the other site, a cancelled and a
    moved date, a closure; and a social grocery open at set hours."""
    admin = Api(daemon.base, spec, admin_token)
    town = unique("Normdorp")
    tag = uuid.uuid4().hex[:8]

    def post(path, body):
        r = admin.post(path, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    partner = post("/v1/partners", {"name": unique("Normpartner"), "kind": "welfare",
                                    "website": "https://norm.example.org",
                                    "email": "info@norm.example.org",
                                    "uitdatabank_organizer_id": str(uuid.uuid4())})
    home = post("/v1/sites", {"name": unique("Normhuis"), "address": {
        "street": "Bredabaan 1", "postal_code": "2990", "municipality": town},
        "location": {"lat": 51.39, "lon": 4.59}, "phone": "03 111 11 11",
        "accessibility": "Rolstoeltoegankelijk",
        "uitdatabank_place_id": str(uuid.uuid4())})
    away = post("/v1/sites", {"name": unique("Normzaal"), "address": {
        "street": "Kerkstraat 2", "postal_code": "2990", "municipality": town},
        "location": {"lat": 51.40, "lon": 4.60}})

    def offer(title, schedules, **extra):
        body = dict({"title": title, "site_id": home["id"], "partner_id": partner["id"],
                     "functions": ["meeting", "learning"], "categories": ["course" + tag],
                     "schedules": schedules}, **extra)
        return post("/v1/offers", body)

    weekly = offer(unique("Normles"), [
        {"dtstart": "2026-12-03", "rrule": "FREQ=WEEKLY;BYDAY=TH", "start_time": "13:00",
         "end_time": "15:00"},
        {"dtstart": "2026-12-01", "rrule": "FREQ=DAILY;COUNT=10", "start_time": "09:00",
         "end_time": "10:00"},
        {"dtstart": "2026-12-05", "rrule": "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=5",
         "start_time": "18:00", "end_time": "19:00"},
        {"dtstart": "2027-01-15", "start_time": "10:00", "end_time": "12:00",
         "site_id": away["id"]}],
        description="Samen leren", categories=["course", "course" + tag], free=True,
        registration="required")
    # Fridays either side of the change to summer time on 28 March 2027.
    dst = offer(unique("Normzomer"), [
        {"dtstart": "2027-03-19", "rrule": "FREQ=WEEKLY;BYDAY=FR;UNTIL=20270409",
         "start_time": "14:00", "end_time": "16:00"}], free=True)
    for body in ({"date": "2027-04-02", "status": "cancelled", "note": "Paasvakantie"},
                 {"date": "2027-04-09", "status": "moved", "start_time": "15:00",
                  "end_time": "17:00", "note": "Een uur later"}):
        r = admin.post(f"/v1/offers/{dst['id']}/exceptions", json=body)
        assert r.status_code in (200, 201), r.text
    grocery = offer(unique("Normkruidenier"), [
        {"dtstart": "2026-12-01", "rrule": "FREQ=WEEKLY;BYDAY=TU,FR", "start_time": "10:00",
         "end_time": "17:00"}], kind="opening_hours", functions=["referral"],
        categories=["food"], free=False, price_note="Verminderde prijzen")
    # Enough others that every list has a first, a middle and a last page of five.
    for i in range(12):
        other = post("/v1/partners", {"name": unique("Normbuur"), "kind": "welfare"})
        post("/v1/offers", {"title": unique("Normbuuractiviteit"), "site_id": away["id"],
                            "partner_id": other["id"], "functions": ["meeting"],
                            "schedules": [{"dtstart": "2026-12-02", "rrule": "FREQ=WEEKLY",
                                           "start_time": "10:00", "end_time": "11:00"}]})
    r = admin.post(f"/v1/sites/{home['id']}/closures",
                   json={"from": "2027-01-04", "to": "2027-01-08", "note": "Verlof"})
    assert r.status_code == 201, r.text
    return {"admin": admin, "town": town, "tag": tag, "partner": partner, "home": home,
            "away": away, "weekly": weekly, "dst": dst, "grocery": grocery}


# ---- HSDS 3.0 ----

def test_hsds_root_names_version_profile_and_description(api):
    for path in ("/hsds/", "/hsds"):
        r = api.get(path)
        assert r.status_code == 200
        body = r.json()
        assert body["version"] == "3.0"
        assert body["profile"].endswith("/hsds/profile")
        assert body["openapi_url"].endswith("/openapi.json")
    prof = api.get("/hsds/profile")
    assert prof.status_code == 200 and prof.headers["Content-Type"].startswith("application/json")
    patches = prof.json()["schemas"]
    assert {"service.json", "schedule.json", "location.json"} <= set(patches)
    for name, patch in patches.items():
        for field in patch.get("properties", {}):
            assert field.startswith("x_stek_"), (name, field)
    assert "x_stek_timezone" in patches["schedule.json"]["properties"]
    assert "x_stek_exceptions" in patches["schedule.json"]["properties"]


def test_hsds_service_is_fully_nested_and_valid(api, world):
    r = api.get(f"/hsds/services/{world['weekly']['id']}")
    assert r.status_code == 200
    s = r.json()
    assert_hsds("service", s)
    assert s["name"] == world["weekly"]["title"] and s["status"] == "active"
    assert s["organization"]["id"] == world["partner"]["id"] == s["organization_id"]
    assert s["x_stek_kind"] == "activity"
    sal = {x["location_id"]: x for x in s["service_at_locations"]}
    assert set(sal) == {world["home"]["id"], world["away"]["id"]}
    home = sal[world["home"]["id"]]["location"]
    assert home["addresses"][0]["state_province"] == "Antwerp"
    assert home["addresses"][0]["city"] == world["town"]
    assert home["latitude"] == 51.39 and home["phones"][0]["number"] == "03 111 11 11"
    assert home["accessibility"][0]["description"] == "Rolstoeltoegankelijk"
    assert home["x_stek_closures"] == [{"from": "2027-01-04", "to": "2027-01-08",
                                        "note": "Verlof"}]
    scheds = {x["x_stek_rrule"] if "x_stek_rrule" in x else "single": x for x in s["schedules"]}
    weekly = scheds["FREQ=WEEKLY;BYDAY=TH"]
    assert (weekly["freq"], weekly["byday"], weekly["opens_at"], weekly["closes_at"]) == \
        ("WEEKLY", "TH", "13:00", "15:00")
    assert weekly["timezone"] in (1, 2) and weekly["x_stek_timezone"] == "Europe/Brussels"
    daily = scheds["FREQ=DAILY;COUNT=10"]  # every day: WEEKLY on every day, ten times
    assert (daily["freq"], daily["byday"], daily["count"]) == \
        ("WEEKLY", "MO,TU,WE,TH,FR,SA,SU", 10)
    monthly = scheds["FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=5"]
    assert (monthly["freq"], monthly["interval"], monthly["bymonthday"]) == ("MONTHLY", 2, "5")
    single = scheds["single"]
    assert "freq" not in single and single["valid_from"] == single["valid_to"] == "2027-01-15"
    assert single["location_id"] == world["away"]["id"]
    assert single["service_at_location_id"] == sal[world["away"]["id"]]["id"]
    assert s["cost_options"][0]["amount"] == 0 and s["cost_options"][0]["currency"] == "EUR"
    terms = {(a["link_type"], a["value"]): a for a in s["attributes"]}
    assert {("functions", "meeting"), ("functions", "learning"),
            ("categories", "course")} <= set(terms)
    for a in terms.values():  # each attribute's term is the one the terms endpoint has
        t = api.get(f"/hsds/taxonomy_terms/{a['taxonomy_term_id']}")
        assert t.status_code == 200 and t.json() == a["taxonomy_term"]
        assert_hsds("taxonomy_term", t.json())


def test_hsds_profile_says_what_hsds_cannot(api, world):
    s = api.get(f"/hsds/services/{world['dst']['id']}").json()
    sched = s["schedules"][0]
    assert {e["date"]: e["status"] for e in sched["x_stek_exceptions"]} == \
        {"2027-04-02": "cancelled", "2027-04-09": "moved"}
    moved = [e for e in sched["x_stek_exceptions"] if e["status"] == "moved"][0]
    assert (moved["start_time"], moved["end_time"], moved["note"]) == ("15:00", "17:00",
                                                                       "Een uur later")
    assert sched["until"] == "2027-04-09" and sched["x_stek_rrule"].endswith("UNTIL=20270409")
    g = api.get(f"/hsds/services/{world['grocery']['id']}").json()
    assert g["x_stek_kind"] == "opening_hours" and g["fees_description"] == "Verminderde prijzen"
    assert g["cost_options"][0]["option"] == "Paid" and "amount" not in g["cost_options"][0]


def paged(api, path, per_page=5):
    """Every page of path at per_page; checks the envelope of each and returns the items."""
    first = api.get(f"{path}{'&' if '?' in path else '?'}per_page={per_page}").json()
    total, pages = first["total_items"], first["total_pages"]
    assert pages == math.ceil(total / per_page)
    items = []
    for n in range(1, pages + 1):
        page = api.get(f"{path}{'&' if '?' in path else '?'}per_page={per_page}&page={n}").json()
        assert (page["total_items"], page["total_pages"], page["page_number"]) == (total, pages, n)
        assert page["first_page"] == (n == 1) and page["last_page"] == (n == pages)
        assert page["size"] == len(page["contents"]) == (per_page if n < pages
                                                         else total - per_page * (pages - 1))
        assert page["empty"] is False
        items += page["contents"]
    assert len(items) == total and len({i["id"] for i in items}) == total
    after = api.get(f"{path}{'&' if '?' in path else '?'}per_page={per_page}&page={pages + 1}")
    a = after.json()
    assert a["contents"] == [] and a["empty"] is True and a["last_page"] is True
    assert a["size"] == 0 and a["total_items"] == total
    return items


@pytest.mark.parametrize("path,kind", [("/hsds/services", "service"),
                                       ("/hsds/service_at_locations", "service_at_location"),
                                       ("/hsds/organizations", "organization"),
                                       ("/hsds/taxonomies", "taxonomy"),
                                       ("/hsds/taxonomy_terms", "taxonomy_term")])
def test_hsds_lists_page_as_hsds_does(api, world, path, kind):
    items = paged(api, path)
    assert len(items) >= (3 if kind == "taxonomy" else 11)  # else: first, middle, last page
    for item in items:
        assert_hsds(kind, item)
    if kind in ("service", "service_at_location", "organization", "taxonomy", "taxonomy_term"):
        one = api.get(f"{path}/{items[len(items) // 2]['id']}")
        assert one.status_code == 200
        assert_hsds(kind, one.json())


def test_hsds_full_lists_are_nested_and_valid(api, world):
    oid = world["partner"]["id"]
    full = api.get(f"/hsds/services?organization_id={oid}&full=true&per_page=100").json()
    assert {s["id"] for s in full["contents"]} == {world[k]["id"] for k in
                                                   ("weekly", "dst", "grocery")}
    for s in full["contents"]:
        assert_hsds("service", s)
        assert s["schedules"] and s["service_at_locations"]
    minimal = api.get(f"/hsds/services?organization_id={oid}&minimal=true").json()["contents"]
    assert all(set(s) == {"id", "name", "status", "last_modified"} for s in minimal)
    org = api.get(f"/hsds/organizations/{oid}?full_service=true").json()
    assert_hsds("organization", org)
    assert len(org["services"]) == 3 and all("schedules" in s for s in org["services"])
    sals = api.get(f"/hsds/service_at_locations?organization_id={oid}&full=true").json()
    for x in sals["contents"]:
        assert_hsds("service_at_location", x)
        assert x["service"]["id"] == x["service_id"] and x["location"]["id"] == x["location_id"]


def test_hsds_filters(api, world):
    tag, oid = world["tag"], world["partner"]["id"]
    terms = api.get("/hsds/taxonomy_terms?search=course" + tag).json()["contents"]
    assert [t["code"] for t in terms] == ["course" + tag]
    by_term = api.get(f"/hsds/services?taxonomy_term_id={terms[0]['id']}").json()
    assert {s["id"] for s in by_term["contents"]} == {world["weekly"]["id"], world["dst"]["id"]}
    taxonomies = {t["name"]: t["id"] for t in api.get("/hsds/taxonomies").json()["contents"]}
    cats = api.get(f"/hsds/taxonomy_terms?taxonomy_id={taxonomies['STEK activity categories']}"
                   "&per_page=100").json()
    assert cats["total_items"] >= 2 and all(t["taxonomy_id"] == taxonomies[
        "STEK activity categories"] for t in cats["contents"])
    words = world["weekly"]["title"].split()[0]
    found = api.get(f"/hsds/services?search={words}&organization_id={oid}").json()["contents"]
    assert [s["id"] for s in found] == [world["weekly"]["id"]]
    assert api.get("/hsds/services?modified_after=2999-01-01T00:00:00Z").json()["total_items"] == 0
    recent = api.get(f"/hsds/services?modified_after=2020-01-01&organization_id={oid}").json()
    assert recent["total_items"] == 3
    here = api.get(f"/hsds/service_at_locations?postcode=2990&organization_id={oid}").json()
    assert here["total_items"] == 4  # three offers at home, one at the other site
    assert api.get(f"/hsds/service_at_locations?postcode=9999&organization_id={oid}"
                   ).json()["total_items"] == 0
    near = api.get(f"/hsds/service_at_locations?postcode=2990&proximity=5000"
                   f"&organization_id={oid}").json()
    assert near["total_items"] == 4
    assert api.get("/hsds/taxonomy_terms?parent_id=" + str(uuid.uuid4())).json()["empty"]


@pytest.mark.parametrize("query,fields", [
    ("/hsds/services?per_page=0&page=abc", {"per_page", "page"}),
    ("/hsds/services?format=xml&taxonomy_id=nope&modified_after=yesterday",
     {"format", "taxonomy_id", "modified_after"}),
    ("/hsds/service_at_locations?proximity=100", {"proximity"}),
    ("/hsds/organizations?per_page=101&colour=red", {"per_page", "colour"}),
    ("/hsds/taxonomy_terms?top_only=maybe", {"top_only"}),
])
def test_hsds_bad_queries_name_each_field(api, query, fields):
    r = api.get(query)
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} == fields


@pytest.mark.parametrize("path", ["/hsds/services", "/hsds/service_at_locations",
                                  "/hsds/organizations", "/hsds/taxonomies",
                                  "/hsds/taxonomy_terms"])
def test_hsds_unknown_ids_are_404(api, path):
    for bad in (str(uuid.uuid4()), "not-an-id"):
        r = api.get(f"{path}/{bad}")
        assert r.status_code == 404 and r.json()["type"] == "urn:stek:problem:not-found"


# ---- occurrence pages: schema.org JSON-LD ----

@pytest.fixture(scope="module")
def vocabulary():
    return Vocabulary()


def jsonld(html):
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert m, html[:500]
    return json.loads(m.group(1))


def occurrences(api, site_id, start, end):
    r = api.get(f"/v1/feed?site={site_id}&from={start}&to={end}&limit=500")
    assert r.status_code == 200
    return r.json()["items"]


def test_event_pages_across_the_dst_change(api, world, vocabulary):
    items = [i for i in occurrences(api, world["home"]["id"], "2027-03-18", "2027-04-10")
             if i["offer_id"] == world["dst"]["id"]]
    by_date = {i["start"][:10]: i for i in items}
    assert set(by_date) == {"2027-03-19", "2027-03-26", "2027-04-02", "2027-04-09"}
    expect = {"2027-03-19": ("+01:00", "EventScheduled"), "2027-03-26": ("+01:00", "EventScheduled"),
              "2027-04-02": ("+02:00", "EventCancelled"), "2027-04-09": ("+02:00", "EventRescheduled")}
    for date, (offset, status) in expect.items():
        item = by_date[date]
        assert item["kind"] == "activity"
        r = api.get(f"/activity/{item['occurrence_id']}")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert "script-src" not in r.headers["Content-Security-Policy"]
        ld = jsonld(r.text)
        assert vocabulary.check(ld) == []
        assert ld["@type"] == "Event" and ld["name"] == world["dst"]["title"]
        assert ld["startDate"] == item["start"] and ld["startDate"].endswith(offset)
        assert ld["endDate"] == item["end"]
        assert ld["eventStatus"] == "https://schema.org/" + status
        assert ld["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
        assert ld["url"].endswith("/activity/" + item["occurrence_id"])
        assert ld["location"]["@type"] == "Place"
        assert ld["location"]["address"] == {"@type": "PostalAddress",
                                             "streetAddress": "Bredabaan 1",
                                             "postalCode": "2990",
                                             "addressLocality": world["town"],
                                             "addressCountry": "BE"}
        assert ld["location"]["geo"]["latitude"] == 51.39
        assert ld["organizer"] == {"@type": "Organization", "name": world["partner"]["name"]}
        assert ld["isAccessibleForFree"] is True
        assert ld["offers"]["price"] == 0 and ld["offers"]["priceCurrency"] == "EUR"
    moved = jsonld(api.get(f"/activity/{by_date['2027-04-09']['occurrence_id']}").text)
    assert moved["startDate"] == "2027-04-09T15:00:00+02:00"
    assert moved["previousStartDate"] == "2027-04-09T14:00:00+02:00"
    cancelled = api.get(f"/activity/{by_date['2027-04-02']['occurrence_id'].upper()}")
    assert cancelled.status_code == 200 and "Paasvakantie" in cancelled.text


def test_event_page_texts_are_escaped_and_in_the_readers_language(api, world):
    admin = world["admin"]
    o = admin.post("/v1/offers", json={
        "title": {"nl": "Quiz <script>alert(1)</script>", "fr": "Quiz en français"},
        "site_id": world["home"]["id"], "partner_id": world["partner"]["id"],
        "functions": ["meeting"], "categories": ["quiz"],
        "schedules": [{"dtstart": "2027-02-01", "start_time": "19:00", "end_time": "21:00"}]})
    assert o.status_code == 201, o.text
    item = [i for i in occurrences(api, world["home"]["id"], "2027-02-01", "2027-02-01")
            if i["offer_id"] == o.json()["id"]][0]
    page = api.get(f"/activity/{item['occurrence_id']}")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert jsonld(page.text)["name"] == "Quiz <script>alert(1)</script>"
    fr = api.get(f"/activity/{item['occurrence_id']}?lang=fr")
    assert fr.headers["Content-Language"] == "fr" and jsonld(fr.text)["name"] == "Quiz en français"
    assert api.get(f"/activity/{item['occurrence_id']}?lang=xx").status_code == 400


def test_unknown_occurrences_are_404(api):
    for bad in (str(uuid.uuid4()), "nope"):
        r = api.get(f"/activity/{bad}")
        assert r.status_code == 404 and r.json()["type"] == "urn:stek:problem:not-found"


def test_opening_hours_are_the_sites_not_events(api, world, vocabulary):
    items = occurrences(api, world["home"]["id"], "2027-01-01", "2027-01-20")
    grocery = [i for i in items if i["offer_id"] == world["grocery"]["id"]]
    assert grocery and all(i["kind"] == "opening_hours" for i in grocery)
    assert all(i["kind"] == "activity" for i in items if i["offer_id"] != world["grocery"]["id"])
    assert api.get(f"/v1/offers/{world['grocery']['id']}").json()["kind"] == "opening_hours"
    ld = jsonld(api.get(f"/activity/{grocery[0]['occurrence_id']}").text)
    assert vocabulary.check(ld) == []
    assert ld["@type"] == "Place" and ld["name"] == world["home"]["name"]
    assert ld["openingHoursSpecification"] == [{
        "@type": "OpeningHoursSpecification", "validFrom": "2026-12-01",
        "dayOfWeek": ["https://schema.org/Tuesday", "https://schema.org/Friday"],
        "opens": "10:00", "closes": "17:00"}]
    assert {"@type": "OpeningHoursSpecification", "validFrom": "2027-01-04",
            "validThrough": "2027-01-08", "opens": "00:00", "closes": "00:00"} in \
        ld["specialOpeningHoursSpecification"]


def test_offer_kind_is_checked(api, world):
    admin = world["admin"]
    r = admin.post("/v1/offers", json={"title": unique("Fout"), "site_id": world["home"]["id"],
                                       "partner_id": world["partner"]["id"],
                                       "functions": ["meeting"], "kind": "event"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["kind"]
    r = admin.patch(f"/v1/offers/{world['weekly']['id']}", json={"kind": "opening_hours"},
                    headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200 and r.json()["kind"] == "opening_hours"
    r = admin.patch(f"/v1/offers/{world['weekly']['id']}", json={"kind": "activity"},
                    headers={"Content-Type": "application/merge-patch+json"})
    assert r.json()["kind"] == "activity"


# ---- UiTdatabank ----

def test_uitdatabank_export_of_a_course(api, world):
    r = api.get(f"/v1/offers/{world['weekly']['id']}/uitdatabank")
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["mainLanguage"] == "nl" and e["name"] == {"nl": world["weekly"]["title"]}
    assert e["terms"] == [{"id": "0.3.1.0.1", "label": "Cursus met open sessies",
                           "domain": "eventtype"}]
    assert e["location"]["@id"].endswith("/places/" + world["home"]["uitdatabank_place_id"])
    assert e["organizer"]["@id"].endswith(
        "/organizers/" + world["partner"]["uitdatabank_organizer_id"])
    assert e["calendarType"] == "multiple"  # daily, monthly and a single date: no weekly hours
    starts = [s["startDate"] for s in e["subEvent"]]
    assert starts == sorted(starts)
    assert [s["id"] for s in e["subEvent"]] == list(range(len(starts)))
    assert not any(s.startswith("2027-01-15") for s in starts)  # that one is at the other site
    status = {s["startDate"][:10]: s["status"] for s in e["subEvent"]}
    assert status["2027-01-07"] == {"type": "Unavailable", "reason": {"nl": "Verlof"}}  # closed
    assert all(s == {"type": "Available"} for d, s in status.items() if d != "2027-01-07")
    assert e["priceInfo"][0]["category"] == "base" and e["priceInfo"][0]["price"] == 0
    assert e["contactPoint"]["url"] == ["https://norm.example.org"]


def test_uitdatabank_cancelled_dates_are_unavailable_and_weekly_can_be_periodic(api, world):
    e = api.get(f"/v1/offers/{world['dst']['id']}/uitdatabank").json()
    assert e["terms"][0]["id"] == "0.3.1.0.1"  # learning: a course with open sessions
    subs = {s["startDate"][:10]: s for s in e["subEvent"]}
    assert subs["2027-04-02"]["status"] == {"type": "Unavailable", "reason": {"nl": "Paasvakantie"}}
    assert subs["2027-04-09"]["startDate"] == "2027-04-09T15:00:00+02:00"
    assert subs["2027-03-19"]["startDate"] == "2027-03-19T14:00:00+01:00"
    p = api.get(f"/v1/offers/{world['dst']['id']}/uitdatabank?calendar=periodic").json()
    assert p["calendarType"] == "periodic"
    assert p["openingHours"] == [{"opens": "14:00", "closes": "16:00", "dayOfWeek": ["friday"]}]
    assert p["startDate"] == "2027-03-19T14:00:00+01:00"


def test_uitdatabank_refuses_what_it_cannot_carry(api, world):
    admin = world["admin"]

    def problem(offer_id, field):
        r = api.get(f"/v1/offers/{offer_id}/uitdatabank")
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["type"] == "urn:stek:problem:not-exportable"
        assert [e["field"] for e in body["errors"]] == [field]
        return body["detail"]

    assert "opening hours" in problem(world["grocery"]["id"], "kind")
    forms = admin.post("/v1/offers", json={
        "title": unique("Formulieren"), "site_id": world["home"]["id"],
        "partner_id": world["partner"]["id"], "functions": ["referral"],
        "categories": ["forms_and_bills"],
        "schedules": [{"dtstart": "2026-12-03", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                       "start_time": "13:00", "end_time": "15:00"}]}).json()
    assert "scope" in problem(forms["id"], "categories")
    walk = admin.post("/v1/offers", json={
        "title": unique("Wandeling"), "site_id": world["away"]["id"],
        "partner_id": world["partner"]["id"], "functions": ["meeting"], "categories": ["walk"],
        "schedules": [{"dtstart": "2026-12-03", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                       "start_time": "13:00", "end_time": "15:00"}]}).json()
    assert world["away"]["id"] in problem(walk["id"], "site.uitdatabank_place_id")
    r = api.get(f"/v1/offers/{walk['id']}/uitdatabank?calendar=weekly")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "calendar"
    assert api.get(f"/v1/offers/{uuid.uuid4()}/uitdatabank").status_code == 404
