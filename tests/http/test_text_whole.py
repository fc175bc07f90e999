"""Text is never cut or split (issue 12): the longest valid value of every text field, in 2-
and 4-byte characters, comes back whole through JSON, iCalendar and CSV."""
import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import icalendar
import pytest

from conftest import unique


def text(n, ch, tag):
    """n characters: a tag (so that values differ) padded with ch."""
    return (tag + ch * n)[:n] if len(tag) < n else tag[:n]


def unfolded_lines(raw):
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    for line in lines:
        assert len(line) <= 75, len(line)       # folded at 75 octets
        line.decode("utf-8")                     # and never inside a character
    return lines


@pytest.mark.parametrize("ch", ["é", "\U0001F600"])
def test_longest_values_round_trip(admin, api, ch):
    tag = uuid.uuid4().hex[:8]
    partner = {"name": text(200, ch, "P" + tag), "kind": text(50, ch, "k"),
               "description": text(2000, ch, "d")}
    p = admin.post("/v1/partners", json=partner)
    assert p.status_code == 201, p.text
    p = p.json()
    assert {k: p[k] for k in partner} == partner
    town = text(100, ch, "M" + tag)
    site = {"name": text(200, ch, "S" + tag), "description": text(4000, ch, "d"),
            "accessibility": text(2000, ch, "a"), "kind": text(100, ch, "k"),
            "address": {"street": text(200, ch, "s"), "postal_code": "2920",
                        "municipality": town, "country": "BE"}}
    s = admin.post("/v1/sites", json=site)
    assert s.status_code == 201, s.text
    s = s.json()
    assert {k: s[k] for k in site} == site
    offer = {"title": text(200, ch, "O" + tag), "description": text(4000, ch, "d"),
             "audience": text(500, ch, "a"), "price_note": text(500, ch, "p"),
             "site_id": s["id"], "partner_id": p["id"], "functions": ["meeting"],
             "schedules": [{"dtstart": "2026-12-03", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                            "start_time": "13:00", "end_time": "15:00"}]}
    o = admin.post("/v1/offers", json=offer)
    assert o.status_code == 201, o.text
    o = o.json()
    assert {k: o[k] for k in offer if k != "schedules"} == {k: offer[k] for k in offer
                                                            if k != "schedules"}
    note = text(500, ch, "n")
    e = admin.post(f"/v1/offers/{o['id']}/exceptions",
                   json={"date": "2026-12-03", "status": "cancelled", "note": note})
    assert e.status_code == 201, e.text
    assert admin.get(f"/v1/offers/{o['id']}").json()["description"] == offer["description"]

    # The feed as JSON.
    q = {"site": s["id"], "from": "2026-12-01", "to": "2026-12-10"}
    items = api.get("/v1/feed", params=q).json()["items"]
    assert len(items) == 2
    first = items[0]
    assert first["title"] == offer["title"] and first["description"] == offer["description"]
    assert first["note"] == note and first["site"]["name"] == site["name"]
    assert first["site"]["address"]["street"] == site["address"]["street"]
    assert first["partner"]["name"] == partner["name"] and first["price_note"] == offer["price_note"]

    # The feed as iCalendar: valid UTF-8, folded at 75 octets, every text whole.
    r = api.get("/v1/feed.ics", params=dict(q, municipality=town))
    unfolded_lines(r.content)
    cal = icalendar.Calendar.from_ical(r.content)
    assert str(cal["X-WR-CALNAME"]).endswith(town)
    events = sorted(cal.walk("VEVENT"), key=lambda v: v.decoded("DTSTART"))
    assert len(events) == 2
    ev = events[0]
    assert str(ev["SUMMARY"]) == offer["title"]
    desc = str(ev["DESCRIPTION"])
    for part in (offer["description"], offer["price_note"], partner["name"], note):
        assert part in desc, len(desc)
    loc = str(ev["LOCATION"])
    for part in (site["name"], site["address"]["street"], town):
        assert part in loc
    assert str(ev["STATUS"]) == "CANCELLED"


def test_longest_municipality_round_trips_through_csv(admin, db_url):
    ch = "\U0001F600"
    town = text(100, ch, "C" + uuid.uuid4().hex[:8])
    site = admin.post("/v1/sites", json={"name": unique("CSV"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": town}}).json()["id"]
    p = admin.post("/v1/partners", json={"name": unique("CSV"), "kind": "welfare"}).json()
    key = admin.as_key(admin.post("/v1/keys", json={"name": "a", "role": "partner",
                                                     "partner_id": p["id"]}).json()["token"])
    last = (dt.datetime.now(ZoneInfo("Europe/Brussels")).date().replace(day=1)
            - dt.timedelta(days=3))
    r = key.post("/v1/signals/batch", json={"signals": [
        {"kind": "barrier", "theme": "energy", "site_id": site, "occurred_on": last.isoformat(),
         "idempotency_key": uuid.uuid4().hex} for _ in range(6)]})
    assert r.status_code == 201, r.text
    for raw in ("true", "false"):
        c = admin.get("/v1/stats/signals", params={"group_by": "municipality", "raw": raw,
                                                   "municipality": town},
                      headers={"Accept": "text/csv"})
        rows = list(csv.DictReader(io.StringIO(c.content.decode("utf-8"))))
        assert [row["municipality"] for row in rows] == [town] and rows[0]["count"] == "6"
    # A filter of 100 four-byte characters is a valid parameter, not "too long".
    assert admin.get("/v1/feed", params={"municipality": town}).status_code == 200
    # The wall calendar of that municipality: its QR address holds the whole name.
    from urllib.parse import quote
    page = admin.get("/print/month", params={"municipality": town})
    assert page.status_code == 200 and quote(town, safe="") in page.text
