"""The OpenAPI document is as strict as the server (issue 12).

From the document alone, every string field of every request body gets its longest valid
value (must be accepted), its just-too-long value and, where it has one, its just-too-short
value (must be refused with 422 naming the field); every bounded number its out-of-range value;
every bounded query parameter its longest value and the values just outside (400 naming it).
Every response is also checked against the document by the Api client (conftest).
"""
import copy
import uuid

import pytest

from conftest import unique

COUNTS = {"requests": 0}


def resolve(spec, s):
    return spec.resolve(s)


def string_fields(spec, schema, prefix=""):
    """(dotted name, schema) of every string property, recursing into objects."""
    schema = resolve(spec, schema)
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(spec, prop)
        types = prop.get("type")
        types = types if isinstance(types, list) else [types]
        if "object" in types and "properties" in prop:
            out += string_fields(spec, prop, prefix + name + ".")
        elif "string" in types and "enum" not in prop and "format" not in prop or \
                prop.get("format") == "email":
            out.append((prefix + name, prop))
        elif ("number" in types or "integer" in types) and ("minimum" in prop or "maximum" in prop):
            out.append((prefix + name, prop))
    return out


def value(prop, n):
    """A string of n characters that matches the field's pattern and format when n allows."""
    pattern = prop.get("pattern", "")
    if prop.get("format") == "email":
        return ("a" * max(n - 12, 1) + "@example.org") if n >= 13 else "a@b.c"[:n]
    if "[0-9 ./()-]" in pattern:       # phone
        return "0" * n
    if pattern.startswith("^https?"):   # website
        return ("https://e.be/" + "a" * n)[:n]
    tag = uuid.uuid4().hex
    return (tag + "x" * n)[:n]


def setp(body, dotted, v):
    body = copy.deepcopy(body)
    cur = body
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = v
    return body


@pytest.fixture(scope="module")
def world(daemon, spec, admin_token):
    from conftest import Api
    admin = Api(daemon.base, spec, admin_token)
    p = admin.post("/v1/partners", json={"name": unique("Contract"), "kind": "welfare"}).json()
    key = admin.as_key(admin.post("/v1/keys", json={"name": "c", "role": "partner",
                                                     "partner_id": p["id"]}).json()["token"])
    s = admin.post("/v1/sites", json={"name": unique("Contract"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    o = admin.post("/v1/offers", json={
        "title": unique("Contract"), "site_id": s["id"], "partner_id": p["id"],
        "functions": ["meeting"], "schedules": [{"dtstart": "2026-12-03",
                                                 "rrule": "FREQ=WEEKLY;BYDAY=TH",
                                                 "start_time": "13:00", "end_time": "15:00"}]}).json()
    return {"admin": admin, "partner": key, "p": p, "s": s, "o": o}


def operations(w):
    """(method, path, schema name, base body, client, headers factory) of every JSON body."""
    p, s, o = w["p"], w["s"], w["o"]
    site = {"name": "x", "address": {"street": "Markt 1", "postal_code": "2920",
                                     "municipality": "Kalmthout"}}
    offer = {"title": "x", "site_id": s["id"], "partner_id": p["id"], "functions": ["meeting"],
             "schedules": [{"dtstart": "2026-12-03", "start_time": "13:00", "end_time": "15:00"}]}
    signal = {"kind": "barrier", "theme": "energy", "site_id": s["id"],
              "occurred_on": "2026-11-02"}
    none = lambda: {}
    idem = lambda: {"Idempotency-Key": uuid.uuid4().hex}
    a, k = w["admin"], w["partner"]
    return [
        ("POST", "/v1/partners", "PartnerWrite", {"name": "x", "kind": "welfare"}, a, none),
        ("PATCH", f"/v1/partners/{p['id']}", "PartnerPatch", {}, a, none),
        ("POST", "/v1/sites", "SiteWrite", site, a, none),
        ("PATCH", f"/v1/sites/{s['id']}", "SitePatch", {}, a, none),
        ("POST", "/v1/offers", "OfferWrite", offer, a, none),
        ("PATCH", f"/v1/offers/{o['id']}", "OfferPatch", {}, a, none),
        ("POST", f"/v1/offers/{o['id']}/exceptions", "ExceptionWrite",
         {"date": "2026-12-10", "status": "cancelled"}, a, none),
        ("POST", "/v1/signals", "SignalWrite", signal, k, idem),
        ("POST", "/v1/themes", "Theme", {"code": "x", "label_nl": "x", "label_en": "x"}, a, none),
        ("POST", "/v1/keys", "KeyWrite", {"name": "x", "role": "admin"}, a, none),
    ]


def test_every_body_field_at_and_past_its_bounds(world, spec):
    tried = 0
    for method, path, schema, base, client, headers in operations(world):
        fields = string_fields(spec, {"$ref": "#/components/schemas/" + schema})
        assert fields, schema
        for name, prop in fields:
            body = base
            if schema == "Theme":
                body = setp(base, "code", "t_" + uuid.uuid4().hex[:12])
            for unique_field in ("name", "title"):  # partner names are unique
                if unique_field in body and name != unique_field:
                    body = setp(body, unique_field, unique("Bound"))
            if "maximum" in prop or "minimum" in prop:
                # Numbers: a location needs both coordinates.
                loc = {"lat": 51.0, "lon": 4.0}
                leaf = name.split(".")[-1]
                for bad in ([prop["maximum"] + 1] if "maximum" in prop else []) + \
                           ([prop["minimum"] - 1] if "minimum" in prop else []):
                    b = setp(body, name.rsplit(".", 1)[0], dict(loc, **{leaf: bad}))
                    r = client.request(method, path, json=b, headers=headers())
                    tried += 1
                    assert r.status_code == 422, (schema, name, bad, r.text)
                    assert name in {e["field"] for e in r.json()["errors"]}, (name, r.text)
                continue
            hi = prop.get("maxLength")
            lo = prop.get("minLength", 0)
            if hi is not None and name not in ("timezone", "code"):
                r = client.request(method, path, json=setp(body, name, value(prop, hi)),
                                   headers=headers())
                tried += 1
                assert 200 <= r.status_code < 300, (schema, name, hi, r.text)
            if hi is not None:
                r = client.request(method, path, json=setp(body, name, value(prop, hi + 1)),
                                   headers=headers())
                tried += 1
                assert r.status_code == 422, (schema, name, hi + 1, r.text)
                assert name in {e["field"] for e in r.json()["errors"]}, (name, r.text)
            if lo > 0:
                r = client.request(method, path, json=setp(body, name, value(prop, lo - 1)),
                                   headers=headers())
                tried += 1
                assert r.status_code == 422, (schema, name, lo - 1, r.text)
    COUNTS["requests"] += tried
    print(f"\nbody bounds: {tried} requests")
    assert tried >= 100


def test_every_bounded_query_parameter(world, spec):
    tried = 0
    for tmpl, item in spec.doc["paths"].items():
        if not tmpl.startswith("/v1/") or "{" in tmpl or "get" not in item:
            continue
        client = world["partner"] if tmpl.startswith("/v1/signals") else world["admin"]
        params = [resolve(spec, x) for x in item["get"].get("parameters", [])]
        for prm in params:
            sch = resolve(spec, prm.get("schema", {}))
            name = prm["name"]
            if prm["in"] != "query" or name in ("near", "radius_km", "cursor"):
                continue
            cases = []
            if sch.get("type") == "integer":
                cases = [(sch["maximum"], True), (sch["maximum"] + 1, False),
                         (sch["minimum"] - 1, False), ("12abc", False)]
            elif sch.get("type") == "string" and "maxLength" in sch:
                cases = [("é" * sch["maxLength"], True), ("é" * (sch["maxLength"] + 1), False)]
                if sch.get("minLength", 0) > 0:
                    cases.append(("", False))
            for v, ok in cases:
                r = client.get(tmpl, params={name: v})
                tried += 1
                if ok:
                    assert r.status_code == 200, (tmpl, name, v, r.text)
                else:
                    assert r.status_code == 400, (tmpl, name, v, r.status_code)
                    assert r.json()["errors"][0]["field"] == name, (tmpl, name, r.text)
    print(f"\nquery bounds: {tried} requests")
    assert tried > 40
