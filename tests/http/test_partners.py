"""/v1/partners: validation, conflicts, ETag/If-Match, merge patch, archiving, paging, audit."""
from conftest import psql, unique


def create(admin, **fields):
    body = {"name": unique("Partner"), "kind": "welfare", **fields}
    r = admin.post("/v1/partners", json=body)
    assert r.status_code == 201, r.text
    return r


def count(db_url):
    return int(psql(db_url, "SELECT count(*) FROM partners"))


def test_create_read_and_row_in_database(admin, api, db_url):
    r = create(admin, description="Koffie & Formulieren\nelke donderdag", website="https://caw.be",
               email="info@caw.be", phone="+32 3 123 45 67")
    p = r.json()
    assert r.headers["Location"] == "/v1/partners/" + p["id"]
    assert p["active"] is True and p["created_at"].endswith("Z")
    got = api.get("/v1/partners/" + p["id"])
    assert got.status_code == 200 and got.json() == p
    assert got.headers["ETag"] == r.headers["ETag"]
    row = psql(db_url, "SELECT name, email, active FROM partners WHERE id = :'p1'", p["id"])
    assert row == f"{p['name']}|info@caw.be|t"


def test_every_bad_field_is_reported_and_nothing_is_stored(admin, db_url):
    before = count(db_url)
    r = admin.post("/v1/partners", json={"kind": 7, "email": "nope", "website": "ftp://x",
                                         "phone": "call me", "active": "yes", "id": "x",
                                         "colour": "red", "description": "a\u0001b"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"name", "kind", "email", "website", "phone", "active", "id", "colour",
                      "description"}
    assert count(db_url) == before


def test_duplicate_name_is_409_in_any_case(admin):
    name = unique("Gezinsbond")
    create(admin, name=name)
    r = admin.post("/v1/partners", json={"name": name.upper(), "kind": "family"})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "name"


def test_get_unknown_or_malformed_id_is_404(api):
    assert api.get("/v1/partners/8f0e6a4c-0001-4a00-8000-0000000000ff").status_code == 404
    assert api.get("/v1/partners/42").status_code == 404


def test_if_none_match_gives_304(api, admin):
    r = create(admin)
    again = api.get("/v1/partners/" + r.json()["id"], headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == r.headers["ETag"]


def test_merge_patch_with_if_match(admin, db_url):
    r = create(admin, phone="03 123 45 67", description="old")
    pid, etag = r.json()["id"], r.headers["ETag"]
    p = admin.patch("/v1/partners/" + pid, json={"description": "new", "phone": None},
                    headers={"If-Match": etag})
    assert p.status_code == 200, p.text
    assert p.json()["description"] == "new" and p.json()["phone"] is None
    assert p.json()["name"] == r.json()["name"]
    assert p.headers["ETag"] != etag
    # A write based on the old version is refused and changes nothing.
    stale = admin.patch("/v1/partners/" + pid, json={"description": "lost update"},
                        headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == p.headers["ETag"]
    assert psql(db_url, "SELECT description FROM partners WHERE id = :'p1'", pid) == "new"
    # application/merge-patch+json is the patch media type.
    mp = admin.patch("/v1/partners/" + pid, data=b'{"kind": "education"}',
                     headers={"Content-Type": "application/merge-patch+json"})
    assert mp.status_code == 200 and mp.json()["kind"] == "education"


def test_patch_validation(admin):
    pid = create(admin).json()["id"]
    r = admin.patch("/v1/partners/" + pid, json={"name": None, "created_at": "2020-01-01T00:00:00Z",
                                                "email": "x"})
    assert r.status_code == 422
    errs = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert "required" in errs["name"] and "read-only" in errs["created_at"] and "email" in errs
    assert admin.patch("/v1/partners/8f0e6a4c-0001-4a00-8000-0000000000ff",
                       json={"kind": "x"}).status_code == 404


def test_archive_and_filter(admin, api):
    pid = create(admin).json()["id"]
    assert admin.patch("/v1/partners/" + pid, json={"active": False}).status_code == 200

    def ids(query):
        out, cursor = [], None
        while True:
            q = query + (f"&cursor={cursor}" if cursor else "")
            page = api.get("/v1/partners?limit=500&" + q).json()
            out += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return out

    assert pid in ids("active=false")
    assert pid not in ids("active=true")
    assert api.get("/v1/partners/" + pid).json()["active"] is False


def test_paging_never_skips_or_repeats(admin, api):
    for _ in range(7):
        create(admin)
    full = api.get("/v1/partners?limit=500").json()
    assert full["next_cursor"] is None
    seen, cursor, pages = [], None, 0
    while True:
        page = api.get("/v1/partners?limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
        assert len(page["items"]) <= 3
        seen += [p["id"] for p in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if not cursor:
            break
    assert seen == [p["id"] for p in full["items"]]
    assert len(set(seen)) == len(seen) and pages >= 3


def test_delete_and_conflicts(admin, api, db_url):
    pid = create(admin).json()["id"]
    key = admin.post("/v1/keys", json={"name": "k", "role": "partner", "partner_id": pid})
    assert key.status_code == 201
    r = admin.delete("/v1/partners/" + pid)
    assert r.status_code == 409 and "archive" in r.json()["detail"]
    other = create(admin)
    oid = other.json()["id"]
    assert admin.delete("/v1/partners/" + oid, headers={"If-Match": '"stale"'}).status_code == 412
    assert admin.delete("/v1/partners/" + oid,
                        headers={"If-Match": other.headers["ETag"]}).status_code == 204
    assert api.get("/v1/partners/" + oid).status_code == 404
    assert admin.delete("/v1/partners/" + oid).status_code == 404
    assert psql(db_url, "SELECT count(*) FROM partners WHERE id = :'p1'", oid) == "0"


def test_every_write_is_audited(admin, admin_token, db_url):
    key_id = psql(db_url, "SELECT id FROM api_keys WHERE token_hash ="
                          " encode(sha256(convert_to(:'p1', 'UTF8')), 'hex')", admin_token)
    pid = create(admin).json()["id"]
    admin.patch("/v1/partners/" + pid, json={"kind": "municipality"})
    admin.delete("/v1/partners/" + pid)
    r = admin.get(f"/v1/audit?entity=partner&entity_id={pid}")
    assert r.status_code == 200
    entries = r.json()["items"]
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert all(e["key_id"] == key_id and e["entity"] == "partner" for e in entries)
    mine = admin.get(f"/v1/audit?key_id={key_id}&limit=2").json()
    assert len(mine["items"]) == 2 and mine["next_cursor"]
    assert admin.get("/v1/audit?key_id=nope").status_code == 400


def test_writes_need_an_admin_key(api):
    assert api.post("/v1/partners", json={"name": "x", "kind": "y"}).status_code == 401
    assert api.patch("/v1/partners/8f0e6a4c-0001-4a00-8000-000000000001",
                     json={"kind": "y"}).status_code == 401
    assert api.delete("/v1/partners/8f0e6a4c-0001-4a00-8000-000000000001").status_code == 401
