"""Public lists and statistics kept in the response cache (issue 14).

An anonymous GET of a public list (offers, sites, partners, themes) or of the statistics is
computed once per query, language and data generation and then answered from memory, with a
strong ETag (304 for If-None-Match) and `Cache-Control: public, no-cache`. A write shows at
once; an authenticated request, or one that carries Stek-Read-After, is always computed.
"""
import datetime as dt
import uuid

from conftest import metric, unique


def counts(daemon):
    return (metric(daemon, "stek_public_cache_hits_total"),
            metric(daemon, "stek_public_cache_misses_total"))


def new_site(admin, town):
    r = admin.post("/v1/sites", json={"name": unique("Ontmoetingsplek"), "address": {
        "street": "Markt 1", "postal_code": "9000", "municipality": town}})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_repeated_public_list_comes_from_memory_with_its_etag(api, admin, daemon):
    town = unique("Cachegem")
    site = new_site(admin, town)
    path = f"/v1/sites?municipality={town}"
    h0, m0 = counts(daemon)
    first = api.get(path)
    assert first.status_code == 200, first.text
    assert [s["id"] for s in first.json()["items"]] == [site["id"]]
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    second = api.get(path)
    assert second.status_code == 200
    assert second.content == first.content and second.headers["ETag"] == etag
    h1, m1 = counts(daemon)
    assert (h1 - h0, m1 - m0) == (1, 1)
    # A client that holds the answer gets 304, without a body.
    again = api.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag


def test_a_write_shows_in_the_next_answer(api, admin, daemon):
    town = unique("Schrijfgem")
    site = new_site(admin, town)
    path = f"/v1/sites?municipality={town}"
    before = api.get(path)
    assert api.get(path).headers["ETag"] == before.headers["ETag"]  # cached
    name = unique("Nieuwe naam")
    r = admin.patch(f"/v1/sites/{site['id']}", json={"name": name})
    assert r.status_code == 200, r.text
    after = api.get(path)
    assert after.json()["items"][0]["name"] == name
    assert after.headers["ETag"] != before.headers["ETag"]
    # A second site in the town: the list has both at once.
    other = new_site(admin, town)
    ids = {s["id"] for s in api.get(path).json()["items"]}
    assert ids == {site["id"], other["id"]}
    # The old tag is no longer current.
    assert api.get(path, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


def test_authenticated_and_read_after_requests_are_always_computed(api, admin, daemon):
    town = unique("Sleutelgem")
    new_site(admin, town)
    path = f"/v1/sites?municipality={town}"
    api.get(path)  # kept
    h0, m0 = counts(daemon)
    assert admin.get(path).status_code == 200
    assert api.get(path, headers={"Stek-Read-After": "0/1"}).status_code == 200
    assert counts(daemon) == (h0, m0)  # neither looked at the cache
    # Computed for the key, not the kept public answer: validators of its own (issue 30), and
    # private to the key's holder.
    assert admin.get(path).headers["Cache-Control"] == "private, no-cache"


def test_each_language_and_query_is_its_own_answer(api, admin, daemon):
    town = unique("Taalgem")
    r = admin.post("/v1/sites", json={
        "name": {"nl": "De Plek", "fr": "La Place"}, "main_language": "nl",
        "address": {"street": "Markt 1", "postal_code": "1000", "municipality": town}})
    assert r.status_code == 201, r.text
    path = f"/v1/sites?municipality={town}"
    nl = api.get(path, headers={"Accept-Language": "nl"})
    fr = api.get(path, headers={"Accept-Language": "fr"})
    assert nl.json()["items"][0]["name"] == "De Plek"
    assert fr.json()["items"][0]["name"] == "La Place"
    assert fr.headers["Content-Language"] == "fr" and nl.headers["Content-Language"] == "nl"
    assert api.get(path, headers={"Accept-Language": "fr"}).json()["items"][0]["name"] == \
        "La Place"
    assert "Accept-Language" in fr.headers["Vary"]
    # The same parameters with another value are another query.
    assert api.get(f"/v1/sites?municipality={unique('Elders')}").json()["items"] == []


def test_a_theme_or_a_signal_moves_the_statistics_on(api, admin, daemon):
    code = "t" + uuid.uuid4().hex[:8]
    assert code not in [t["code"] for t in api.get("/v1/themes?limit=100").json()["items"]]
    api.get("/v1/themes?limit=100")  # kept
    r = admin.post("/v1/themes", json={"code": code, "label_nl": "Proef", "label_fr": "Essai",
                                       "label_en": "Trial"})
    assert r.status_code == 201, r.text
    assert code in [t["code"] for t in api.get("/v1/themes?limit=100").json()["items"]]
    # Statistics: the same query twice is one computation; after a signal, computed again.
    p = admin.post("/v1/partners", json={"name": unique("Stats partner"), "kind": "welfare"})
    k = admin.post("/v1/keys", json={"name": "app", "role": "partner",
                                     "partner_id": p.json()["id"]}).json()
    town = unique("Statgem")
    site = new_site(admin, town)
    path = f"/v1/stats/signals?municipality={town}"
    api.get(path)
    h0, m0 = counts(daemon)
    api.get(path)
    h1, m1 = counts(daemon)
    assert (h1 - h0, m1 - m0) == (1, 0)
    r = api.as_key(k["token"]).post("/v1/signals", json={
        "kind": "barrier", "theme": "mobility", "site_id": site["id"],
        "occurred_on": dt.date.today().isoformat()},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    api.get(path)
    h2, m2 = counts(daemon)
    assert (h2 - h1, m2 - m1) == (0, 1)


def test_a_write_elsewhere_leaves_a_municipality_cached_and_one_there_drops_it(api, admin,
                                                                               daemon):
    """Issue 29: a cached answer for one municipality (feed or public list) follows the changes
    of that municipality only; a change of a site or partner, shown anywhere, drops them all."""
    here, there = unique("Hiergem"), unique("Daargem")
    site_here, site_there = new_site(admin, here), new_site(admin, there)
    partner = admin.post("/v1/partners", json={"name": unique("Buurtwerk"),
                                               "kind": "volunteers"}).json()

    def offer(site):
        r = admin.post("/v1/offers", json={
            "title": unique("Koffie"), "site_id": site["id"], "partner_id": partner["id"],
            "functions": ["meeting"], "schedules": [{
                "dtstart": dt.date.today().isoformat(), "start_time": "13:00",
                "end_time": "16:00", "rrule": "FREQ=DAILY"}]})
        assert r.status_code == 201, r.text
        return r.json()

    mine, other = offer(site_here), offer(site_there)
    paths = [f"/v1/offers?municipality={here}", f"/v1/feed?municipality={here}"]

    def hits():
        return (metric(daemon, "stek_public_cache_hits_total")
                + metric(daemon, "stek_feed_cache_hits_total"))

    def cached(path):
        """Whether the next answer to path comes from the cache (and what it says)."""
        h0 = hits()
        r = api.get(path)
        assert r.status_code == 200, r.text
        return hits() > h0, r.json()

    for p in paths:
        cached(p)  # computed and kept
        assert cached(p)[0], f"{p} is kept"
    # An offer in the other municipality changes: this one's answers stay cached.
    assert admin.patch(f"/v1/offers/{other['id']}",
                       json={"description": "Elders gewijzigd"}).status_code == 200
    for p in paths:
        hit, body = cached(p)
        assert hit, f"{p} was dropped by a write in another municipality"
    # An offer here changes: both are computed again, and show it.
    assert admin.patch(f"/v1/offers/{mine['id']}",
                       json={"title": "Koffie en babbel hier"}).status_code == 200
    for p in paths:
        hit, body = cached(p)
        assert not hit, f"{p} still came from the cache after a write in its municipality"
        assert "Koffie en babbel hier" in str(body)
    # An offer elsewhere moves one occurrence here: this municipality's feed shows it.
    feed = api.get(f"/v1/feed?municipality={there}").json()["items"]
    date = feed[1]["start"][:10]
    assert cached(paths[1])[0]
    r = admin.post(f"/v1/offers/{other['id']}/exceptions", json={
        "date": date, "status": "moved", "site_id": site_here["id"]})
    assert r.status_code == 201, r.text
    hit, body = cached(paths[1])
    assert not hit and other["id"] in [i["offer_id"] for i in body["items"]]
    # The partner is renamed: it is shown everywhere, so every answer is computed again.
    for p in paths:
        cached(p)
    assert admin.patch(f"/v1/partners/{partner['id']}",
                       json={"name": "Buurtwerk hernoemd"}).status_code == 200
    for p in paths:
        hit, body = cached(p)
        assert not hit, f"{p} came from the cache after its partner was renamed"
    assert "Buurtwerk hernoemd" in str(cached(paths[1])[1])
    # An archived offer is not in the model, so its places are unknown: a change to it drops
    # the answers everywhere (here: the list of this municipality's archived offers).
    assert admin.patch(f"/v1/offers/{mine['id']}", json={"active": False}).status_code == 200
    archived = f"/v1/offers?municipality={here}&active=false"
    cached(archived)
    assert cached(archived)[0]
    assert admin.patch(f"/v1/offers/{mine['id']}",
                       json={"description": "Gearchiveerd en gewijzigd"}).status_code == 200
    hit, body = cached(archived)
    assert not hit and "Gearchiveerd en gewijzigd" in str(body)
