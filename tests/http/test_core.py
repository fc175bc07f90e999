"""The HTTP core: routing, errors, limits, headers, CORS, keep-alive, bad input."""
import http.client
import json
import socket

import requests

from conftest import ROOT


def raw(daemon, data, read_timeout=5):
    """Sends raw bytes on a new connection; returns the first response's status and text."""
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=read_timeout) as s:
        s.sendall(data)
        chunks = b""
        try:
            while b"\r\n\r\n" not in chunks or len(chunks) < 12:
                part = s.recv(65536)
                if not part:
                    break
                chunks += part
            head, _, body = chunks.partition(b"\r\n\r\n")
            if b"Content-Length:" in head:
                want = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
                while len(body) < want:
                    part = s.recv(65536)
                    if not part:
                        break
                    body += part
        except socket.timeout:
            pass
    text = chunks.decode("latin-1")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/1.1 ") else 0
    return status, text


def test_healthz_headers(api):
    r = api.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert len(r.headers["X-Request-Id"]) == 32
    assert "Server" not in r.headers
    assert "X-Powered-By" not in r.headers


def test_readyz(api):
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_request_id_is_echoed_or_generated(api):
    r = api.get("/v1/nothing", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    assert r.json()["request_id"] == "abc-123"
    r = api.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert r.headers["X-Request-Id"] != "bad id with spaces"


def test_unknown_path_is_404_problem(api):
    r = api.get("/v1/nothing")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["type"] == "urn:stek:problem:not-found"
    assert body["request_id"] == r.headers["X-Request-Id"]


def test_wrong_method_is_405_with_allow(api):
    r = api.request("DELETE", "/healthz")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS"
    r = api.request("PUT", "/v1/partners")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    r = api.request("BREW", "/v1/partners")
    assert r.status_code == 405


def test_head_for_every_get(api):
    for path in ("/healthz", "/readyz", "/v1/partners", "/openapi.json"):
        r = api.request("HEAD", path)
        assert r.status_code == 200, path
        assert r.content == b""
        assert int(r.headers["Content-Length"]) > 0


def test_cors_preflight(api):
    r = api.request("OPTIONS", "/v1/partners/8f0e6a4c-0001-4a00-8000-000000000001",
                    headers={"Origin": "https://www.kalmthout.be",
                             "Access-Control-Request-Method": "PATCH"})
    assert r.status_code == 204
    assert "PATCH" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_openapi_json_is_the_yaml(api, spec):
    r = api.get("/openapi.json")
    assert r.status_code == 200
    assert r.json() == spec.doc
    etag = r.headers["ETag"]
    r2 = api.get("/openapi.json", headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""


def test_body_too_large_is_413(api, admin_token, daemon):
    big = b'{"name":"' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = api.post("/v1/partners", data=big, token=admin_token,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["type"] == "urn:stek:problem:body-too-large"

    def chunks():
        for _ in range(20):
            yield b"x" * 65536 * 2

    # Chunked, so the size is only known while reading.
    r = requests.post(daemon.base + "/v1/partners", data=chunks(), timeout=30,
                      headers={"Content-Type": "application/json",
                               "Authorization": "Bearer " + admin_token})
    assert r.status_code == 413


def test_uri_too_long_is_414(daemon):
    status, text = raw(daemon, b"GET /v1/partners?q=" + b"a" * 9000 + b" HTTP/1.1\r\n"
                       b"Host: x\r\n\r\n")
    assert status == 414, text[:200]


def test_duplicate_content_length_is_400(daemon):
    status, text = raw(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/json\r\n"
                       b"Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}")
    assert status == 400, text[:300]
    assert "Content-Length" in text


def test_content_length_with_chunked_is_400(daemon):
    status, text = raw(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/json\r\n"
                       b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"2\r\n{}\r\n0\r\n\r\n")
    assert status == 400, text[:300]


def test_obsolete_line_folding_is_400(daemon):
    for fold in (b" ", b"\t"):
        status, text = raw(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nX-Note: first\r\n" + fold +
                           b"second\r\nContent-Length: 2\r\n\r\n{}")
        assert status == 400, text[:300]
        assert "folded" in text
    # The same headers on one line each are fine (401: the route needs a key).
    status, text = raw(daemon, b"POST /v1/partners HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/json\r\nX-Note: first second\r\n"
                       b"X-Empty:\r\nContent-Length: 2\r\n\r\n{}")
    assert status == 401, text[:300]


def test_keep_alive_survives_requests(daemon):
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=5)
    for path in ("/healthz", "/v1/partners?limit=1", "/v1/nothing", "/healthz"):
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        assert resp.getheader("Connection") != "close", path
    sock = conn.sock
    conn.request("GET", "/healthz")
    conn.getresponse().read()
    assert conn.sock is sock, "the connection was reused"
    conn.close()


def test_query_parameter_errors_name_the_parameter(api):
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"),
                         ("cursor=garbage", "cursor"), ("colour=red", "colour"),
                         ("active=maybe", "active"), ("limit=1&limit=2", "limit")):
        r = api.get("/v1/partners?" + query)
        assert r.status_code == 400, query
        assert r.json()["errors"][0]["field"] == field, query


MALFORMED_BODIES = [
    (b'{"name": ', 400),
    (b'{"name": "a", "name": "b"}', 400),          # duplicate keys
    (b'[' * 5000 + b']' * 5000, 400),               # deep nesting
    (b'{"n": 1' + b'0' * 400 + b'}', 400),          # huge number
    (b'{"n": 1e999}', 400),
    (b'{"name": "\xff\xfe"}', 400),                 # invalid UTF-8
    (b'{"name": "\\ud800"}', 400),                  # lone surrogate
    (b'{} {}', 400),                                # trailing data
    (b'', 400),
    (b'[]', 422),
    (b'"just a string"', 422),
    (b'{"name": null, "kind": 5, "zzz": true}', 422),
]


def test_malformed_bodies_get_problem_json(api, admin_token):
    for body, status in MALFORMED_BODIES:
        r = api.post("/v1/partners", data=body, token=admin_token,
                     headers={"Content-Type": "application/json"})
        assert r.status_code == status, (body[:40], r.text[:200])
        assert r.headers["Content-Type"] == "application/problem+json"


def test_wrong_content_type_is_415(api, admin_token):
    for ctype in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = api.post("/v1/partners", data=b'{"name":"x","kind":"y"}', token=admin_token,
                     headers=headers)
        assert r.status_code == 415, ctype


RAW_CORPUS = [
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET /v1/partners/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/partners/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/partners/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/partners?limit=%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/partners?" + b"a=1&" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET //////////////////////////////// HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/partners HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 40000 + b"\r\n\r\n",
    b"GET /v1/partners HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
    b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"PATCH /v1/partners/not-a-uuid HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /v1/partners HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /v1/partners HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"GET /v1/partners HTTP/1.0\r\n\r\n",
    b"GET /v1/partners HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
]


def test_raw_malformed_requests_never_crash(daemon, api):
    for data in RAW_CORPUS:
        status, text = raw(daemon, data, read_timeout=3)
        if status:
            assert status < 500 or status == 505, (data[:60], text[:200])
            if status >= 400 and "Content-Type: application/problem+json" not in text:
                # Only libmicrohttpd's own protocol-level refusals may lack problem+json.
                assert status in (400, 413, 414, 431, 505), (data[:60], text[:300])
    assert api.get("/healthz").status_code == 200


def test_metrics_parse_and_count(api, demo):
    from prometheus_client.parser import text_string_to_metric_families

    api.get("/healthz")
    api.get("/v1/feed?municipality=Kalmthout&from=2026-12-14&to=2026-12-20")
    api.get("/v1/feed?municipality=Kalmthout&from=2026-12-14&to=2026-12-20")
    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    for name in ("stek_http_requests", "stek_http_request_duration_seconds",
                 "stek_feed_cache_hits", "stek_feed_cache_misses", "stek_signals_accepted",
                 "stek_signals_replayed", "stek_signals_refused_privacy", "stek_rate_limited",
                 "stek_db_pool_busy", "stek_db_pool_idle", "stek_db_pool_waiting"):
        assert name in families, name
    health = [s for s in families["stek_http_requests"].samples
              if s.labels.get("route") == "/healthz" and s.labels.get("status") == "200"]
    assert health and health[0].value >= 1
    hits = [s.value for s in families["stek_feed_cache_hits"].samples if s.name.endswith("_total")]
    assert hits and hits[0] >= 1
    buckets = [s for s in families["stek_http_request_duration_seconds"].samples
               if s.name.endswith("_bucket") and s.labels.get("route") == "/healthz"]
    assert [b.labels["le"] for b in buckets][-1] == "+Inf"
    assert all(a.value <= b.value for a, b in zip(buckets, buckets[1:]))


def test_a_body_sent_byte_by_byte_gives_the_same_answer(daemon, admin_token):
    import time

    body = b'{"name": "Byte voor byte", "kind": 7, "colour": "red"}'
    head = (b"POST /v1/partners HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + admin_token.encode() + b"\r\nX-Request-Id: same\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    status_one, one = raw(daemon, head + body)
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head)
        for i in range(len(body)):
            s.sendall(body[i:i + 1])
            time.sleep(0.002)
        chunks = b""
        while b"\r\n\r\n" not in chunks or not chunks.rstrip().endswith(b"}"):
            part = s.recv(65536)
            if not part:
                break
            chunks += part
    text = chunks.decode()
    assert status_one == 422 and text.startswith("HTTP/1.1 422")
    assert one.split("\r\n\r\n", 1)[1] == text.split("\r\n\r\n", 1)[1]


def test_error_bodies_show_no_internals(api, admin_token):
    for r in (api.get("/v1/partners/" + "f" * 36), api.get("/v1/feed?from=x"),
              api.post("/v1/partners", data=b"{", token=admin_token,
                       headers={"Content-Type": "application/json"}),
              api.post("/v1/partners", json={"name": "x" * 300, "kind": "k"}, token=admin_token)):
        low = r.text.lower()
        for leak in ("select ", "insert ", "sqlstate", "postgres", "libpq", ".c:", "stack"):
            assert leak not in low, (r.status_code, r.text)
