#!/usr/bin/env python3
"""Loads the Noorderkempen examples of shared/domain.md through the public API
(HTTP calls only). Idempotent: what exists (same name or title) is left alone.

    load_demo.py BASE_URL ADMIN_TOKEN
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

PARTNERS = [
    ("SAAMO", "community_work", "Samenlevingsopbouw: runs the STEK meeting moments.",
     "https://www.saamo.be"),
    ("CAW Antwerpen", "welfare", "General welfare work: help with letters, forms and bills.",
     "https://www.caw.be"),
    ("OCMW Kalmthout", "municipality", "Social services of the municipality of Kalmthout.", None),
    ("Gemeente Wuustwezel", "municipality",
     "Municipality of Wuustwezel: open house at 't Kattegat.", None),
    ("Ligo Antwerpen", "education", "Adult basic education: Open Leersalon for digital questions.",
     "https://www.ligo.be"),
    ("Sociaal Winkelpunt vzw", "social_grocery", "Runs the social grocery 't Kruideniertje.", None),
    ("Gezinsbond", "family", "Families' association: Twinkeltje second-hand children's clothes.",
     None),
    ("Beweging.net", "civil_society", "Fietsbieb, the children's bike library.", None),
    ("Rap op Stap vrijwilligers", "volunteers",
     "Affordable trips and leisure for people with increased allowance.", None),
    ("De Voorkempen", "social_housing", "Social housing company.", None),
    ("KOMPAS", "mental_health", "Meeting house for people with a psychological vulnerability.",
     None),
    ("SELAB", "digital_inclusion", "Digital inclusion.", None),
]

SITES = [
    {"name": "'t Kattegat", "kind": "community centre", "model": "stek",
     "address": {"street": "Bredabaan 280", "postal_code": "2990", "municipality": "Wuustwezel"},
     "location": {"lat": 51.3917, "lon": 4.5952}, "coordinator": "SAAMO"},
    {"name": "Kantine Bezemheide", "kind": "community centre", "model": "stek",
     "address": {"street": "Gomarus Van Geelstraat 30", "postal_code": "2920",
                 "municipality": "Kalmthout"},
     "location": {"lat": 51.3869, "lon": 4.4744}, "coordinator": "SAAMO",
     "email": "bezemheide@example.org", "phone": "03 000 00 00"},
    {"name": "DC De Groten Uitleg", "kind": "service centre", "model": "other",
     "address": {"street": "De Groten Uitleg", "postal_code": "2920", "municipality": "Kalmthout"}},
    {"name": "Dorpshuis Nieuwmoer", "kind": "village hall", "model": "other",
     "address": {"street": "Dorpshuis", "postal_code": "2920", "municipality": "Kalmthout"}},
    # Brussels is bilingual: a French main language, with the Dutch name and texts.
    {"name": {"fr": "Maison de quartier Le Tilleul", "nl": "Buurthuis De Linde"},
     "main_language": "fr", "kind": "community centre", "model": "stek",
     "description": {"fr": "Un lieu de rencontre ouvert à tout le quartier.",
                     "nl": "Een ontmoetingsplek voor de hele buurt."},
     "address": {"street": "Rue du Tilleul 10", "postal_code": "1000", "municipality": "Brussel"},
     "location": {"lat": 50.8467, "lon": 4.3525}, "coordinator": "SAAMO"},
]


def weekly(day, dtstart, start, end, **extra):
    return {"dtstart": dtstart, "rrule": f"FREQ=WEEKLY;BYDAY={day}", "start_time": start,
            "end_time": end, **extra}


THIRD_WEDNESDAY = {"dtstart": "2023-09-20", "rrule": "FREQ=MONTHLY;BYDAY=3WE",
                   "start_time": "18:00", "end_time": "19:30"}

OFFERS = [
    # 't Kattegat, Wuustwezel
    {"title": "Ontmoetingsmoment: koffie en babbel", "site": "'t Kattegat", "partner": "SAAMO",
     "functions": ["meeting"], "categories": ["coffee"],
     "schedules": [weekly("MO", "2023-09-04", "13:00", "16:00")]},
    {"title": "Open huis", "site": "'t Kattegat", "partner": "Gemeente Wuustwezel",
     "functions": ["meeting", "referral"],
     "schedules": [weekly("TH", "2023-09-07", "13:00", "17:00")]},
    {"title": "Koffie & Formulieren", "site": "'t Kattegat", "partner": "CAW Antwerpen",
     "description": "Help with letters, forms and bills. Free, no appointment."
                    " With SAAMO and volunteers.",
     "functions": ["referral", "learning"], "categories": ["forms_and_bills"],
     # Moved from Monday afternoons to Thursday on 9 February 2023: history is kept.
     "schedules": [weekly("MO", "2022-09-05", "13:00", "15:00", until="2023-02-08"),
                   weekly("TH", "2023-02-09", "13:00", "15:00")],
     "exceptions": [{"date": "2026-12-24", "status": "cancelled", "note": "Kerstavond: gesloten"}]},
    {"title": "Rap op Stap", "site": "'t Kattegat", "partner": "Rap op Stap vrijwilligers",
     "description": "Affordable trips and leisure for people with increased allowance.",
     "functions": ["meeting", "referral"], "categories": ["leisure"],
     "schedules": [weekly("TH", "2023-09-07", "13:00", "15:00"), THIRD_WEDNESDAY]},
    {"title": "Fietsbieb", "site": "'t Kattegat", "partner": "Beweging.net",
     "description": "Children's bike library.", "functions": ["meeting"],
     "categories": ["mobility"], "free": False, "price_note": "€20 per jaar + €20 waarborg",
     "schedules": [THIRD_WEDNESDAY],
     "exceptions": [{"date": "2026-12-16", "status": "moved", "start_time": "17:00",
                     "end_time": "18:30", "note": "Een uur vroeger: kerstmarkt"}]},
    # Kantine Bezemheide, Kalmthout
    {"title": {"nl": "Sociale kruidenier 't Kruideniertje",
               "fr": "Épicerie sociale 't Kruideniertje"}, "site": "Kantine Bezemheide",
     "kind": "opening_hours",  # a shop open at set hours, not an event
     "partner": "Sociaal Winkelpunt vzw", "functions": ["referral"], "categories": ["food"],
     "free": False,
     "price_note": {"nl": "Verminderde prijzen, met een kaart van de sociale dienst (OCMW)",
                    "fr": "Prix réduits, avec une carte du service social (CPAS)"},
     "schedules": [weekly("TH", "2023-09-07", "10:30", "18:00")]},
    {"title": {"nl": "Twinkeltje", "fr": "Twinkeltje, vêtements d'enfants"},
     "site": "Kantine Bezemheide", "partner": "Gezinsbond",
     "description": {"nl": "Second-hand children's clothes.",
                     "fr": "Vêtements d'enfants de seconde main."}, "functions": ["meeting"],
     "categories": ["family"], "free": False,
     "price_note": {"nl": "Tweedehands aan kleine prijzen", "fr": "Seconde main à petits prix"},
     "schedules": [weekly("TH", "2023-09-07", "10:30", "18:00")]},
    {"title": {"nl": "Rap op Stap Kalmthout", "fr": "Rap op Stap Kalmthout : sorties à petit prix"},
     "site": "Kantine Bezemheide",
     "partner": "Rap op Stap vrijwilligers", "functions": ["meeting", "referral"],
     "categories": ["leisure"],
     "schedules": [weekly("MO", "2023-09-04", "10:00", "11:30", site="DC De Groten Uitleg"),
                   weekly("TH", "2023-09-07", "13:30", "16:00")]},
    {"title": {"nl": "Ontmoetingsmoment", "fr": "Moment de rencontre"},
     "site": "Kantine Bezemheide", "partner": "SAAMO", "free": True, "registration": "none",
     "functions": ["meeting"], "schedules": [weekly("TU", "2023-09-05", "13:00", "16:00")]},
    {"title": {"nl": "Open Leersalon", "fr": "Salon d'apprentissage ouvert"},
     "site": "Kantine Bezemheide", "partner": "Ligo Antwerpen",
     "description": {"nl": "Digital questions: online appointments, e-mail, apps. Free.",
                     "fr": "Questions numériques : rendez-vous en ligne, e-mail, applis. Gratuit."},
     "functions": ["learning"], "categories": ["digital"], "free": True,
     "schedules": [weekly("TH", "2023-09-07", "13:00", "15:30")]},
    {"title": {"nl": "Koffie & Formulieren Kalmthout", "fr": "Café & formulaires Kalmthout"},
     "site": "Kantine Bezemheide",
     "partner": "CAW Antwerpen", "functions": ["referral", "learning"],
     "categories": ["forms_and_bills"],
     "schedules": [weekly("TH", "2023-09-07", "13:00", "15:30")]},
    {"title": {"nl": "Paasbrunch", "fr": "Brunch de Pâques"},
     "site": "Kantine Bezemheide", "partner": "SAAMO",
     "functions": ["meeting"], "registration": "required",
     "schedules": [{"dtstart": "2027-03-28", "start_time": "10:00", "end_time": "13:00"}]},
    {"title": {"nl": "De langste tafel", "fr": "La plus longue table"},
     "site": "Kantine Bezemheide", "partner": "SAAMO",
     "description": {"nl": "Week van de Verbondenheid: the whole site goes on the road.",
                     "fr": "Semaine de la solidarité : tout le lieu prend la route."},
     "functions": ["meeting", "advocacy"],
     "schedules": [{"dtstart": "2027-04-24", "start_time": "12:00", "end_time": "16:00",
                    "site": "Dorpshuis Nieuwmoer"}]},
    # Maison de quartier Le Tilleul, Brussels: bilingual offers, French first
    {"title": {"fr": "Table de conversation", "nl": "Praattafel"}, "main_language": "fr",
     "site": "Maison de quartier Le Tilleul", "partner": "SAAMO",
     "description": {"fr": "Pratiquer le néerlandais et le français autour d'un café.",
                     "nl": "Nederlands en Frans oefenen bij een koffie."},
     "functions": ["meeting", "learning"], "categories": ["language"],
     "schedules": [weekly("WE", "2023-09-06", "14:00", "16:00")]},
    {"title": {"fr": "Permanence sociale", "nl": "Sociale permanentie"}, "main_language": "fr",
     "site": "Maison de quartier Le Tilleul", "partner": "SAAMO", "functions": ["referral"],
     "schedules": [weekly("FR", "2023-09-01", "09:30", "12:00")]},
]


class Api:
    def __init__(self, base, token):
        self.base, self.token = base.rstrip("/"), token

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def all(self, path):
        items, cursor = [], None
        while True:
            q = path + "?limit=500" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            status, page = self.call("GET", q)
            if status != 200:
                raise SystemExit(f"GET {q}: {status} {page}")
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def must(self, method, path, body):
        status, doc = self.call(method, path, body)
        if status not in (200, 201):
            raise SystemExit(f"{method} {path}: {status} {json.dumps(doc)}")
        return doc


def main_text(value, record):
    """The main-language text of a field given as a string or an object of languages."""
    if isinstance(value, dict):
        return value[record.get("main_language", "nl")]
    return value


def load(base, token):
    """Creates what is missing; returns the number of partners, sites and offers created."""
    api = Api(base, token)
    created = 0
    partners = {p["name"]: p["id"] for p in api.all("/v1/partners")}
    for name, kind, description, website in PARTNERS:
        if name not in partners:
            doc = api.must("POST", "/v1/partners", {"name": name, "kind": kind,
                                                     "description": description,
                                                     "website": website})
            partners[name] = doc["id"]
            created += 1
    sites = {s["name"]: s["id"] for s in api.all("/v1/sites")}
    for site in SITES:
        name = main_text(site["name"], site)
        if name not in sites:
            body = {k: v for k, v in site.items() if k != "coordinator"}
            if "coordinator" in site:
                body["coordinator_partner_id"] = partners[site["coordinator"]]
            sites[name] = api.must("POST", "/v1/sites", body)["id"]
            created += 1
    existing = {(o["title"], o["site_id"]) for o in api.all("/v1/offers")}
    for offer in OFFERS:
        site_id = sites[offer["site"]]
        if (main_text(offer["title"], offer), site_id) in existing:
            continue
        body = {k: v for k, v in offer.items() if k not in ("site", "partner", "exceptions")}
        body["site_id"] = site_id
        body["partner_id"] = partners[offer["partner"]]
        body["schedules"] = []
        for s in offer["schedules"]:
            s = dict(s)
            if "site" in s:
                s["site_id"] = sites[s.pop("site")]
            body["schedules"].append(s)
        doc = api.must("POST", "/v1/offers", body)
        for e in offer.get("exceptions", []):
            api.must("POST", f"/v1/offers/{doc['id']}/exceptions", e)
        created += 1
    return created


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(f"demo data: {load(sys.argv[1], sys.argv[2])} new records", file=sys.stderr)
