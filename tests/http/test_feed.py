"""The activity feed: JSON and iCalendar, exceptions, timezones, paging, caching, freshness."""
import gzip
import hashlib
import time

import icalendar
import pytest
import requests

from conftest import Daemon, assert_clean_exit, unique, wait_until


def feed(api, **params):
    q = "&".join(f"{k}={v}" for k, v in params.items())
    r = api.get("/v1/feed?" + q)
    assert r.status_code == 200, r.text
    return r.json()


def all_items(api, **params):
    items, cursor = [], None
    while True:
        page = feed(api, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_kalmthout_week(demo, api):
    items = feed(api, municipality="Kalmthout", **{"from": "2026-12-14", "to": "2026-12-20"},
                 limit=500)["items"]
    thursday = [(i["start"], i["title"]) for i in items if i["start"].startswith("2026-12-17")]
    assert ("2026-12-17T13:00:00+01:00", "Open Leersalon") in thursday
    assert ("2026-12-17T10:30:00+01:00", "Sociale kruidenier 't Kruideniertje") in thursday
    assert ("2026-12-17T13:30:00+01:00", "Rap op Stap Kalmthout") in thursday
    monday = [i for i in items if i["start"] == "2026-12-14T10:00:00+01:00"]
    assert monday[0]["site"]["name"] == "DC De Groten Uitleg"
    assert all(i["site"]["address"]["municipality"] == "Kalmthout" for i in items)
    keys = [(i["start"], i["offer_id"]) for i in items]
    assert keys == sorted(keys)
    assert all(i["status"] == "scheduled" for i in items)


def test_cancelled_and_moved_occurrences(demo, api):
    items = feed(api, municipality="Wuustwezel", **{"from": "2026-12-14", "to": "2026-12-27"},
                 limit=500)["items"]
    kff = [i for i in items if i["title"] == "Koffie & Formulieren"]
    cancelled = [i for i in kff if i["status"] == "cancelled"]
    assert [i["start"] for i in cancelled] == ["2026-12-24T13:00:00+01:00"]
    assert cancelled[0]["note"] == "Kerstavond: gesloten"
    bike = [i for i in items if i["title"] == "Fietsbieb"]
    assert bike[0]["status"] == "moved" and bike[0]["start"] == "2026-12-16T17:00:00+01:00"
    assert bike[0]["end"] == "2026-12-16T18:30:00+01:00"


def test_change_of_day_keeps_history(demo, api):
    items = feed(api, municipality="Wuustwezel", q="formulieren",
                 **{"from": "2023-01-23", "to": "2023-02-20"})
    starts = [i["start"] for i in items["items"]]
    assert starts == ["2023-01-23T13:00:00+01:00", "2023-01-30T13:00:00+01:00",
                      "2023-02-06T13:00:00+01:00", "2023-02-09T13:00:00+01:00",
                      "2023-02-16T13:00:00+01:00"]


def test_wall_clock_stays_across_daylight_saving(demo, admin, api):
    o = admin.post("/v1/offers", json={
        "title": unique("Zomeruur"), "site_id": demo["sites"]["Kantine Bezemheide"]["id"],
        "partner_id": demo["partners"]["SAAMO"]["id"], "functions": ["meeting"],
        "schedules": [{"dtstart": "2026-03-22", "rrule": "FREQ=WEEKLY;BYDAY=SU",
                       "start_time": "13:00", "end_time": "14:00"},
                      {"dtstart": "2026-03-29", "start_time": "02:30", "end_time": "03:30"}]})
    assert o.status_code == 201
    oid = o.json()["id"]
    items = [i for i in all_items(api, partner=demo["partners"]["SAAMO"]["id"],
                                  **{"from": "2026-03-22", "to": "2026-04-05"})
             if i["offer_id"] == oid]
    assert [i["start"] for i in items] == ["2026-03-22T13:00:00+01:00",
                                           "2026-03-29T03:30:00+02:00",  # 02:30 does not exist
                                           "2026-03-29T13:00:00+02:00",
                                           "2026-04-05T13:00:00+02:00"]
    admin.delete("/v1/offers/" + oid)


def test_paging_never_skips_or_repeats(demo, api):
    window = {"from": "2026-12-01", "to": "2026-12-31"}
    full = feed(api, limit=500, **window)["items"]
    paged = all_items(api, limit=7, **window)
    assert [i["occurrence_id"] for i in paged] == [i["occurrence_id"] for i in full]
    assert len({i["occurrence_id"] for i in full}) == len(full) > 30


def test_occurrence_ids_are_stable(demo, admin, api):
    window = {"municipality": "Kalmthout", "from": "2027-01-04", "to": "2027-01-10"}
    before = {(i["offer_id"], i["start"]): i["occurrence_id"] for i in feed(api, **window)["items"]}
    leersalon = demo["offers"]["Open Leersalon"]
    assert admin.post(f"/v1/offers/{leersalon['id']}/exceptions",
                      json={"date": "2027-01-07", "status": "cancelled"}).status_code == 201
    after = wait_until(lambda: (lambda items: items if any(
        i["status"] == "cancelled" for i in items) else None)(feed(api, **window)["items"]),
        2, "the cancellation shows in the feed")
    assert {(i["offer_id"], i["start"]): i["occurrence_id"] for i in after} == before
    admin.delete(f"/v1/offers/{leersalon['id']}/exceptions/2027-01-07")


def test_occurrence_ids_are_derived_as_documented(demo, api):
    """An occurrence id is SHA-256 of "<offer>/<local date>/<HH:MM>" in the shape of a version-8
    UUID: links to /activity/{id} and calendar UIDs made before a release stay valid after it."""
    items = feed(api, municipality="Kalmthout", **{"from": "2026-12-14", "to": "2026-12-20"})["items"]
    assert items
    for i in items:
        digest = hashlib.sha256(f"{i['offer_id']}/{i['start'][:10]}/{i['start'][11:16]}".encode()).hexdigest()
        digest = digest[:12] + "8" + digest[13:16] + "89ab"[ord(digest[16]) % 4] + digest[17:]
        expected = "-".join((digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32]))
        assert i["occurrence_id"] == expected, i


def test_filters(demo, api):
    window = {"from": "2026-12-14", "to": "2026-12-20", "limit": 500}
    titles = lambda **q: {i["title"] for i in feed(api, **window, **q)["items"]}  # noqa: E731
    assert titles(function="learning") >= {"Open Leersalon"}
    assert "Fietsbieb" not in titles(free="true") and "Fietsbieb" in titles(free="false")
    assert titles(q="LEERSALÓN") == {"Open Leersalon"}
    assert titles(postal_code="2990") >= {"Fietsbieb", "Open huis"}
    near = titles(near="51.3869,4.4744", radius_km=1)
    assert "Open Leersalon" in near and "Fietsbieb" not in near
    assert titles(site=demo["sites"]["DC De Groten Uitleg"]["id"]) == {"Rap op Stap Kalmthout"}
    assert titles(category="digital") == {"Open Leersalon"}


def test_bad_parameters_are_400(api):
    for q, field in (("from=2026-13-01", "from"), ("from=2026-12-10&to=2026-12-01", "to"),
                     ("from=2026-01-01&to=2027-01-03", "to"), ("function=eating", "function"),
                     ("radius_km=5", "radius_km"), ("limit=501", "limit"), ("site=x", "site"),
                     ("cursor=zzz", "cursor"), ("colour=red", "colour"), ("free=maybe", "free")):
        r = api.get("/v1/feed?" + q)
        assert r.status_code == 400, q
        assert r.json()["errors"][0]["field"] == field, q
        assert api.get("/v1/feed.ics?" + q).status_code == 400


def test_caching_headers_and_gzip(demo, daemon):
    url = daemon.base + "/v1/feed?municipality=Kalmthout&from=2026-12-14&to=2026-12-20"
    r = requests.get(url, headers={"Accept-Encoding": "identity", "Origin": "https://kalmthout.be"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    assert r.headers["Vary"] == "Accept-Encoding, Accept-Language"
    assert "Content-Encoding" not in r.headers
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    assert requests.get(url, headers={"If-None-Match": etag,
                                      "Accept-Encoding": "identity"}).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": lm,
                                      "Accept-Encoding": "identity"}).status_code == 304
    raw = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    body = raw.raw.read()
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["ETag"] != etag
    assert gzip.decompress(body) == r.content
    assert len(body) * 3 < len(r.content)


def test_icalendar(demo, api):
    window = {"municipality": "Wuustwezel", "from": "2026-12-14", "to": "2027-01-31"}
    items = all_items(api, **window)
    r = api.get("/v1/feed.ics?" + "&".join(f"{k}={v}" for k, v in window.items()))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/calendar")
    raw = r.content
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal["X-WR-CALNAME"]) == "stek: Wuustwezel"
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == len(items)
    by_uid = {str(e["UID"]): e for e in events}
    for it in items:
        e = by_uid[it["occurrence_id"] + "@stek"]
        assert e.decoded("DTSTART").isoformat() != ""
        assert str(e["SUMMARY"]) == it["title"]
        assert str(e["STATUS"]) == ("CANCELLED" if it["status"] == "cancelled" else "CONFIRMED")
        assert "SEQUENCE" in e and "LAST-MODIFIED" in e
    cancelled = [e for e in events if str(e["STATUS"]) == "CANCELLED"]
    assert cancelled and "Kerstavond" in str(cancelled[0]["DESCRIPTION"])


def test_inactive_offers_and_sites_leave_the_feed(demo, admin, api):
    site = admin.post("/v1/sites", json={"name": unique("Tijdelijk"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    o = admin.post("/v1/offers", json={
        "title": unique("Kort"), "site_id": site["id"], "partner_id": demo["partners"]["SAAMO"]["id"],
        "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-15", "start_time": "10:00",
                                                 "end_time": "11:00"}]}).json()
    window = {"site": site["id"], "from": "2026-12-14", "to": "2026-12-20"}

    def count():
        return len(feed(api, **window)["items"])

    def eventually(n):
        return wait_until(lambda: count() == n, 1.5, f"the feed has {n} items")

    assert eventually(1)
    admin.patch("/v1/offers/" + o["id"], json={"active": False})
    assert eventually(0)
    admin.patch("/v1/offers/" + o["id"], json={"active": True})
    assert eventually(1)
    admin.patch("/v1/sites/" + site["id"], json={"active": False})
    assert eventually(0)


@pytest.mark.timing
def test_a_change_reaches_another_daemon_within_a_second(demo, db_url, admin, tmp_path):
    other = Daemon(db_url, tmp_path)
    try:
        url = other.base + "/v1/feed?municipality=Kalmthout&from=2027-02-01&to=2027-02-07"
        before = requests.get(url).json()
        assert all(i["status"] == "scheduled" for i in before["items"])
        requests.get(url)  # now cached on the other daemon
        oid = demo["offers"]["Twinkeltje"]["id"]
        t0 = time.time()
        assert admin.post(f"/v1/offers/{oid}/exceptions",
                          json={"date": "2027-02-04", "status": "cancelled"}).status_code == 201
        seen = None
        while time.time() - t0 < 3:
            items = requests.get(url).json()["items"]
            if any(i["status"] == "cancelled" for i in items):
                seen = time.time() - t0
                break
            time.sleep(0.02)
        assert seen is not None and seen < 1.0, seen
        admin.delete(f"/v1/offers/{oid}/exceptions/2027-02-04")
    finally:
        code, log = other.stop()
    assert_clean_exit(code, log)


def test_site_filters_apply_to_where_an_occurrence_really_is(demo, admin, api):
    home, away = demo["sites"]["Kantine Bezemheide"], demo["sites"]["DC De Groten Uitleg"]
    o = admin.post("/v1/offers", json={
        "title": unique("Verhuisd"), "site_id": home["id"],
        "partner_id": demo["partners"]["SAAMO"]["id"], "functions": ["meeting"],
        "schedules": [{"dtstart": "2027-03-04", "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=3",
                       "start_time": "13:00", "end_time": "15:00"}]}).json()
    assert admin.post(f"/v1/offers/{o['id']}/exceptions", json={
        "date": "2027-03-11", "status": "moved", "site_id": away["id"],
        "note": "In het dienstencentrum"}).status_code == 201
    window = {"from": "2027-03-01", "to": "2027-03-31", "q": o["title"].split()[-1]}
    at_home = wait_until(lambda: (lambda items: items if len(items) == 2 else None)(
        feed(api, site=home["id"], **window)["items"]), 2, "the moved occurrence left home")
    assert [i["start"][:10] for i in at_home] == ["2027-03-04", "2027-03-18"]
    moved = feed(api, site=away["id"], **window)["items"]
    assert [(i["start"], i["status"], i["site"]["name"]) for i in moved] == [
        ("2027-03-11T13:00:00+01:00", "moved", "DC De Groten Uitleg")]
    near_home = feed(api, near="51.3869,4.4744", radius_km=1, **window)["items"]
    assert [i["start"][:10] for i in near_home] == ["2027-03-04", "2027-03-18"]
    admin.delete("/v1/offers/" + o["id"])
