"""Query parameters: one validator for every list, every problem in one 400."""
import subprocess
import os

import pytest

from conftest import BUILD, Daemon, assert_clean_exit, unique

BAD_ID = "not-a-uuid"

# Each list with two or more wrong parameters; all of them are named at once.
CASES = [
    ("/v1/offers", {"limit": "0", "site": BAD_ID, "free": "maybe", "function": "eat"},
     {"limit", "site", "free", "function"}),
    ("/v1/sites", {"limit": "501", "model": "castle", "radius_km": "5", "active": "1"},
     {"limit", "model", "radius_km", "active"}),
    ("/v1/partners", {"active": "yes", "cursor": "nonsense"}, {"active", "cursor"}),
    ("/v1/feed", {"from": "2026-02-30", "partner": BAD_ID, "near": "north", "colour": "red"},
     {"from", "partner", "near", "colour"}),
    ("/v1/feed.ics", {"to": "tomorrow", "category": "", "q": "x" * 201}, {"to", "category", "q"}),
    ("/v1/stats/signals", {"group_by": "theme,age", "kind": "wish", "site": BAD_ID},
     {"group_by", "kind", "site"}),
    ("/v1/stats/answers", {"from": "yesterday", "theme": "", "limit": "-1"},
     {"from", "theme", "limit"}),
    ("/print/month", {"month": "2026-13", "lang": "xx", "site": BAD_ID}, {"month", "lang", "site"}),
]


@pytest.mark.parametrize("path,params,fields", CASES, ids=[c[0] for c in CASES])
def test_a_query_with_several_errors_names_every_one(api, path, params, fields):
    r = api.get(path, params=params)
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert {e["field"] for e in body["errors"]} == fields
    for e in body["errors"]:
        assert e["message"] and e["field"] in body["detail"]


def test_admin_lists_name_every_error_too(admin):
    r = admin.get("/v1/audit", params={"key_id": BAD_ID, "entity": "Partner!", "limit": "x"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"key_id", "entity", "limit"}
    r = admin.get("/v1/signals", params={"from": "2026-1-1", "status": "done", "site": BAD_ID})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"from", "status", "site"}


def test_the_window_checks_come_with_the_others(api):
    r = api.get("/v1/feed", params={"from": "2026-12-10", "to": "2026-12-01", "limit": "0"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["errors"]} == {"to", "limit"}
    r = api.get("/v1/feed", params={"from": "2026-01-01", "to": "2027-06-01"})
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "to", "message": "must be at most 366 days after from"}]


def test_a_valid_query_still_answers(api):
    assert api.get("/v1/offers", params={"limit": "5", "free": "true"}).status_code == 200
    assert api.get("/v1/sites", params={"near": "51.37,4.46", "radius_km": "25"}).status_code == 200


def test_the_service_timezone_is_configured(db_url, tmp_path, admin_token, spec):
    """STEK_TIMEZONE: the service's today and a new site's default timezone."""
    from conftest import Api
    d = Daemon(db_url, tmp_path, STEK_TIMEZONE="Europe/Amsterdam")
    try:
        admin = Api(d.base, spec, admin_token)
        body = {"name": unique("Stuyfplek"), "model": "stuyfplek",
                "address": {"street": "Dorpsstraat 2", "postal_code": "4611",
                            "municipality": "Bergen op Zoom", "country": "NL"}}
        r = admin.post("/v1/sites", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["timezone"] == "Europe/Amsterdam"
        # A site may still say otherwise.
        body["name"] = unique("Stuyfplek")
        body["timezone"] = "Europe/Brussels"
        assert admin.post("/v1/sites", json=body).json()["timezone"] == "Europe/Brussels"
    finally:
        code, log = d.stop()
    assert_clean_exit(code, log)
    out = subprocess.run([str(BUILD / "stekd")], capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, DATABASE_URL=db_url, STEK_TIMEZONE="Brussels"))
    assert out.returncode == 2 and "STEK_TIMEZONE" in out.stderr
