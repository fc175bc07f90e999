"""Least privilege (issue 32): every operation of the API tried with every role, in and out of
its scope, generated from the route table (as openapi.yaml's x-stek-roles states it: the unit
tests hold the two equal). Deny by default: a role an operation does not name gets 403, a
request without a key 401; a role it names is not refused inside its scope (a partner: its own
partner's records; a coordinator: the sites of its municipalities) and is refused outside it
(a coordinator always with 403; a partner with 403, or 404 where someone else's record is
documented as not there for it), and a refused write changes nothing.

Also here: what a coordinator's lists, statistics and audit trail hold, a site that cannot be
moved out of its municipalities, and the bad inputs of a coordinator key.
"""
import datetime
import itertools
import types
import uuid

import pytest
import requests

from conftest import Api, Daemon, assert_clean_exit, psql, unique

ROLES = ["admin", "partner", "coordinator", "reader"]
IN = ["Kalmthout", "Wuustwezel"]  # the coordinator's municipalities
OUT = "Antwerpen"
TODAY = datetime.date.today()
_dates = itertools.count(1)


def ok(r, what):
    assert r.status_code < 300, f"{what}: {r.status_code} {r.text[:300]}"
    return r.json() if r.content else None


def next_thursday(n):
    """The n-th Thursday from next week on: an occurrence of every offer made here."""
    d = TODAY + datetime.timedelta(days=7 + (3 - TODAY.weekday()) % 7)
    return (d + datetime.timedelta(days=7 * n)).isoformat()


class World:
    """Partners A and B, sites in and out of the coordinator's municipalities, offers, closures,
    exceptions, signals, webhooks and a key of each role; fresh records on demand."""

    def __init__(self, base, spec, admin_token):
        self.spec = spec
        self.admin = Api(base, spec, admin_token)
        self.anon = Api(base, spec)
        a = self.admin
        self.pa = ok(a.post("/v1/partners", json={"name": unique("A"), "kind": "welfare"}), "A")
        self.pb = ok(a.post("/v1/partners", json={"name": unique("B"), "kind": "welfare"}), "B")
        self.s_in = self.site(IN[0])
        self.s_in2 = self.site(IN[1])
        self.s_out = self.site(OUT)
        self.tokens = {"admin": admin_token}
        for role, extra in (("partner", {"partner_id": self.pa["id"]}),
                            ("coordinator", {"municipalities": IN}), ("reader", {})):
            k = ok(a.post("/v1/keys", json={"name": role, "role": role, **extra}), role)
            self.tokens[role] = k["token"]
            setattr(self, role + "_key", k)
        kb = ok(a.post("/v1/keys", json={"name": "B", "role": "partner",
                                         "partner_id": self.pb["id"]}), "B key")
        self.b = Api(base, spec, kb["token"])
        self.o_a = self.offer(self.pa, self.s_in)      # A's, in the coordinator's places
        self.o_b_in = self.offer(self.pb, self.s_in2)  # B's, in the coordinator's places
        self.o_b_out = self.offer(self.pb, self.s_out)  # B's, elsewhere
        self.w_a = self.webhook(self.pa)
        self.w_b = self.webhook(self.pb)
        self.c_a = self.calendar(self.pa, self.s_in)
        self.c_b = self.calendar(self.pb, self.s_out)

    def api(self, role):
        return self.anon if role is None else self.anon.as_key(self.tokens[role])

    def site(self, municipality):
        return ok(self.admin.post("/v1/sites", json={
            "name": unique("Site"), "address": {"street": "Markt 1", "postal_code": "2920",
                                                "municipality": municipality}}), "site")

    def offer(self, partner, site):
        return ok(self.admin.post("/v1/offers", json={
            "title": unique("Offer"), "site_id": site["id"], "partner_id": partner["id"],
            "functions": ["meeting"],
            "schedules": [{"dtstart": "2026-01-01", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                           "start_time": "13:00", "end_time": "15:00"}]}), "offer")

    def closure(self, site):
        day = datetime.date(2030, 1, 1) + datetime.timedelta(days=3 * next(_dates))
        return ok(self.admin.post(f"/v1/sites/{site['id']}/closures", json={
            "from": day.isoformat(), "to": day.isoformat(), "note": "dicht"}), "closure")

    def exception(self, offer):
        date = next_thursday(next(_dates))
        ok(self.admin.post(f"/v1/offers/{offer['id']}/exceptions",
                           json={"date": date, "status": "cancelled"}), "exception")
        return date

    def webhook(self, partner):
        return ok(self.admin.post(f"/v1/partners/{partner['id']}/webhooks", json={
            "url": "http://127.0.0.1:9/hook", "events": ["referral.created"]}), "webhook")

    def calendar(self, partner, site):
        return ok(self.admin.post(f"/v1/partners/{partner['id']}/calendars", json={
            "url": "http://127.0.0.1:9/cal.ics", "site_id": site["id"],
            "functions": ["meeting"]}), "calendar")

    def signal(self, poster, site, kind="barrier", to=None):
        body = {"kind": kind, "theme": "energy", "site_id": site["id"],
                "occurred_on": TODAY.isoformat()}
        if to is not None:
            body["referred_to_partner_id"] = to["id"]
        return ok(poster.post("/v1/signals", json=body,
                              headers={"Idempotency-Key": uuid.uuid4().hex}), "signal")

    def partner_api(self, partner):
        return self.api("partner") if partner is self.pa else self.b

    def delivery(self, partner, webhook):
        """A delivery of partner's webhook: a referral made to it."""
        other = self.pb if partner is self.pa else self.pa
        self.signal(self.partner_api(other), self.s_in, "referral", to=partner)
        items = ok(self.admin.get(f"/v1/partners/{partner['id']}/webhooks/{webhook['id']}"
                                  "/deliveries"), "deliveries")["items"]
        return items[0]["id"]


def target(w, op, role, inside):
    """(path, body, headers, how to read the record back) for op by role, in or out of scope.
    Fresh records for writes that would use up a shared one."""
    method, path = op
    mine = role != "coordinator"  # a partner's scope is its partner; others need none
    offer = (w.o_a if mine else w.o_b_in) if inside else w.o_b_out
    site = w.s_in if inside else w.s_out
    partner, hook = (w.pa, w.w_a) if inside else (w.pb, w.w_b)
    body, headers = None, {}
    if path.startswith("/v1/partners/{id}/webhooks"):
        if method == "delete":
            hook = w.webhook(partner)
        p = path.replace("{id}", partner["id"]).replace("{wid}", hook["id"])
        if "{did}" in p:
            p = p.replace("{did}", w.delivery(partner, hook))
        if method == "post" and p.endswith("/webhooks"):
            body = {"url": "http://127.0.0.1:9/hook", "events": ["referral.created"]}
        if method == "patch":
            body = {"description": unique("d")}
        back = f"/v1/partners/{partner['id']}/webhooks/{hook['id']}"
        return p, body, headers, back
    if path.startswith("/v1/partners/{id}/calendars"):
        c = (w.c_a if inside else w.c_b) if method != "delete" else w.calendar(partner, site)
        p = path.replace("{id}", partner["id"]).replace("{cid}", c["id"])
        if method == "post" and p.endswith("/calendars"):
            body = {"url": "http://127.0.0.1:9/other.ics", "site_id": site["id"],
                    "functions": ["meeting"]}
        if method == "patch":
            body = {"categories": [unique("c").replace(" ", "").lower()[:20]]}
        return p, body, headers, f"/v1/partners/{partner['id']}/calendars/{c['id']}"
    if path == "/v1/imports/offers":
        who = w.pa if mine else w.pb
        csv = ("title;site;partner;functions;dtstart;rrule;start_time;end_time\n"
               f"{unique('Upload')};{w.s_in['id']};{who['id']};meeting;2026-12-01;elke dinsdag;"
               "13:00;15:00\n")
        return path, ("text/csv", csv), headers, None
    if path == "/v1/partners":
        return path, {"name": unique("P"), "kind": "welfare"}, headers, None
    if path == "/v1/partners/{id}":
        target_p = ok(w.admin.post("/v1/partners", json={"name": unique("P"), "kind": "x"}),
                      "partner") if method == "delete" else partner
        return (path.replace("{id}", target_p["id"]), {"website": "https://example.org"}
                if method == "patch" else None, headers, f"/v1/partners/{target_p['id']}")
    if path == "/v1/sites":
        return path, {"name": unique("Site"), "address": {
            "street": "Markt 2", "postal_code": "2920",
            "municipality": IN[1] if inside else OUT}}, headers, None
    if path == "/v1/sites/{id}":
        s = w.site(IN[0] if inside else OUT) if method == "delete" else site
        return (path.replace("{id}", s["id"]), {"description": unique("d")}
                if method == "patch" else None, headers, f"/v1/sites/{s['id']}")
    if path.startswith("/v1/sites/{id}/closures"):
        c = w.closure(site) if "{cid}" in path else None
        p = path.replace("{id}", site["id"]).replace("{cid}", c["id"] if c else "")
        if method == "post":
            day = datetime.date(2031, 1, 1) + datetime.timedelta(days=3 * next(_dates))
            body = {"from": day.isoformat(), "to": day.isoformat()}
        if method == "patch":
            body = {"note": unique("n")}
        return p, body, headers, p if c else None
    if path == "/v1/offers":
        return path, {"title": unique("Offer"), "site_id": site["id"],
                      "partner_id": (w.pa if mine else w.pb)["id"] if inside else w.pb["id"],
                      "functions": ["meeting"],
                      "schedules": [{"dtstart": "2026-01-01", "rrule": "FREQ=WEEKLY;BYDAY=TH",
                                     "start_time": "13:00", "end_time": "15:00"}]}, headers, None
    if path.startswith("/v1/offers/{id}"):
        if path == "/v1/offers/{id}" and method == "delete":
            offer = w.offer(w.pa if (inside and mine) else w.pb, w.s_in if inside else w.s_out)
        p = path.replace("{id}", offer["id"])
        if "{date}" in path:
            p = p.replace("{date}", w.exception(offer))
        if method == "post" and p.endswith("/exceptions"):
            body = {"date": next_thursday(next(_dates)), "status": "cancelled"}
        elif method == "patch":
            body = {"note": unique("n")} if "{date}" in path else {"audience": unique("a")}
        return p, body, headers, p if method != "post" else f"/v1/offers/{offer['id']}"
    if path == "/v1/themes":
        return path, {"code": "t" + uuid.uuid4().hex[:12], "label_nl": "T", "label_en": "T"}, \
            headers, None
    if path in ("/v1/signals", "/v1/signals/batch"):
        s = {"kind": "barrier", "theme": "energy", "site_id": w.s_in["id"],
             "occurred_on": TODAY.isoformat()}
        if path.endswith("batch"):
            return path, {"signals": [dict(s, idempotency_key=uuid.uuid4().hex)]}, headers, None
        return path, (s if method == "post" else None), {"Idempotency-Key": uuid.uuid4().hex}, None
    if path == "/v1/signals/{id}":
        poster = w.partner_api(w.pa if inside else w.pb)
        sig = w.signal(poster if mine else w.b, site)
        return (path.replace("{id}", sig["id"]), {"status": "in_review"}
                if method == "patch" else None, headers, f"/v1/signals/{sig['id']}")
    if path == "/v1/handoffs/{code}":
        to = w.pa if inside else w.pb
        sig = w.signal(w.b if inside else w.api("partner"), w.s_in, "referral", to=to)
        return path.replace("{code}", sig["handoff_code"]), None, headers, None
    if path.startswith("/v1/keys/{id}"):
        if path.endswith("/rotate"):
            own = ok(w.api(role).get("/v1/me"), "me")["id"]
            k = own if inside else w.reader_key["id"] if role != "reader" else w.partner_key["id"]
        else:
            k = ok(w.admin.post("/v1/keys", json={"name": "k", "role": "reader"}), "key")["id"]
        return path.replace("{id}", k), ({"grace_hours": 48} if method == "post" else None), \
            headers, None
    if path == "/v1/keys":
        return path, ({"name": "k", "role": "reader"} if method == "post" else None), headers, None
    if path == "/v1/search/synonyms":
        return path, ({"language": "nl", "terms": [unique("a").replace(" ", ""), "klus"]}
                      if method == "post" else None), headers, None
    if path == "/v1/search/synonyms/{id}":
        made = ok(w.admin.post("/v1/search/synonyms", json={
            "language": "nl", "terms": [unique("b").replace(" ", ""), "klus"]}), "synonyms")
        return path.replace("{id}", made["id"]), None, headers, None
    return fill_public(path), None, headers, None


def scoped(path):
    """Whether an operation has an outside for a partner or coordinator key: it names a record
    (a path parameter) or, creating one, a place or partner (sites, offers)."""
    return "{" in path or path in ("/v1/sites", "/v1/offers")


def fill_public(path):
    """Public and parameterless paths: any well-formed value (a 404 is an answer too)."""
    return (path.replace("{id}", str(uuid.uuid4())).replace("{occurrence_id}", "x")
            .replace("{file}", "stek.css").replace("{code}", "ABCDEFGH"))


def stable(doc):
    """A record without what the daemons change by themselves (a calendar's syncs)."""
    return {k: v for k, v in doc.items()
            if k not in ("last_sync_at", "last_ok_at", "failing_since", "next_sync_at")}


def call(w, role, method, path, body, headers):
    a = w.api(role)
    kw = {"headers": dict(headers)}
    if isinstance(body, tuple):  # (content type, text): an upload
        kw["headers"]["Content-Type"] = body[0]
        kw["data"] = body[1].encode()
    elif body is not None:
        kw["json"] = body
    return a.request(method.upper(), path, **kw)


def operations(spec):
    for path, item in spec.doc["paths"].items():
        for method in ("get", "post", "patch", "delete"):
            if method in item:
                yield (method, path), item[method]


@pytest.fixture(scope="module")
def world(tmp_path_factory, spec):
    from conftest import cli, create_database, drop_database, migrate
    name, url = create_database()
    assert migrate(url, "up").returncode == 0
    token = cli(url, "create-admin-key", "roles").stdout.strip()
    d = Daemon(url, tmp_path_factory.mktemp("roles"), STEK_WRITES_PER_MINUTE=0,
               STEK_AUTH_FAILURES=100000, STEK_WEBHOOK_ALLOW="127.0.0.1",
               STEK_CALENDAR_ALLOW="127.0.0.1", STEK_CALENDAR_SYNC_MINUTES=1440)
    w = World(d.base, spec, token)
    w.url = url
    yield w
    assert_clean_exit(*d.stop())
    drop_database(name)


def test_every_operation_with_every_role_in_and_out_of_scope(world, spec):
    w, tried, refused_right = world, 0, 0
    problems = []
    ops = sorted(operations(spec), key=lambda o: o[0][0] == "delete")  # deletions last
    for (method, path), op in ops:
        allowed = op.get("x-stek-roles")
        public = allowed is None
        for role in [None] + ROLES:
            both = role in ("partner", "coordinator") and scoped(path) and not public
            for inside in ((True, False) if both else (True,)):
                p, body, headers, back = target(w, (method, path), role or "admin", inside)
                before = stable(w.admin.get(back).json()) if back and method != "get" else None
                r = call(w, role, method, p, body, headers)
                tried += 1
                s, what = r.status_code, f"{method.upper()} {p} as {role} ({'in' if inside else 'out of'} scope)"
                if public:
                    expect_ok = s not in (401, 403)
                elif role is None:
                    expect_ok = s == 401
                elif role not in allowed:
                    expect_ok = s == 403
                    refused_right += s == 403
                elif inside:
                    expect_ok = s < 300
                else:  # a partner: someone else's record is 404, its partner_id 422
                    expect_ok = s == 403 or (role == "partner" and s in (404, 422))
                    refused_right += expect_ok
                if not expect_ok:
                    problems.append(f"{what}: {s} {r.text[:160]}")
                if before is not None and (s in (401, 403, 404)):
                    after = stable(w.admin.get(back).json())
                    if after != before:
                        problems.append(f"{what}: refused with {s} but changed {back}")
    print(f"roles: {tried} requests over {len(ops)} operations, {refused_right} refused as declared")
    assert not problems, "\n".join(problems[:40])
    assert tried > 300


def test_a_coordinators_lists_and_audit_trail_hold_its_places_only(world):
    w = world
    coord = w.api("coordinator")
    inside = w.signal(w.api("partner"), w.s_in)
    outside = w.signal(w.b, w.s_out)
    ids = {s["id"] for s in ok(coord.get("/v1/signals?limit=200"), "signals")["items"]}
    assert inside["id"] in ids and outside["id"] not in ids
    r = coord.get(f"/v1/signals?site={w.s_out['id']}")
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "site", r.text
    assert {s["id"] for s in ok(w.api("reader").get("/v1/signals?limit=200"), "all")["items"]} >= \
        {inside["id"], outside["id"]}
    # An edit by the coordinator shows under its scope; an edit elsewhere is not its to read.
    ok(coord.patch(f"/v1/offers/{w.o_b_in['id']}", json={"audience": "buren"}), "edit")
    ok(w.admin.patch(f"/v1/offers/{w.o_b_out['id']}", json={"audience": "stad"}), "edit")
    entries = ok(coord.get("/v1/audit?limit=200"), "audit")["items"]
    assert entries and all(set(e["places"]) <= {m.lower() for m in IN} and e["places"]
                           for e in entries)
    mine = [e for e in entries if e["entity_id"] == w.o_b_in["id"]]
    assert mine[0]["role"] == "coordinator" and mine[0]["scope"] == IN
    assert mine[0]["key_id"] == w.coordinator_key["id"]
    assert not [e for e in entries if e["entity_id"] == w.o_b_out["id"]]
    every = ok(w.api("reader").get("/v1/audit?limit=200"), "audit")["items"]
    assert [e for e in every if e["entity_id"] == w.o_b_out["id"]]
    # The trail of one record elsewhere is refused, never an empty page.
    r = coord.get(f"/v1/audit?entity=offer&entity_id={w.o_b_out['id']}")
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "entity_id", r.text
    assert coord.get(f"/v1/audit?entity=offer&entity_id={w.o_b_in['id']}").status_code == 200
    # A deletion keeps its place in the trail.
    gone = w.offer(w.pb, w.s_in)
    assert coord.delete(f"/v1/offers/{gone['id']}").status_code == 204
    deleted = ok(coord.get(f"/v1/audit?entity=offer&entity_id={gone['id']}"), "audit")["items"]
    assert deleted[0]["action"] == "delete" and deleted[0]["places"] == [IN[0].lower()]


def test_a_site_cannot_be_moved_out_of_the_coordinators_municipalities(world):
    w = world
    coord = w.api("coordinator")
    s = w.site(IN[0])
    r = coord.patch(f"/v1/sites/{s['id']}", json={"address": {"municipality": OUT}})
    assert r.status_code == 403, r.text
    assert r.json()["errors"][0]["field"] == "address.municipality"
    assert w.anon.get(f"/v1/sites/{s['id']}").json()["address"]["municipality"] == IN[0]
    r = coord.patch(f"/v1/sites/{s['id']}", json={"address": {"municipality": IN[1]}})
    assert r.status_code == 200, r.text
    # An offer is not moved away either, by its site or a schedule's.
    r = coord.patch(f"/v1/offers/{w.o_b_in['id']}", json={"site_id": w.s_out["id"]})
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "site_id", r.text
    assert w.anon.get(f"/v1/offers/{w.o_b_in['id']}").json()["site_id"] == w.s_in2["id"]


def test_a_coordinators_exact_statistics_are_its_own_and_never_filtered(world):
    w = world
    coord = w.api("coordinator")
    w.signal(w.api("partner"), w.s_in)
    r = coord.get(f"/v1/stats/signals?raw=true&municipality={IN[0]}")
    assert r.status_code == 200 and r.json()["total"]["count"] >= 1, r.text
    for q in ("raw=true", f"raw=true&municipality={OUT}", f"raw=true&site={w.s_out['id']}",
              f"raw=true&municipality={IN[0]}&site={w.s_out['id']}"):
        r = coord.get("/v1/stats/signals?" + q)
        assert r.status_code == 403, (q, r.text)
    assert w.api("reader").get("/v1/stats/signals?raw=true").status_code == 200
    assert w.api("partner").get("/v1/stats/signals?raw=true").status_code == 403
    assert w.anon.get("/v1/stats/signals?raw=true").status_code == 401


def test_a_coordinator_key_needs_known_municipalities_and_says_what_it_is(world):
    w = world
    a = w.admin
    for extra, field in (({}, "municipalities"), ({"municipalities": []}, "municipalities"),
                         ({"municipalities": ["Kalmhout"]}, "municipalities[0]"),
                         ({"municipalities": [IN[0], IN[0].upper()]}, "municipalities[1]"),
                         ({"municipalities": IN, "partner_id": w.pa["id"]}, "partner_id")):
        r = a.post("/v1/keys", json={"name": "c", "role": "coordinator", **extra})
        assert r.status_code == 422, (extra, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (extra, r.text)
    r = a.post("/v1/keys", json={"name": "c", "role": "coordinator", "municipalities": ["Kalmhout"]})
    assert "Kalmthout" in r.json()["errors"][0]["message"]
    r = a.post("/v1/keys", json={"name": "r", "role": "reader", "municipalities": IN})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "municipalities"
    me = ok(w.api("coordinator").get("/v1/me"), "me")
    assert me["role"] == "coordinator" and me["municipalities"] == IN
    assert "sites" in me["scopes"] and "keys" not in me["scopes"]
    assert ok(w.api("reader").get("/v1/me"), "me")["scopes"] == []
    stored = psql(w.url, "SELECT municipalities FROM api_keys WHERE id = :'p1'",
                  w.coordinator_key["id"])
    assert stored == "{" + ",".join(IN) + "}"
