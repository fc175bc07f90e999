"""The privacy guard on every stored free text, field by field, on create and on PATCH.

Each text field gets the issue's cancellation note (a name, a mobile number and an e-mail
address), a national register number and an IBAN: each must be refused with 422 naming the
field and the kind found, never echoing the text, and nothing may be stored.
"""
import datetime as dt
import json
import uuid

import pytest

from conftest import psql, unique

NOTE = "Jan Peeters is ziek, bel hem op 0475 12 34 56 of jan.peeters@gmail.com"
PII = [  # (text, kind)
    (NOTE, "email"),
    ("Bel hem op 0475 / 12 34 56", "phone"),
    ("Schrijf naar jan (at) gmail (dot) com", "email"),
    ("Rijksregisternummer 85.07.30-033.28", "national_register_number"),
    ("Storten op BE68 5390 0754 7034", "iban"),
]
SECRETS = ("0475", "jan.peeters", "gmail", "85.07.30", "BE68", "5390")


def refused(r, field, kind):
    assert r.status_code == 422, r.text
    errs = [e for e in r.json()["errors"] if e["field"] == field]
    assert errs, r.json()
    assert errs[0]["personal_data"] == kind, errs
    # Never echoed (the random request id aside, which may hold any four hex digits).
    body = dict(r.json())
    body.pop("request_id", None)
    for secret in SECRETS:
        assert secret not in json.dumps(body, ensure_ascii=False)
    return errs[0]["message"]


@pytest.fixture(scope="module")
def things(daemon, spec, admin_token):
    from conftest import Api
    admin = Api(daemon.base, spec, admin_token)
    partner = admin.post("/v1/partners", json={"name": unique("Guard partner"),
                                               "kind": "welfare"}).json()
    site = admin.post("/v1/sites", json={"name": unique("Guard site"), "address": {
        "street": "Markt 1", "postal_code": "2920", "municipality": "Kalmthout"}}).json()
    offer = admin.post("/v1/offers", json={
        "title": unique("Guard offer"), "site_id": site["id"], "partner_id": partner["id"],
        "functions": ["meeting"], "schedules": [{"dtstart": "2026-01-01",
                                                 "rrule": "FREQ=WEEKLY;BYDAY=TH",
                                                 "start_time": "13:00", "end_time": "15:00"}]})
    assert offer.status_code == 201, offer.text
    return {"admin": admin, "partner": partner, "site": site, "offer": offer.json()}


FIELDS = [  # (collection, field, has its own contact field)
    ("partners", "name", True), ("partners", "description", True),
    ("sites", "name", True), ("sites", "description", True), ("sites", "accessibility", True),
    ("offers", "title", True), ("offers", "description", True), ("offers", "audience", True),
    ("offers", "price_note", True),
]


def create_body(things, collection, field, text):
    if collection == "partners":
        body = {"name": unique("P"), "kind": "welfare"}
    elif collection == "sites":
        body = {"name": unique("S"), "address": {"street": "Markt 1", "postal_code": "2920",
                                                 "municipality": "Kalmthout"}}
    else:
        body = {"title": unique("O"), "site_id": things["site"]["id"],
                "partner_id": things["partner"]["id"], "functions": ["learning"],
                "schedules": [{"dtstart": "2026-03-05", "start_time": "13:00",
                               "end_time": "15:00"}]}
    body[field] = text
    return body


@pytest.mark.parametrize("collection,field,contact", FIELDS)
def test_every_text_field_is_guarded_on_create_and_patch(things, db_url, collection, field,
                                                         contact):
    admin = things["admin"]
    table = collection
    before = psql(db_url, f"SELECT count(*) FROM {table}")
    for text, kind in PII:
        message = refused(admin.post(f"/v1/{collection}",
                                     json=create_body(things, collection, field, text)),
                          field, kind)
        if kind in ("email", "phone") and contact:
            assert f"field {kind}" in message  # says where an organisation's contact goes
        if kind == "national_register_number":
            assert "nowhere" in message
    assert psql(db_url, f"SELECT count(*) FROM {table}") == before
    thing = things[collection[:-1]]
    path = f"/v1/{collection}/{thing['id']}"
    was = admin.get(path).json()
    for text, kind in PII:
        refused(admin.patch(path, json={field: text}), field, kind)
    # Nothing changed, and the organisation's own contact fields take the same data.
    assert admin.get(path).json() == was
    ok = admin.patch(path, json={"email": "info@example.org", "phone": "03 123 45 67"})
    assert ok.status_code == 200, ok.text


def test_the_whole_text_is_read(things, db_url):
    admin = things["admin"]
    path = f"/v1/offers/{things['offer']['id']}"
    long = "Koffie en een babbel, iedereen welkom. " * 100  # 3,900 characters
    assert admin.patch(path, json={"description": long[:3990]}).status_code == 200
    r = admin.patch(path, json={"description": long[:3970] + " 0475123456"})
    refused(r, "description", "phone")
    # 4-byte characters before it: the guard reads characters, not the first 4096 bytes.
    r = admin.patch(path, json={"description": "\U0001F600" * 3900 + " 0475 12 34 56"})
    refused(r, "description", "phone")


def test_exception_notes_are_guarded(things, api):
    admin = things["admin"]
    path = f"/v1/offers/{things['offer']['id']}/exceptions"
    for text, kind in PII:
        refused(admin.post(path, json={"date": "2026-12-17", "status": "cancelled",
                                       "note": text}), "note", kind)
    ok = admin.post(path, json={"date": "2026-12-17", "status": "cancelled",
                                "note": "Zaal bezet, volgende week terug om 13u00 - 15u00."})
    assert ok.status_code == 201, ok.text
    # And the public feed shows the harmless note, never the refused ones.
    feed = api.get(f"/v1/feed?site={things['site']['id']}&from=2026-12-17&to=2026-12-17")
    assert feed.status_code == 200
    notes = [i["note"] for i in feed.json()["items"]]
    assert notes == ["Zaal bezet, volgende week terug om 13u00 - 15u00."]
    ics = api.get(f"/v1/feed.ics?site={things['site']['id']}&from=2026-12-01&to=2026-12-31")
    for secret in SECRETS:
        assert secret not in ics.text


def test_theme_labels_and_signal_texts_are_guarded(things, db_url):
    admin = things["admin"]
    for field in ("label_nl", "label_en"):
        body = {"code": "t_" + uuid.uuid4().hex[:8], "label_nl": "Water", "label_en": "Water"}
        body[field] = NOTE
        refused(admin.post("/v1/themes", json=body), field, "email")
    key = admin.post("/v1/keys", json={"name": "app", "role": "partner",
                                       "partner_id": things["partner"]["id"]}).json()["token"]
    partner = admin.as_key(key)
    today = dt.date.today().isoformat()
    for text, kind in PII:
        r = partner.post("/v1/signals", json={"kind": "barrier", "theme": "energy",
                                               "site_id": things["site"]["id"],
                                               "occurred_on": today, "note": text},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
        refused(r, "note", kind)
    sid = partner.post("/v1/signals", json={"kind": "barrier", "theme": "energy",
                                             "site_id": things["site"]["id"],
                                             "occurred_on": today},
                       headers={"Idempotency-Key": uuid.uuid4().hex}).json()["id"]
    for field in ("raised_with", "answer"):
        status = "raised" if field == "raised_with" else "answered"
        for text, kind in PII:
            refused(admin.patch(f"/v1/signals/{sid}", json={"status": status, field: text}),
                    field, kind)
    assert psql(db_url, "SELECT status FROM signals WHERE id = :'p1'", sid) == "new"


@pytest.mark.parametrize("text", [
    "jan.peeters @ gmail . com", "jan (at) telenet (dot) be", "JAN AT GMAIL DOT COM",
    "jan apenstaartje skynet punt be", "els@café.be", "0475 - 12 34 56", "GSM0475123456",
    "0475\u00a012\u00a034\u00a056", "0475\u201312\u201334\u201356", "０４７５ １２ ３４ ５６",
    "04\u200b75 12 34 56", "0475 12\n34 56", "BE68.5390.0754.7034", "BE 68 5390 0754 7034",
    "539-0075470-34"])
def test_written_forms_reach_the_guard_over_http(things, text):
    r = things["admin"].patch(f"/v1/offers/{things['offer']['id']}",
                              json={"description": "Info: " + text})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "description", text


def test_harmless_texts_pass(things):
    path = f"/v1/offers/{things['offer']['id']}"
    for text in ("Elke donderdag 13u00 - 17u00, koffie vanaf 13h30.",
                 "Fietsbieb: €20 per jaar + €20 waarborg, 3de woensdag van de maand.",
                 "Saldo 1.263,17 euro. Bel gratis 1700 of 1712. Bus 410 - 411.",
                 "Verwezen naar @CAW; app versie 10.4.2; Kerkstraat 12 bus 3, 2990 Wuustwezel."):
        r = things["admin"].patch(path, json={"description": text})
        assert r.status_code == 200, (text, r.text)


def test_scan_texts_reports_stored_personal_data_without_printing_it(fresh_db):
    from conftest import cli, migrate
    assert migrate(fresh_db, "up").returncode == 0
    clean = cli(fresh_db, "scan-texts")
    assert clean.returncode == 0 and clean.stdout == "", clean.stderr
    # Rows written before the guard (or around it, with psql): the command finds them.
    pid = psql(fresh_db, "INSERT INTO partners (name, kind, description) VALUES"
                         " ('CAW', 'welfare', :'p1') RETURNING id", NOTE).splitlines()[0]
    psql(fresh_db, "INSERT INTO partners (name, kind, description) VALUES"
                   " ('SAAMO', 'welfare', 'Elke donderdag 13u00 - 17u00, €20 per jaar.')")
    out = cli(fresh_db, "scan-texts")
    assert out.returncode == 3, out.stderr
    assert out.stdout == f"partner\t{pid}\tdescription\temail\n"
    assert "1 hold personal data" in out.stderr
    for secret in SECRETS:
        assert secret not in out.stdout + out.stderr
    # Every language of a text is scanned too (translations, issue 16).
    sid = psql(fresh_db, "SELECT id FROM partners WHERE name = 'SAAMO'").splitlines()[0]
    psql(fresh_db, "UPDATE partners SET translations = jsonb_build_object('fr',"
                   " jsonb_build_object('description', :'p1')) WHERE name = 'SAAMO'", NOTE)
    out = cli(fresh_db, "scan-texts")
    assert out.returncode == 3, out.stderr
    assert f"partner\t{sid}\tdescription.fr\temail\n" in out.stdout, out.stdout
    for secret in SECRETS:
        assert secret not in out.stdout + out.stderr


def test_a_national_register_number_is_allowed_nowhere(things, db_url):
    admin = things["admin"]
    before = psql(db_url, "SELECT count(*) FROM partners")
    for field, value in (("phone", "85.07.30-033.28"), ("phone", "85073003328"),
                         ("kind", "rrn 85073003328")):
        body = {"name": unique("P"), "kind": "welfare", field: value}
        refused(admin.post("/v1/partners", json=body), field, "national_register_number")
    r = admin.post("/v1/sites", json={"name": unique("S"), "address": {
        "street": "Markt 85.07.30-033.28", "postal_code": "2920", "municipality": "Kalmthout"}})
    refused(r, "address.street", "national_register_number")
    assert psql(db_url, "SELECT count(*) FROM partners") == before
    # An organisation's phone number in its own field is fine.
    ok = admin.post("/v1/partners", json={"name": unique("P"), "kind": "welfare",
                                           "phone": "+32 3 123 45 67"})
    assert ok.status_code == 201, ok.text
