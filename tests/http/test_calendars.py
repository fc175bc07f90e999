"""Calendars partners already keep (issue 33, part 1): connected, synchronised into offers, and
the feed's next twelve months compared with a reference expansion of the same files
(python3-recurring-ical-events): every occurrence equal, none extra. The calendars are served
by a local server the way their producers write them (fixtures in tests/calendars/)."""
import datetime
import http.server
import re
import ssl
import subprocess
import threading
import types
import zoneinfo

import pytest
import recurring_ical_events
import icalendar

from conftest import ROOT, Api, Daemon, assert_clean_exit, free_port, metric, psql, unique

FIXTURES = ROOT / "tests" / "calendars"
ZONE = zoneinfo.ZoneInfo("Europe/Brussels")


class Server:
    """Serves calendars by name; with `google` set it rewrites DTSTAMP to now and reverses the
    events' order on every request (as Google does), and honours If-None-Match unless
    `no_etag`."""

    def __init__(self, cert=None):
        self.files, self.requests, self.google, self.no_etag = {}, [], False, False
        self.scheme = "https" if cert else "http"
        self.port = free_port()
        srv = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.strip("/").split("?")[0]
                srv.requests.append((name, self.headers.get("If-None-Match")))
                text = srv.files.get(name)
                if text is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                tag = '"%x"' % (hash(text) & 0xFFFFFFFF)
                if not srv.no_etag and not srv.google and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.end_headers()
                    return
                if srv.google:
                    text = reorder(re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:" + datetime.datetime
                                          .now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                                          text))
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                if not srv.no_etag and not srv.google:
                    self.send_header("ETag", tag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, cert)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name):
        return f"{self.scheme}://127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def reorder(text):
    """The calendar with its VEVENTs in reverse order."""
    events = re.findall(r"BEGIN:VEVENT.*?END:VEVENT\r?\n", text, re.S)
    rest = re.sub(r"BEGIN:VEVENT.*?END:VEVENT\r?\n", "", text, flags=re.S)
    return rest.replace("END:VCALENDAR", "".join(reversed(events)) + "END:VCALENDAR")


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    """A certificate for 127.0.0.1 (key and certificate in one PEM): the daemon trusts it
    through STEK_CALENDAR_CA_FILE, as it would a municipality's private CA."""
    path = tmp_path_factory.mktemp("tls") / "calendar.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(path) + ".key", "-out", str(path) + ".crt"],
                   check=True, capture_output=True)
    path.write_text(open(str(path) + ".key").read() + open(str(path) + ".crt").read())
    return str(path)


@pytest.fixture
def w(own_db, tmp_path, spec, cert):
    srv = Server(cert)
    d = Daemon(own_db.url, tmp_path, STEK_CALENDAR_ALLOW="127.0.0.1", STEK_WRITES_PER_MINUTE=0,
               STEK_CALENDAR_CA_FILE=cert,
               STEK_CALENDAR_SYNC_MINUTES=1440, STEK_WEBHOOK_ALLOW="127.0.0.1",
               STEK_WEBHOOK_RETRY_MS=200)
    admin = Api(d.base, spec, own_db.token)
    p = admin.post("/v1/partners", json={"name": unique("Buurthuis"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
    town = unique("Gemeente").replace(" ", "")
    site = admin.post("/v1/sites", json={"name": unique("De Kring"), "address": {
        "street": "Kerkstraat 12", "postal_code": "2920", "municipality": town}}).json()
    yield types.SimpleNamespace(srv=srv, d=d, admin=admin, p=p, site=site, town=town,
                                partner=admin.as_key(k.json()["token"]), url=own_db.url,
                                anon=Api(d.base, spec))
    srv.stop()
    assert_clean_exit(*d.stop())


def connect(w, name, text=None):
    w.srv.files[name] = text if text is not None else (FIXTURES / name).read_text()
    r = w.partner.post(f"/v1/partners/{w.p['id']}/calendars", json={
        "url": w.srv.url(name), "site_id": w.site["id"], "functions": ["meeting"]})
    assert r.status_code == 201, r.text
    return r.json()


def sync(w, cal):
    r = w.partner.post(f"/v1/partners/{w.p['id']}/calendars/{cal['id']}/sync")
    assert r.status_code == 200, r.text
    return r.json()


def stek_occurrences(w, today):
    """(offer title, local date, HH:MM) of every scheduled or moved occurrence in the feed."""
    out, cursor = set(), None
    while True:
        q = (f"/v1/feed?municipality={w.town}&from={today}&to={today + datetime.timedelta(days=365)}"
             "&limit=500" + (f"&cursor={cursor}" if cursor else ""))
        page = w.anon.get(q).json()
        for it in page["items"]:
            if it["status"] != "cancelled":
                out.add((it["title"], it["start"][:10], it["start"][11:16]))
        cursor = page["next_cursor"]
        if not cursor:
            return out


def reference(text, today):
    """The same with recurring_ical_events: masters and overrides, EXDATEs, cancellations."""
    cal = icalendar.Calendar.from_ical(text)
    end = today + datetime.timedelta(days=366)
    out = set()
    for ev in recurring_ical_events.of(cal).between(today, end):
        if str(ev.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = ev["DTSTART"].dt
        if isinstance(start, datetime.datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=ZONE)
            start = start.astimezone(ZONE)
            day, hhmm = start.date(), start.strftime("%H:%M")
        else:
            day, hhmm = start, "00:00"
        days = 1
        if not isinstance(start, datetime.datetime) and ev.get("DTEND") is not None:
            days = max(1, (ev["DTEND"].dt - start).days)
        title = str(ev["SUMMARY"])
        for n in range(days):
            d = day + datetime.timedelta(days=n)
            if today <= d <= today + datetime.timedelta(days=365):
                out.add((title, d.isoformat(), hhmm))
    return out


@pytest.mark.parametrize("name", ["google.ics", "outlook.ics", "nextcloud.ics", "apple.ics",
                                  "instances.ics"])
def test_the_feed_holds_every_occurrence_of_the_calendar_and_no_other(w, name):
    cal = connect(w, name)
    assert cal["url"] == f"https://127.0.0.1:{w.srv.port}/…" and name not in str(cal)
    run = sync(w, cal)
    assert run["ok"] and run["http_status"] == 200 and run["created"] >= 1, run
    today = datetime.date.today()
    text = (FIXTURES / name).read_text()
    want = reference(text, today)
    # Titles of overrides are the master's in stek (one offer per UID): compare by master title.
    masters = {}
    for ev in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        if ev.get("RECURRENCE-ID") is None:
            masters[str(ev["UID"])] = str(ev["SUMMARY"])
    titled = set()
    for ev in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        pass
    got = stek_occurrences(w, today)
    # Map the reference's override titles to their master's title.
    over = {str(ev["SUMMARY"]): masters.get(str(ev["UID"]), str(ev["SUMMARY"]))
            for ev in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    want = {(over.get(t, t), d, h) for t, d, h in want}
    assert got == want, (sorted(got - want)[:10], sorted(want - got)[:10])
    if name == "apple.ics":  # an all-day event of two days: those dates, without hours
        items = w.anon.get(f"/v1/feed?municipality={w.town}&from=2026-12-26&to=2026-12-27")
        days = [i for i in items.json()["items"] if i["title"] == "Gesloten: kerstreces"]
        assert [(i["start"][:10], i["all_day"]) for i in days] == \
            [("2026-12-26", True), ("2026-12-27", True)], days
        ics = w.anon.get(f"/v1/feed.ics?municipality={w.town}&from=2026-12-26&to=2026-12-27").text
        assert "DTSTART;VALUE=DATE:20261226\r\nDTEND;VALUE=DATE:20261227" in ics


def test_an_unchanged_calendar_writes_nothing_ten_times_and_an_edit_changes_one_offer(w):
    text = (FIXTURES / "google.ics").read_text()
    cal = connect(w, "google.ics", text)
    first = sync(w, cal)
    assert first["created"] == 3, first  # the cancelled series is no offer
    audit = psql(w.url, "SELECT count(*) FROM audit_log")
    versions = psql(w.url, "SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM offers")
    generation = metric(w.d, "stek_feed_generation")
    for mode in ["etag"] * 5 + ["google"] * 5:  # 304s, then Google's fresh DTSTAMPs and order
        w.srv.google = mode == "google"
        run = sync(w, cal)
        assert run["ok"] and (run["created"], run["updated"], run["archived"]) == (0, 0, 0), run
        assert run["unchanged"] == 3 and run["http_status"] == (304 if mode == "etag" else 200)
    assert psql(w.url, "SELECT count(*) FROM audit_log") == audit
    assert psql(w.url, "SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM offers") \
        == versions
    assert metric(w.d, "stek_feed_generation") == generation
    # One event edited: one offer changes.
    w.srv.files["google.ics"] = text.replace("SUMMARY:Repair café", "SUMMARY:Repair café XL")
    run = sync(w, cal)
    assert (run["created"], run["updated"], run["unchanged"], run["archived"]) == (0, 1, 2, 0)
    titles = {o["title"] for o in w.admin.get(f"/v1/offers?partner={w.p['id']}").json()["items"]}
    assert "Repair café XL" in titles and "Repair café" not in titles
    # One event removed: its offer is archived and leaves the feed.
    w.srv.files["google.ics"] = re.sub(r"BEGIN:VEVENT\r?\n(?:(?!END:VEVENT).)*UID:1abcxmasmarket"
                                       r"@google.com.*?END:VEVENT\r?\n", "",
                                       w.srv.files["google.ics"], flags=re.S)
    run = sync(w, cal)
    assert run["archived"] == 1 and run["unchanged"] == 2, run
    feed = w.anon.get(f"/v1/feed?municipality={w.town}&from=2026-12-01&to=2026-12-31").json()
    assert "Kerstmarkt" not in {i["title"] for i in feed["items"]}


def test_what_the_calendar_owns_and_a_refused_text(w):
    cal = connect(w, "outlook.ics")
    run = sync(w, cal)
    assert run["created"] == 2, run
    refused = run["refused"]
    assert [(x["field"], "personal data" in x["reason"]) for x in refused] == \
        [("description", True)], refused
    assert "jan.peeters" not in str(run)
    offers = w.admin.get(f"/v1/offers?partner={w.p['id']}").json()["items"]
    spreekuur = next(o for o in offers if o["title"] == "Digitaal spreekuur")
    assert spreekuur["description"] is None and spreekuur["source"]["calendar_id"] == cal["id"]
    assert spreekuur["free"] is None and spreekuur["registration"] is None
    r = w.partner.patch(f"/v1/offers/{spreekuur['id']}", json={"title": "Anders"})
    assert r.status_code == 409 and [e["field"] for e in r.json()["errors"]] == ["title"], r.text
    r = w.partner.post(f"/v1/offers/{spreekuur['id']}/exceptions",
                       json={"date": "2026-12-21", "status": "cancelled"})
    assert r.status_code == 409, r.text
    r = w.partner.patch(f"/v1/offers/{spreekuur['id']}", json={"categories": ["digital"]})
    assert r.status_code == 200 and r.json()["categories"] == ["digital"], r.text
    assert sync(w, cal)["unchanged"] == 2  # the partner's own field survives a sync
    assert w.anon.get(f"/v1/offers/{spreekuur['id']}").json()["categories"] == ["digital"]
    runs = w.partner.get(f"/v1/partners/{w.p['id']}/calendars/{cal['id']}/runs").json()
    assert len(runs["items"]) == 2 and runs["items"][0]["unchanged"] == 2
    # Disconnected: its offers archived, never deleted, and the partner's own again.
    assert w.partner.delete(f"/v1/partners/{w.p['id']}/calendars/{cal['id']}").status_code == 204
    after = w.admin.get(f"/v1/offers/{spreekuur['id']}").json()
    assert after["active"] is False and after["source"] is None


def test_bad_addresses_and_failures_are_reported(w):
    for url, why in (("http://10.1.2.3/cal.ics", "https"), ("ftp://example.org/x.ics", "http"),
                     ("https://192.168.1.5/cal.ics", "private")):
        r = w.partner.post(f"/v1/partners/{w.p['id']}/calendars", json={
            "url": url, "site_id": w.site["id"], "functions": ["meeting"]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url", (url, r.text)
    r = w.partner.post(f"/v1/partners/{w.p['id']}/calendars", json={
        "url": w.srv.url("x.ics"), "site_id": w.site["id"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "functions"
    cal = connect(w, "missing.ics", "not a calendar")
    run = sync(w, cal)
    assert not run["ok"] and "iCalendar" in run["error"], run
    del w.srv.files["missing.ics"]
    run = sync(w, cal)
    assert not run["ok"] and run["http_status"] == 404, run
    got = w.partner.get(f"/v1/partners/{w.p['id']}/calendars/{cal['id']}").json()
    assert got["failing_since"] is not None and got["last_ok_at"] is None
    stored = psql(w.url, "SELECT url FROM calendar_sources WHERE id = :'p1'", cal["id"])
    assert stored.startswith("https://127.0.0.1")  # no key file here: kept as given


def test_a_calendar_failing_for_three_days_is_announced_and_counted(w, tmp_path, spec):
    from test_webhooks import Receiver
    from conftest import wait_until
    rec = Receiver()
    try:
        hook = w.partner.post(f"/v1/partners/{w.p['id']}/webhooks",
                              json={"url": rec.url, "events": ["calendar.failing"]})
        assert hook.status_code == 201, hook.text
        cal = connect(w, "gone.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        del w.srv.files["gone.ics"]
        assert not sync(w, cal)["ok"]
        psql(w.url, "UPDATE calendar_sources SET failing_since = now() - interval '4 days'"
             " WHERE id = :'p1'", cal["id"])
        # The job announces at its start and each minute after: a daemon that starts finds it.
        d = Daemon(w.url, tmp_path, STEK_WEBHOOK_ALLOW="127.0.0.1", STEK_CALENDAR_ALLOW="127.0.0.1",
                   STEK_CALENDAR_SYNC_MINUTES=1440)
        try:
            got = rec.wait(1, timeout=60)
            payload = __import__("json").loads(got[0]["body"])
            assert payload["type"] == "calendar.failing"
            assert payload["data"]["calendar_id"] == cal["id"]
            assert payload["data"]["url"].endswith("/…") and "gone.ics" not in got[0]["body"].decode()
            wait_until(lambda: metric(d, "stek_calendars_failing") == 1, 60, "the metric counts it")
        finally:
            assert_clean_exit(*d.stop())
    finally:
        rec.stop()
