"""The feed's model follows each change (issue 29), and stays equal to a fresh load.

Three daemons on one database of the test's own: one follows changes as they come
(STEK_FEED_MODEL=1, the default: it reads again only the records a change names), one loads
its model whole after every change (STEK_FEED_MODEL=2: a freshly loaded model each time), one
asks PostgreSQL for every query (STEK_FEED_MODEL=0). A long random sequence of writes of
every kind goes through the first; after each write the test waits until every daemon has
heard of it and holds the newest change log entry (no fixed sleeps), then asks each the
same fixed set of feed queries and compares the bodies byte for byte.

The comparison is shown to fail when one kind of change is not applied: a daemon started
with STEK_TEST_MODEL_IGNORE=offer (or site, or partner) drops those changes, and the same
comparison finds the difference after a few writes of that kind.
"""
import datetime
import os
import random

import pytest
import requests

from zoneinfo import ZoneInfo

from conftest import Api, Daemon, assert_clean_exit, cli, metric, migrate, psql, unique, wait_until

SEED = int(os.environ.get("STEK_TEST_SEED", random.randrange(1 << 30)))
STEPS = int(os.environ.get("STEK_TEST_MODEL_STEPS", "150"))


def day(offset):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class World:
    """What the random writer knows of the data it made (ids only: the daemons hold the rest)."""

    def __init__(self, admin, rng, towns):
        self.admin, self.rng, self.towns = admin, rng, towns
        self.sites, self.partners, self.offers = [], [], []
        self.exceptions = {}  # offer id -> dates
        self.closures = {}  # site id -> closure ids
        self.kinds = {}  # what each kind of write did, for the report
        self.writes = 0

    def did(self, kind):
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.writes += 1

    def ok(self, r, *codes):
        assert r.status_code in (codes or (200, 201, 204)), f"{r.request.method} " \
            f"{r.request.url}: {r.status_code} {r.text}"
        return r

    # ---- the writes ----

    def new_site(self):
        rng = self.rng
        body = {"name": unique("Ontmoetingsplek"),
                "address": {"street": "Dorpsstraat 1", "postal_code": "2990",
                            "municipality": rng.choice(self.towns)}}
        if rng.random() < 0.7:
            body["location"] = {"lat": round(51.3 + rng.random() / 10, 5),
                                "lon": round(4.5 + rng.random() / 10, 5)}
        if rng.random() < 0.3:
            body["name"] = {"nl": unique("Buurthuis"), "fr": unique("Maison de quartier")}
            body["main_language"] = "nl"
        self.sites.append(self.ok(self.admin.post("/v1/sites", json=body)).json()["id"])
        self.did("create site")

    def new_partner(self):
        body = {"name": unique("Vzw"), "kind": "volunteers"}
        if self.rng.random() < 0.5:
            body["email"] = "info@example.org"
        self.partners.append(self.ok(self.admin.post("/v1/partners", json=body)).json()["id"])
        self.did("create partner")

    def schedule(self):
        rng = self.rng
        start = rng.randrange(-20, 40)
        sc = {"dtstart": day(start), "start_time": f"{rng.randrange(8, 18):02d}:00",
              "end_time": "19:30"}
        shape = rng.random()
        if shape < 0.5:
            sc["rrule"] = "FREQ=WEEKLY;BYDAY=" + BYDAY[
                (datetime.date.today() + datetime.timedelta(days=start)).weekday()]
        elif shape < 0.7:  # the third weekday of its kind in its month
            date = datetime.date.today() + datetime.timedelta(days=start)
            first = date.replace(day=1)
            third = first + datetime.timedelta(days=(date.weekday() - first.weekday()) % 7 + 14)
            sc["dtstart"] = third.isoformat()
            sc["rrule"] = "FREQ=MONTHLY;BYDAY=3" + BYDAY[third.weekday()]
        elif shape < 0.8:
            sc["rrule"] = "FREQ=DAILY;INTERVAL=3"
            sc["until"] = day(start + 30)
        if rng.random() < 0.25:
            sc["site_id"] = rng.choice(self.sites)
        return sc

    def new_offer(self):
        rng = self.rng
        body = {"title": unique(rng.choice(["Koffie & Formulieren", "Fietsbieb", "Repair Café",
                                            "Open Leersalon", "Rap op Stap"])),
                "site_id": rng.choice(self.sites), "partner_id": rng.choice(self.partners),
                "functions": rng.sample(["meeting", "learning", "referral", "advocacy"],
                                        rng.randrange(1, 3)),
                "schedules": [self.schedule() for _ in range(rng.randrange(1, 4))]}
        if rng.random() < 0.4:
            body["free"] = False
            body["price_note"] = "2 euro"
        if rng.random() < 0.3:
            body["categories"] = ["food"]
        if rng.random() < 0.3:
            body["description"] = {"nl": "Een koffie en hulp.", "fr": "Un café et de l'aide."}
            body["main_language"] = "nl"
        self.offers.append(self.ok(self.admin.post("/v1/offers", json=body)).json()["id"])
        self.did("create offer")

    def edit_offer(self):
        rng, o = self.rng, self.rng.choice(self.offers)
        patch = rng.choice([{"title": unique("Nieuwe titel")},
                            {"description": unique("Andere beschrijving")},
                            {"free": rng.random() < 0.5},
                            {"functions": ["learning"]},
                            {"categories": ["digital"]},
                            {"site_id": rng.choice(self.sites)},
                            {"partner_id": rng.choice(self.partners)},
                            {"phone": "03 123 45 67"}])
        self.ok(self.admin.patch(f"/v1/offers/{o}", json=patch))
        self.did("edit offer")

    def translate_offer(self):
        o = self.rng.choice(self.offers)
        self.ok(self.admin.patch(f"/v1/offers/{o}", json={
            "title": {"fr": unique("Atelier"), "en": unique("Workshop")}}))
        self.did("translate offer")

    def reschedule(self):
        rng, o = self.rng, self.rng.choice(self.offers)
        cur = self.ok(self.admin.get(f"/v1/offers/{o}")).json()["schedules"]
        scheds = [{k: v for k, v in s.items() if k != "id"} for s in cur]
        if rng.random() < 0.5 and len(scheds) > 1:
            scheds.reverse()
            self.did("reorder schedules")
        else:
            scheds = [self.schedule() for _ in range(rng.randrange(1, 3))]
            self.did("replace schedules")
        self.ok(self.admin.patch(f"/v1/offers/{o}", json={"schedules": scheds}))

    def toggle(self, path, off, on):
        """Flips a record's "active"; did `off` or `on`."""
        active = self.ok(self.admin.get(path)).json()["active"]
        self.ok(self.admin.patch(path, json={"active": not active}))
        self.did(off if active else on)

    def archive_offer(self):
        self.toggle(f"/v1/offers/{self.rng.choice(self.offers)}", "archive offer", "restore offer")

    def delete_offer(self):
        o = self.rng.choice(self.offers)
        self.ok(self.admin.delete(f"/v1/offers/{o}"))
        self.offers.remove(o)
        self.exceptions.pop(o, None)
        self.did("delete offer")

    def occurrences(self):
        """(offer id, date, status) of the occurrences in the coming weeks, from the feed."""
        r = self.ok(self.admin.get("/v1/feed", params={"from": day(-5), "to": day(50),
                                                        "limit": "500"}))
        return [(i["offer_id"], i["start"][:10], i["status"]) for i in r.json()["items"]]

    def exception(self):
        rng = self.rng
        found = self.occurrences()
        if not found:
            return self.new_offer()
        o, date, status = rng.choice(found)
        if status != "scheduled":  # it has one (or its site is closed that day): take it back
            if self.admin.delete(f"/v1/offers/{o}/exceptions/{date}").status_code == 204:
                self.exceptions.get(o, set()).discard(date)
                self.did("restore occurrence")
            return
        body = {"date": date}
        if rng.random() < 0.5:
            body.update(status="cancelled", note={"nl": "Gesloten", "fr": "Fermé"})
            kind = "cancel occurrence"
        else:
            body.update(status="moved", site_id=rng.choice(self.sites), start_time="10:00",
                        end_time="12:00", note="Elders")
            kind = "move occurrence"
        r = self.admin.post(f"/v1/offers/{o}/exceptions", json=body)
        if r.status_code == 409:  # a closure of the site has that date already
            return
        self.ok(r)
        self.exceptions.setdefault(o, set()).add(date)
        self.did(kind)

    def restore_occurrence(self):
        with_dates = [o for o in self.offers if self.exceptions.get(o)]
        if not with_dates:
            return self.exception()
        o = self.rng.choice(with_dates)
        date = self.rng.choice(sorted(self.exceptions[o]))
        self.ok(self.admin.delete(f"/v1/offers/{o}/exceptions/{date}"))
        self.exceptions[o].discard(date)
        self.did("restore occurrence")

    def close_site(self):
        rng, s = self.rng, self.rng.choice(self.sites)
        if self.closures.get(s) and rng.random() < 0.5:
            cid = self.closures[s].pop()
            self.ok(self.admin.delete(f"/v1/sites/{s}/closures/{cid}"))
            self.did("reopen site")
            return
        start = rng.randrange(-10, 40)
        r = self.admin.post(f"/v1/sites/{s}/closures", json={
            "from": day(start), "to": day(start + rng.randrange(0, 10)), "note": "Verlof"})
        if r.status_code == 422:  # overlaps a closure it has
            return
        self.closures.setdefault(s, []).append(self.ok(r).json()["id"])
        self.did("close site")

    def edit_site(self):
        rng, s = self.rng, self.rng.choice(self.sites)
        patch = rng.choice([{"name": unique("Lokaal")},
                            {"address": {"municipality": rng.choice(self.towns)}},
                            {"location": {"lat": 51.35, "lon": 4.61}},
                            {"location": None},
                            {"name": {"fr": unique("Local")}},
                            {"email": "plek@example.org"}])
        self.ok(self.admin.patch(f"/v1/sites/{s}", json=patch))
        self.did("edit site")

    def toggle_site(self):
        self.toggle(f"/v1/sites/{self.rng.choice(self.sites)}", "close site for good",
                    "reopen site for good")

    def edit_partner(self):
        p = self.rng.choice(self.partners)
        patch = self.rng.choice([{"name": unique("Partner")}, {"phone": "014 11 22 33"},
                                 {"email": None}])
        self.ok(self.admin.patch(f"/v1/partners/{p}", json=patch))
        self.did("edit partner")

    def step(self):
        rng = self.rng
        if len(self.sites) < 3:
            return self.new_site()
        if len(self.partners) < 2:
            return self.new_partner()
        if len(self.offers) < 4:
            return self.new_offer()
        action = rng.choices(
            [self.new_site, self.new_partner, self.new_offer, self.edit_offer,
             self.translate_offer, self.reschedule, self.archive_offer, self.delete_offer,
             self.exception, self.restore_occurrence, self.close_site, self.edit_site,
             self.toggle_site, self.edit_partner],
            weights=[3, 2, 12, 12, 5, 8, 5, 4, 12, 5, 7, 7, 3, 5])[0]
        action()


def queries(world):
    """The fixed set of queries: every filter the model answers, both formats, two languages."""
    w = {"from": day(-3), "to": day(45), "limit": "500"}
    out = [("/v1/feed", dict(w), None), ("/v1/feed", dict(w), "fr"),
           ("/v1/feed.ics", dict(w), None)]
    for town in world.towns:
        out.append(("/v1/feed", dict(w, municipality=town), None))
    out.append(("/v1/feed.ics", dict(w, municipality=world.towns[0]), "nl"))
    out += [("/v1/feed", dict(w, function="learning"), None),
            ("/v1/feed", dict(w, free="true"), None),
            ("/v1/feed", dict(w, category="food"), None),
            ("/v1/feed", dict(w, q="koffie"), None),
            ("/v1/feed", dict(w, near="51.35,4.55", radius_km="8"), None),
            ("/v1/feed", {"from": day(10), "to": day(12)}, None)]
    if world.sites:
        out.append(("/v1/feed", dict(w, site=world.sites[0]), None))
    if world.partners:
        out.append(("/v1/feed", dict(w, partner=world.partners[0]), None))
    return out


def answers(daemon, qs):
    out = []
    for path, params, lang in qs:
        headers = {"Accept-Language": lang} if lang else {}
        r = requests.get(daemon.base + path, params=params, headers=headers, timeout=30)
        assert r.status_code == 200, f"{path} {params}: {r.status_code} {r.text[:300]}"
        out.append(r.content)
    return out


def differences(world, following, others):
    """The queries on which the following daemon answers otherwise than any other."""
    qs = queries(world)
    mine = answers(following, qs)
    found = []
    for name, d in others.items():
        theirs = answers(d, qs)
        for q, a, b in zip(qs, mine, theirs):
            if a != b:
                found.append(f"{q[0]} {q[1]} {q[2] or ''}: differs from {name}")
    return found


def settle(db_url, daemons, before):
    """Waits until every daemon has heard of the last write and its model holds the newest
    change log entry (the write committed before its answer came)."""
    head = int(psql(db_url, "SELECT coalesce(max(seq), 0) FROM feed_changes") or 0)
    for name, d in daemons.items():
        wait_until(lambda: metric(d, "stek_feed_generation") > before[name],
                   10, f"{name} hears of the write")
        if name != "database":
            wait_until(lambda: metric(d, "stek_feed_model_change_seq") >= head,
                       10, f"{name}'s model holds change {head}")


def generations(daemons):
    return {name: metric(d, "stek_feed_generation") for name, d in daemons.items()}


@pytest.fixture
def three(fresh_db, spec, tmp_path):
    assert migrate(fresh_db, "up").returncode == 0
    token = cli(fresh_db, "create-admin-key", "model changes").stdout.strip()
    env = {"STEK_WRITES_PER_MINUTE": 0}
    daemons = {"following": Daemon(fresh_db, tmp_path, **env)}
    try:
        daemons["fresh load"] = Daemon(fresh_db, tmp_path, STEK_FEED_MODEL=2, **env)
        daemons["database"] = Daemon(fresh_db, tmp_path, STEK_FEED_MODEL=0, **env)
        yield fresh_db, Api(daemons["following"].base, spec, token), daemons
    finally:
        for d in daemons.values():
            assert_clean_exit(*d.stop())


def service_day():
    """The daemons' today (STEK_TIMEZONE, Europe/Brussels): the model loads whole when it moves."""
    return datetime.datetime.now(ZoneInfo("Europe/Brussels")).date()


def test_random_changes_keep_the_model_equal_to_a_fresh_load_and_the_database(three, capsys):
    db_url, admin, daemons = three
    rng = random.Random(SEED)
    world = World(admin, rng, [unique("Wuustwezel"), unique("Kalmthout"), unique("Écaussinnes")])
    answered = metric(daemons["following"], "stek_feed_model_answers_total")
    changes = metric(daemons["following"], "stek_feed_model_changes_total")
    loads = metric(daemons["following"], "stek_feed_model_loads_total")
    day = service_day()
    others = {k: v for k, v in daemons.items() if k != "following"}
    for i in range(STEPS):
        before, writes = generations(daemons), world.writes
        world.step()
        if world.writes == writes:
            continue  # nothing was written (an overlapping closure, say)
        settle(db_url, daemons, before)
        diff = differences(world, daemons["following"], others)
        assert not diff, f"seed {SEED}, step {i} ({world.kinds}):\n" + "\n".join(diff[:10])
    # Every kind of write was made, the answers came from the model, and the model followed
    # the changes one by one: no full load after the first.
    expected = {"create site", "create partner", "create offer", "edit offer", "translate offer",
                "reorder schedules", "replace schedules", "archive offer", "delete offer",
                "cancel occurrence", "move occurrence", "restore occurrence", "close site",
                "edit site", "edit partner"}
    assert expected <= set(world.kinds), f"seed {SEED}: kinds made {world.kinds}"
    assert metric(daemons["following"], "stek_feed_model_answers_total") > answered
    assert metric(daemons["following"], "stek_feed_model_changes_total") >= changes + STEPS / 2
    # (Midnight in Brussels during the run loads the model whole once: its window moves.)
    assert metric(daemons["following"], "stek_feed_model_loads_total") == \
        loads + (service_day() != day)
    with capsys.disabled():
        print(f"\n     model equivalence: seed {SEED}, {STEPS} writes {world.kinds}")


@pytest.mark.parametrize("ignored,writes", [
    ("offer", ["edit_offer", "exception", "new_offer"]),
    ("site", ["close_site", "edit_site"]),
    ("partner", ["edit_partner"]),
])
def test_the_comparison_finds_a_kind_of_change_left_out(fresh_db, spec, tmp_path, ignored,
                                                         writes):
    """The same comparison fails when a daemon leaves out one kind of change."""
    assert migrate(fresh_db, "up").returncode == 0
    token = cli(fresh_db, "create-admin-key", "ignore").stdout.strip()
    broken = Daemon(fresh_db, tmp_path, STEK_WRITES_PER_MINUTE=0,
                    STEK_TEST_MODEL_IGNORE=ignored)
    plain = Daemon(fresh_db, tmp_path, STEK_WRITES_PER_MINUTE=0, STEK_FEED_MODEL=0)
    daemons = {"broken": broken, "database": plain}
    try:
        world = World(Api(plain.base, spec, token), random.Random(SEED),
                      [unique("Wuustwezel"), unique("Kalmthout")])
        while len(world.offers) < 4:  # the data, loaded whole when the daemon starts again
            world.step()
        assert_clean_exit(*broken.stop())
        broken = daemons["broken"] = Daemon(fresh_db, tmp_path, STEK_WRITES_PER_MINUTE=0,
                                            STEK_TEST_MODEL_IGNORE=ignored)
        assert not differences(world, broken, {"database": plain})
        found = []
        for i in range(12):
            before, made = generations(daemons), world.writes
            getattr(world, writes[i % len(writes)])()
            if world.writes == made:
                continue
            settle(fresh_db, daemons, before)
            found = differences(world, broken, {"database": plain})
            if found:
                break
        assert found, f"leaving out {ignored} changes went unnoticed (seed {SEED})"
    finally:
        for d in daemons.values():
            assert_clean_exit(*d.stop())
