"""HTTP framing at the edge (RFC 9112), issue 12: every shape must end in a clear status and
never leave bytes that are read as a second request (a request-smuggling desync)."""
import socket
import time

from conftest import unique


def exchange(daemon, data, wait=3.0):
    """Sends data on one connection; returns everything the server sent until it closed or
    went quiet for `wait` seconds, and whether it closed."""
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=wait) as s:
        s.sendall(data)
        out, closed = b"", False
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                part = s.recv(65536)
            except socket.timeout:
                break
            if not part:
                closed = True
                break
            out += part
    return out.decode("latin-1"), closed


def statuses(text):
    return [int(line.split(" ")[1]) for line in text.split("\r\n") if line.startswith("HTTP/1.1 ")]


SMUGGLED = b"GET /v1/nothing-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def test_whitespace_before_the_colon_is_400(daemon):
    for name in (b"Transfer-Encoding : chunked", b"Content-Length : 5", b"Content-Length\t: 5",
                 b"X-Thing : y"):
        text, _ = exchange(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\n" + name + b"\r\n\r\n" + SMUGGLED)
        assert statuses(text) == [400], (name, text[:400])
        assert "nothing-smuggled" not in text


def test_a_body_where_the_route_takes_none_never_becomes_a_request(daemon):
    for method in (b"GET", b"HEAD", b"DELETE", b"OPTIONS"):
        body = SMUGGLED
        req = (method + b" /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               str(len(body)).encode() + b"\r\n\r\n" + body)
        text, _ = exchange(daemon, req)
        assert len(statuses(text)) == 1 and "nothing-smuggled" not in text, (method, text[:400])
        chunked = (method + b" /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n")
        text, _ = exchange(daemon, chunked)
        assert len(statuses(text)) == 1 and "nothing-smuggled" not in text, (method, text[:400])


def test_transfer_encoding_other_than_chunked_is_refused_at_once(daemon):
    for te in (b"identity", b"gzip, chunked", b"chunked, gzip", b"gzip", b"chunked;x=1"):
        t0 = time.time()
        text, closed = exchange(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Type: application/json\r\nTransfer-Encoding: " + te +
                                b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n", wait=5)
        assert statuses(text) and statuses(text)[0] in (400, 501), (te, text[:300])
        assert time.time() - t0 < 2.5, te
    # Exactly chunked (any case) is fine: 401, the route needs a key.
    text, _ = exchange(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n"
                       b"2\r\n{}\r\n0\r\n\r\n")
    assert statuses(text)[0] == 401, text[:300]


def test_singleton_headers_sent_twice_are_400(daemon, admin_token):
    auth = b"Authorization: Bearer " + admin_token.encode() + b"\r\n"
    for name, a, b in ((b"Content-Type", b"application/json", b"text/plain"),
                       (b"Authorization", b"Bearer x", b"Bearer y"),
                       (b"If-Match", b'"1"', b'"2"'),
                       (b"If-None-Match", b'"1"', b'"2"'),
                       (b"Idempotency-Key", b"a", b"b"),
                       (b"Host", b"x", b"y")):
        extra = b"" if name == b"Authorization" else auth
        host = b"" if name == b"Host" else b"Host: x\r\n"
        ctype = b"" if name == b"Content-Type" else b"Content-Type: application/json\r\n"
        req = (b"POST /v1/partners HTTP/1.1\r\n" + host + ctype + extra + name + b": " + a +
               b"\r\n" + name + b": " + b + b"\r\nContent-Length: 2\r\n\r\n{}")
        text, _ = exchange(daemon, req)
        assert statuses(text) == [400], (name, text[:400])
        assert name.decode() in text, (name, text[:400])


def test_a_nul_or_bad_utf8_in_a_query_value_is_400_naming_it(api):
    for path, name in (("/v1/partners?limit=5%00", "limit"), ("/v1/sites?q=ab%00cd", "q"),
                       ("/v1/sites?q=%C3%28", "q"), ("/v1/offers?q=%FF", "q"),
                       ("/v1/feed?municipality=%E2%82", "municipality"),
                       ("/v1/feed.ics?q=%ED%A0%80", "q"), ("/v1/stats/signals?municipality=%FE",
                                                          "municipality"),
                       ("/v1/themes?limit=%00", "limit"), ("/v1/offers?limit=%C0%AF", "limit")):
        r = api.get(path)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.json()["errors"][0]["field"] == name, (path, r.text)


def test_percent_and_underscore_in_q_are_literal(admin, api):
    tag = unique("Zaal")
    a = admin.post("/v1/sites", json={"name": f"{tag} 100% gratis", "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    b = admin.post("/v1/sites", json={"name": f"{tag} 1000 plaatsen", "address": {
        "street": "Markt 2", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    c = admin.post("/v1/sites", json={"name": f"{tag} zaal_b", "address": {
        "street": "Markt 3", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    d = admin.post("/v1/sites", json={"name": f"{tag} zaalXb", "address": {
        "street": "Markt 4", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    ids = lambda q: {s["id"] for s in api.get("/v1/sites", params={"q": q, "limit": 500}).json()["items"]}
    assert ids("100%") == {a["id"]}
    assert ids("zaal_b") == {c["id"]}
    assert b["id"] not in ids("10%0") and d["id"] not in ids("zaal_b")


def test_allow_lists_exactly_the_methods_of_each_path(api, spec):
    """PUT is on no path: every path answers 405 with the methods its OpenAPI entry has."""
    for tmpl, item in spec.doc["paths"].items():
        path = (tmpl.replace("{id}", "00000000-0000-4000-8000-000000000000")
                .replace("{date}", "2026-12-17").replace("{code}", "ABCDEFGH")
                .replace("{file}", "x.js"))
        r = api.request("PUT", path)
        assert r.status_code == 405, (tmpl, r.status_code)
        methods = [m.upper() for m in ("get", "post", "patch", "delete") if m in item]
        want = set(methods) | ({"HEAD"} if "GET" in methods else set()) | {"OPTIONS"}
        got = {m.strip() for m in r.headers["Allow"].split(",")}
        assert got == want, (tmpl, got, want)
    assert api.request("GET", "/v1/signals/batch").status_code == 405


def test_themes_validate_limit_and_cursor_like_every_list(api):
    for bad in ("abc", "0", "501", "1001", "-1", "5x"):
        r = api.get("/v1/themes", params={"limit": bad})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "limit", bad
    assert api.get("/v1/themes", params={"cursor": "not-ours"}).status_code == 400
    seen, cursor = [], None
    while True:
        page = api.get("/v1/themes", params={"limit": 4, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        body = page.json()
        assert len(body["items"]) <= 4
        seen += [t["code"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    everything = [t["code"] for t in api.get("/v1/themes", params={"limit": 500}).json()["items"]]
    assert seen == everything and len(seen) >= 15 and seen == sorted(seen)


def test_a_created_exception_can_be_read_at_its_location(demo, admin, api):
    kff = demo["offers"]["Koffie & Formulieren"]
    r = admin.post(f"/v1/offers/{kff['id']}/exceptions",
                   json={"date": "2027-01-07", "status": "cancelled", "note": "Nieuwjaar"})
    assert r.status_code == 201
    got = api.get(r.headers["Location"])
    assert got.status_code == 200 and got.json() == r.json()
    assert api.get(f"/v1/offers/{kff['id']}/exceptions/2027-01-14").status_code == 404
    assert api.get(f"/v1/offers/{kff['id']}/exceptions/tomorrow").status_code == 404
    assert admin.delete(r.headers["Location"]).status_code == 204
    assert api.get(r.headers["Location"]).status_code == 404


def test_a_413_reaches_a_client_that_is_still_writing(daemon, admin_token):
    """Node's fetch writes the whole body before it reads: the 413 must still reach it."""
    import json
    import subprocess
    from conftest import ROOT
    out = subprocess.run(["node", str(ROOT / "tests" / "http" / "fetch_413.mjs"),
                          daemon.base + "/v1/partners", admin_token],
                         capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout)
    assert result == {"ok": 5, "errs": []}, (result, out.stderr[-500:])
    # Far beyond the drain bound: answered at once, and the connection closes.
    text, closed = exchange(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\n"
                            b"Content-Length: 999999999999\r\n\r\n{")
    assert statuses(text) == [413] and closed
