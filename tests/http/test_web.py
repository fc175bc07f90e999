"""The public page and the widget, as files: types, caching, compression, size, privacy."""
import gzip
import re

import requests


def test_page_links_versioned_assets_that_are_cached_for_a_year(api):
    r = api.get("/")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"].startswith('"')
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "Set-Cookie" not in r.headers
    links = re.findall(r'(?:src|href)="(/assets/[^"]+)"', r.text)
    assert sorted(re.sub(r"\.[0-9a-f]{12}\.", ".", p) for p in links) == [
        "/assets/page.css", "/assets/page.js", "/assets/widget.js"]
    for path in links:
        a = api.get(path)
        assert a.status_code == 200, path
        assert a.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        want = "text/css" if path.endswith(".css") else "text/javascript"
        assert a.headers["Content-Type"] == want + "; charset=utf-8"
    widget = next(p for p in links if "/widget." in p)
    assert api.get(widget).content == api.get("/widget.js").content


def test_widget_is_small_revalidated_and_conditional(api, daemon):
    r = requests.get(daemon.base + "/widget.js", headers={"Accept-Encoding": "gzip"},
                     stream=True, timeout=5)
    raw = r.raw.read()
    assert r.headers["Content-Encoding"] == "gzip" and r.headers["Vary"] == "Accept-Encoding"
    assert len(raw) < 15 * 1024, len(raw)
    plain = api.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert gzip.decompress(raw) == plain.content
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    assert "Content-Encoding" not in plain.headers
    assert r.headers["ETag"] != plain.headers["ETag"]  # one per encoding
    again = api.get("/widget.js", headers={"If-None-Match": plain.headers["ETag"],
                                           "Accept-Encoding": "identity"})
    assert again.status_code == 304 and again.content == b""
    # No cookies, no storage, no other hosts: the widget talks only to its own API.
    text = plain.text
    # (schema.org's vocabulary names the JSON-LD's types: identifiers, never fetched; the
    # browser test sees no request to another host)
    code = text.split("*/", 1)[1].replace('VOCAB = "https://schema.org"', "")
    for banned in ("document.cookie", "localStorage", "sessionStorage", "http://", "https://"):
        assert banned not in code, banned


def test_unknown_assets_are_404_and_other_methods_405(api):
    r = api.get("/assets/widget.000000000000.js")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    assert api.post("/widget.js", json={}).status_code == 405
    head = api.request("HEAD", "/")
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"]
