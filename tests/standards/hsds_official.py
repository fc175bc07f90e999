#!/usr/bin/env python3
"""Validates a running stekd's /hsds/ answers against Open Referral's own compiled HSDS 3.0
JSON Schemas (JSON Schema 2020-12), by hand; the test suite encodes HSDS's rules itself.

    git clone -b 3.0 https://github.com/openreferral/specification /tmp/hsds-spec
    python3 tests/standards/hsds_official.py http://127.0.0.1:8080 /tmp/hsds-spec

Checks every list item against the *_list schema, every record against its full schema (also
the nested ones with full=true and full_service=true), and the Page envelope at per_page=5 on
the first, a middle and the last page. Prints each problem and a last line "N invalid".
"""
import json
import math
import sys
import urllib.request
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

base, spec = sys.argv[1].rstrip("/"), Path(sys.argv[2]) / "schema"
compiled = {p.stem: json.loads(p.read_text()) for p in (spec / "compiled").glob("*.json")}
compiled["taxonomy"] = json.loads((spec / "taxonomy.json").read_text())
compiled["taxonomy_term"] = json.loads((spec / "taxonomy_term.json").read_text())
bad = 0


def get(path):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)


def check(schema, doc, where):
    global bad
    for e in Draft202012Validator(compiled[schema], format_checker=FormatChecker()).iter_errors(doc):
        bad += 1
        print("INVALID", where, "/".join(map(str, e.path)), e.message[:200])


def endpoint(path, item, record, nested=""):
    global bad
    first = get(f"{path}?per_page=5")
    total, pages = first["total_items"], first["total_pages"]
    if pages != math.ceil(total / 5):
        bad += 1
        print("PAGE", path, "total_pages", pages, "for", total)
    for n in sorted({1, max(1, (pages + 1) // 2), max(1, pages)}):
        page = get(f"{path}?per_page=5&page={n}")
        want = {"total_items": total, "total_pages": pages, "page_number": n,
                "first_page": n == 1, "last_page": n >= pages, "size": len(page["contents"]),
                "empty": not page["contents"]}
        for k, v in want.items():
            if page.get(k) != v:
                bad += 1
                print("PAGE", path, n, k, page.get(k), "expected", v)
        for it in page["contents"]:
            check(item, it, f"{path} page {n}")
            check(record, get(f"{path}/{it['id']}"), f"{path}/{it['id']}")
    if nested:
        for it in get(f"{path}?per_page=100&{nested}=true")["contents"]:
            check(record, it, f"{path}?{nested}=true")
    print(path, total, "items,", pages, "pages")


endpoint("/hsds/services", "service_list", "service", "full")
endpoint("/hsds/service_at_locations", "service_at_location_list", "service_at_location", "full")
endpoint("/hsds/organizations", "organization_list", "organization", "full_service")
endpoint("/hsds/taxonomies", "taxonomy", "taxonomy")
endpoint("/hsds/taxonomy_terms", "taxonomy_term", "taxonomy_term")
print(f"{bad} invalid")
sys.exit(1 if bad else 0)
