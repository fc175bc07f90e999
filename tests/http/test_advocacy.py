"""The advocacy view's API (issue 20): the lifecycle of barriers and with whom they were raised,
as protected statistics, and the answers an admin marked public, without notes or counts."""
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from conftest import psql, unique

TODAY = dt.datetime.now(ZoneInfo("Europe/Brussels")).date()
LAST = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=2)


def setup_town(admin):
    town = unique("Pleitdorp")
    p = admin.post("/v1/partners", json={"name": unique("Pleit"), "kind": "welfare"}).json()
    key = admin.as_key(admin.post("/v1/keys", json={"name": "a", "role": "partner",
                                                     "partner_id": p["id"]}).json()["token"])
    site = admin.post("/v1/sites", json={"name": unique("Pleit"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": town}}).json()["id"]
    items = [{"kind": "barrier", "theme": "energy", "site_id": site,
              "occurred_on": LAST.isoformat(), "note": "Kan geen premie online aanvragen.",
              "idempotency_key": uuid.uuid4().hex} for _ in range(9)]
    items += [{"kind": "referral", "theme": "energy", "site_id": site,
               "occurred_on": LAST.isoformat(), "idempotency_key": uuid.uuid4().hex}
              for _ in range(6)]
    made = key.post("/v1/signals/batch", json={"signals": items})
    assert made.status_code == 201, made.text
    ids = [s["id"] for s in made.json()["items"] if s["kind"] == "barrier"]
    return town, ids


def test_lifecycle_and_raised_with_are_protected_statistics(admin, api):
    town, ids = setup_town(admin)
    for sid in ids[:6]:
        assert admin.patch(f"/v1/signals/{sid}", json={
            "status": "raised", "raised_with": "Gemeenteraad"}).status_code == 200
    q = {"municipality": town, "kind": "barrier", "group_by": "status"}
    rows = api.get("/v1/stats/signals", params=q).json()["rows"]
    by = {r["status"]: r for r in rows}
    assert by["raised"]["count"] == 6 and by["new"]["count"] is None  # 3 new: below k
    raised = api.get("/v1/stats/signals", params=dict(q, group_by="raised_with")).json()["rows"]
    assert {r["raised_with"]: r["count"] for r in raised}["Gemeenteraad"] == 6
    # Referrals have no status: a kind=referral query by status has one row, status null.
    ref = api.get("/v1/stats/signals", params={"municipality": town, "kind": "referral",
                                               "group_by": "status"}).json()["rows"]
    assert ref == [{"status": None, "count": 6}]
    assert api.get("/v1/stats/signals", params={"kind": "gossip"}).status_code == 400
    # The totals are the same whatever the grouping: the same finest cells underneath.
    totals = {g: api.get("/v1/stats/signals", params={"municipality": town, "group_by": g})
              .json()["total"]["count"] for g in ("theme", "status", "raised_with", "kind")}
    assert len(set(totals.values())) == 1, totals


def test_public_answers_are_listed_by_theme_and_month_only(admin, api, db_url):
    town, ids = setup_town(admin)
    answer = "Er komt een loket zonder afspraak op donderdag."
    for sid in ids[:2]:
        assert admin.patch(f"/v1/signals/{sid}", json={
            "status": "answered", "answer": answer}).status_code == 200
    r = admin.patch(f"/v1/signals/{ids[0]}", json={"answer_public": True})
    assert r.status_code == 200 and r.json()["answer_public"] is True
    assert admin.patch(f"/v1/signals/{ids[1]}", json={"answer_public": True}).status_code == 200
    # An unanswered barrier cannot be made public; a PATCH needs something to change.
    r = admin.patch(f"/v1/signals/{ids[5]}", json={"answer_public": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer_public"
    assert admin.patch(f"/v1/signals/{ids[5]}", json={}).status_code == 422
    items = api.get("/v1/stats/answers", params={"municipality": town}).json()["items"]
    # The same answer to two signals is one line: no count, no signal, no note, no site.
    assert items == [{"theme": "energy", "answer": answer,
                      "answered_in": TODAY.strftime("%Y-%m")}]
    assert api.get("/v1/stats/answers", params={"municipality": town,
                                                "theme": "housing"}).json()["items"] == []
    assert admin.patch(f"/v1/signals/{ids[0]}", json={"answer_public": False}).status_code == 200
    assert admin.patch(f"/v1/signals/{ids[1]}", json={"answer_public": False}).status_code == 200
    assert api.get("/v1/stats/answers", params={"municipality": town}).json()["items"] == []
    assert api.get("/v1/stats/answers", params={"limit": "0"}).status_code == 400
    assert psql(db_url, "SELECT count(*) FROM signals WHERE answer_public") == "0"
