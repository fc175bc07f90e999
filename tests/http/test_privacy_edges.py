"""Personal data outside the texts (issue 11, part 4): request ids, the access log, /metrics."""
import datetime as dt
import json
import uuid

import requests

from conftest import Daemon, assert_clean_exit, unique


def test_request_id_is_a_short_opaque_token(api, daemon):
    for bad in ("jan.peeters@gmail.com", "Jan Peeters", "0475:12:34:56", "x" * 65, "a/b"):
        r = api.get("/healthz", headers={"X-Request-Id": bad})
        assert r.headers["X-Request-Id"] != bad and len(r.headers["X-Request-Id"]) == 32
    for good in ("abc-123", "A.b_c-9", "x" * 64):
        assert api.get("/healthz", headers={"X-Request-Id": good}).headers["X-Request-Id"] == good
    assert "jan.peeters@gmail.com" not in daemon.log_path.read_text()


def test_handoff_codes_never_reach_the_access_log(admin, daemon):
    p = admin.post("/v1/partners", json={"name": unique("Log partner"), "kind": "welfare"}).json()
    key = admin.post("/v1/keys", json={"name": "app", "role": "partner",
                                       "partner_id": p["id"]}).json()["token"]
    partner = admin.as_key(key)
    site = admin.post("/v1/sites", json={"name": unique("Log site"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()["id"]
    other = admin.post("/v1/partners", json={"name": unique("Referred"), "kind": "welfare"}).json()
    s = partner.post("/v1/signals", json={"kind": "referral", "theme": "energy", "site_id": site,
                                          "occurred_on": dt.date.today().isoformat(),
                                          "referred_to_partner_id": other["id"]},
                     headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    code = s["handoff_code"]
    partner.get("/v1/handoffs/" + code)        # 404 for this partner, still logged
    partner.post("/v1/handoffs/" + code)
    partner.delete("/v1/handoffs/" + code)     # 405: no route, redacted too
    requests.get(f"{daemon.base}/v1/handoffs/{code}/extra")  # no route at all
    lines = [json.loads(l) for l in daemon.log_path.read_text().splitlines() if l.startswith("{")]
    handoffs = [l for l in lines if l.get("msg") == "request" and "handoffs" in l.get("path", "")]
    assert len(handoffs) >= 4
    assert {l["path"] for l in handoffs} <= {"/v1/handoffs/{code}", "/v1/handoffs/..."}
    assert code not in daemon.log_path.read_text()


def test_metrics_only_for_configured_addresses(db_url, tmp_path, api):
    # The default allows loopback (the test client), unless a request came through a proxy
    # that is not trusted to name the client.
    assert api.get("/metrics").status_code == 200
    r = api.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 403 and "STEK_METRICS_ALLOW" in r.json()["detail"]
    d = Daemon(db_url, tmp_path, STEK_METRICS_ALLOW="10.0.0.0/8,192.0.2.1")
    try:
        r = requests.get(d.base + "/metrics", timeout=10)
        assert r.status_code == 403 and r.headers["Content-Type"].startswith(
            "application/problem+json")
        assert requests.get(d.base + "/healthz", timeout=10).status_code == 200
    finally:
        assert_clean_exit(*d.stop())
    # Behind a trusted proxy, the forwarded client decides.
    d = Daemon(db_url, tmp_path, STEK_TRUSTED_PROXIES="127.0.0.1", STEK_METRICS_ALLOW="10.1.2.0/24")
    try:
        assert requests.get(d.base + "/metrics", timeout=10,
                            headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
        assert requests.get(d.base + "/metrics", timeout=10,
                            headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 403
    finally:
        assert_clean_exit(*d.stop())


def test_a_bad_metrics_allow_list_refuses_to_start(db_url):
    import os
    import subprocess
    from conftest import BUILD
    env = dict(os.environ, DATABASE_URL=db_url, STEK_METRICS_ALLOW="everyone")
    out = subprocess.run([str(BUILD / "stekd")], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2 and "STEK_METRICS_ALLOW" in out.stderr
