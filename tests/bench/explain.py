"""EXPLAIN (ANALYZE, BUFFERS) of the daemon's statements on the bench dataset.

Usage: explain.py PRINT_SQL   (DATABASE_URL in the environment; run by tests/bench/run.sh)

Each statement is taken from statements.def (through print_sql), prepared, and explained
with parameters of the kind a request sends; writes run inside a transaction that is rolled
back. Prints one line per statement (execution and planning time, buffers, and every
sequential scan of a table with more than 1,000 rows) and a last line counting them:
issue 14 wants no sequential scan of a large table on a request path.
"""
import json
import os
import subprocess
import sys

URL = os.environ["DATABASE_URL"]
PRINT_SQL = sys.argv[1]


def psql(sql):
    out = subprocess.run(["psql", URL, "-X", "-tA", "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return out.stdout.strip()


def one(sql):
    return psql(sql).splitlines()[0]


def lit(v):
    return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"


offer = one("SELECT id FROM offers ORDER BY id LIMIT 1")
site = one("SELECT site_id FROM offers WHERE id = " + lit(offer))
partner = one("SELECT partner_id FROM offers WHERE id = " + lit(offer))
signal = psql("SELECT id FROM signals ORDER BY seq DESC LIMIT 1") or None
key = one("SELECT id FROM api_keys ORDER BY created_at LIMIT 1")
key_hash = one("SELECT token_hash FROM api_keys ORDER BY created_at LIMIT 1")
large = {r.split("|")[0] for r in psql(
    "SELECT relname || '|' FROM pg_class WHERE relkind = 'r' AND reltuples > 1000").splitlines()}

# name: (parameters, write)
STATEMENTS = {
    "list_partners": ([None, None, None, 51], False),
    "get_partner": ([partner], False),
    "auth_key": ([key_hash], False),
    "key_state": ([key], False),
    "list_keys": ([None, None, 51], False),
    "list_audit": ([None, None, None, None, 51, None], False),
    "list_sites": ([None, None, "M17", None, None, None, None, 101], False),
    "list_sites_near": ([None, None, None, None, None, None, None, 51.2, 4.4, 10, 101], False),
    "get_site": ([site], False),
    "list_offers": ([None, None, None, None, "M17", None, None, None, None, None, 501, None,
                     None], False),
    "get_offer": ([offer], False),
    "list_exceptions": ([offer, None, 51], False),
    "list_closures": ([site, None, None, 51], False),
    "feed_rows": (["2026-12-01", "2026-12-29", "M17"] + [None] * 11 + ["0"], False),
    "list_themes": ([None, 51], False),
    "list_signals": ([None, None, "barrier", None, None, None, None, None, 51, None], False),
    "signal_cells": (["2025-12-01", "2026-11-30", "M1", None, None], False),
    "list_public_answers": ([None, None, "2025-12-01", "2026-11-30", None, None, 51, "Europe/Brussels"], False),
    "partner_runs_offer_at": ([site, partner], False),
    "update_offer": ([offer, "Titel", None, site, partner, "{meeting}", "{}", None, "t", None,
                      "none", None, None, "t", "nl", "{}", "activity"], True),
    "upsert_exception": ([offer, "2026-12-03", "cancelled", None, None, None, "Gesloten",
                          "nl", "{}"], True),
}
if signal:
    STATEMENTS["get_signal"] = ([signal, None], False)


def walk(node, found):
    if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in large:
        found.append(node["Relation Name"])
    for child in node.get("Plans", []):
        walk(child, found)


bad = 0
print(f"{'statement':<24} {'exec ms':>8} {'plan ms':>8} {'buffers':>8}  sequential scans of large tables")
for name, (params, write) in STATEMENTS.items():
    sql = subprocess.check_output([PRINT_SQL, name], text=True).strip()
    script = ("BEGIN;\nSET LOCAL jit = off;\nSET LOCAL plan_cache_mode = force_custom_plan;\n"
              f"PREPARE s AS {sql};\n"
              f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE s({', '.join(lit(p) for p in params)});\n"
              "ROLLBACK;\n")
    try:
        plan = json.loads(psql(script))[0]
    except (RuntimeError, ValueError) as e:
        print(f"{name:<24} could not be explained: {str(e)[:100]}")
        bad += 1
        continue
    found = []
    walk(plan["Plan"], found)
    bad += bool(found)
    buffers = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
    print(f"{name + (' (write)' if write else ''):<24} {plan['Execution Time']:8.2f} "
          f"{plan['Planning Time']:8.2f} {buffers:8d}  {', '.join(found) or '-'}")
print(f"explain: {len(STATEMENTS)} statements, {bad} with a sequential scan of a large table "
      "(or not explained)")
