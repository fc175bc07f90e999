"""Many offers at once (issue 33, part 2): a spreadsheet or JSON lines, checked row by row as one
offer is, in a dry run that writes nothing, then all or nothing."""
import json
import types

import pytest

from conftest import Api, Daemon, assert_clean_exit, psql, unique

HEADER = "title;site;partner;functions;categories;dtstart;rrule;start_time;end_time;free;registration"


@pytest.fixture
def w(own_db, tmp_path, spec):
    d = Daemon(own_db.url, tmp_path, STEK_WRITES_PER_MINUTE=0)
    admin = Api(d.base, spec, own_db.token)
    p = admin.post("/v1/partners", json={"name": unique("SAAMO"), "kind": "welfare"}).json()
    q = admin.post("/v1/partners", json={"name": unique("Ander"), "kind": "welfare"}).json()
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner", "partner_id": p["id"]})
    site = admin.post("/v1/sites", json={"name": unique("Kantine"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    yield types.SimpleNamespace(url=own_db.url, admin=admin, p=p, q=q, site=site,
                                partner=admin.as_key(k.json()["token"]))
    assert_clean_exit(*d.stop())


def upload(api, text, dry=False, ctype="text/csv; charset=utf-8"):
    return api.post("/v1/imports/offers" + ("?dry_run=true" if dry else ""), data=text.encode(),
                    headers={"Content-Type": ctype})


def offers(w):
    return int(psql(w.url, "SELECT count(*) FROM offers"))


def test_a_spreadsheet_in_words_is_checked_then_made_whole(w):
    s, p = w.site["name"], w.p["name"]
    rows = [
        f'"Koffie & Formulieren";{s};{p};meeting|referral;forms_and_bills;2026-12-01;elke dinsdag;13:00;16:00;ja;none',
        f"Repair café;{s};{p};meeting;;2026-12-02;eerste woensdag van de maand;14:00;17:00;;",
        f"Taalcafé;{w.site['id']};{w.p['id']};learning;;2026-12-07;every other Monday;19:00;20:30;no;required",
        f"Atelier;{s};{p};meeting;;2026-12-04;dernier vendredi du mois;10:00;12:00;oui;",
        f"Spielenachmittag;{s};{p};meeting;;2026-12-05;jeden Samstag und Sonntag;15:00;17:00;;",
        f"Kerstfeest;{s};{p};meeting;;2026-12-20;eenmalig;18:00;21:00;;",
        f"Wandeling;{s};{p};meeting;;2026-12-06;FREQ=WEEKLY;BYDAY=SU;10:00;11:00;;",
    ]
    # The last row's RRULE holds semicolons: quoted, as a spreadsheet writes it.
    rows[-1] = rows[-1].replace("FREQ=WEEKLY;BYDAY=SU", '"FREQ=WEEKLY;BYDAY=SU"')
    text = "\ufeff" + HEADER + "\r\n" + "\r\n".join(rows) + "\r\n"
    before = offers(w)
    r = upload(w.partner, text, dry=True)
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 7, "errors": []}
    assert offers(w) == before  # a dry run writes nothing
    r = upload(w.partner, text)
    assert r.status_code == 201 and r.json()["created"] == 7, r.text
    made = [w.admin.get(f"/v1/offers/{i}").json() for i in r.json()["ids"]]
    rules = [o["schedules"][0]["rrule"] for o in made]
    assert rules == ["FREQ=WEEKLY;BYDAY=TU", "FREQ=MONTHLY;BYDAY=1WE",
                     "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "FREQ=MONTHLY;BYDAY=-1FR",
                     "FREQ=WEEKLY;BYDAY=SA,SU", None, "FREQ=WEEKLY;BYDAY=SU"]
    assert made[0]["title"] == "Koffie & Formulieren" and made[0]["free"] is True
    assert made[0]["functions"] == ["meeting", "referral"] and made[1]["free"] is None
    assert made[2]["registration"] == "required" and made[3]["free"] is True
    assert all(o["partner_id"] == w.p["id"] and o["site_id"] == w.site["id"] for o in made)
    assert offers(w) == before + 7


def test_every_problem_is_named_by_row_and_column_and_nothing_is_made(w):
    s, p = w.site["name"], w.p["name"]
    text = "\n".join([
        "title,site,partner,functions,dtstart,rrule,start_time,end_time,free,colour",
        f"Goed,{s},{p},meeting,2026-12-01,elke dinsdag,13:00,16:00,,",
        f"Onbekende plek,Nergens,{p},meeting,2026-12-01,,13:00,16:00,,",
        f"Te laat,{s},{p},meeting,2026-12-01,elke dinsdag,16:00,13:00,,",
        f"Onduidelijk,{s},{p},meeting,2026-12-01,soms eens,13:00,16:00,misschien,",
        f",{s},{p},dancing,2026-12-01,,13:00,16:00,,",
        f"Andermans,{s},{w.q['name']},meeting,2026-12-01,,13:00,16:00,,",
    ]) + "\n"
    before = offers(w)
    r = upload(w.partner, text, dry=True)
    assert r.status_code == 200, r.text
    got = {(e["row"], e["column"]) for e in r.json()["errors"]}
    assert got >= {(0, "colour"), (2, "site"), (3, "end_time"), (4, "rrule"), (4, "free"),
                   (5, "title"), (5, "functions"), (6, "partner")}, r.json()
    assert not {e for e in got if e[0] == 1}, "the good row has no problem"
    r = upload(w.partner, text)
    assert r.status_code == 422, r.text
    assert {(e["row"], e["column"]) for e in r.json()["errors"]} == got
    assert r.json()["errors"][0]["field"].startswith("row ")
    assert offers(w) == before


def test_json_lines_and_a_thousand_rows(w):
    lines = [json.dumps({"title": f"Activiteit {i}", "site": w.site["id"], "partner": w.p["id"],
                         "functions": ["meeting"], "dtstart": "2026-12-01",
                         "rrule": "every Thursday", "start_time": "10:00", "end_time": "11:00",
                         "free": i % 2 == 0})
             for i in range(1000)]
    r = upload(w.admin, "\n".join(lines) + "\n", dry=True, ctype="application/x-ndjson")
    assert r.status_code == 200 and r.json() == {"rows": 1000, "errors": []}, r.text[:300]
    r = upload(w.admin, "\n".join(lines[:3]), ctype="application/x-ndjson")
    assert r.status_code == 201 and r.json()["created"] == 3, r.text
    assert upload(w.admin, "x", ctype="application/json").status_code == 415
    assert upload(w.admin, "").status_code == 422
