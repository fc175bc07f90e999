"""The search bench's data (tests/bench/search.sh): writes DIR/data.sql (30,100 offers: the
relevance set's 70 texts, 430 times each, at 3,000 sites in 300 municipalities, weekly on the
template's first day) and DIR/queries.txt (the relevance set's queries, URL-encoded)."""
import json, sys, urllib.parse
work = sys.argv[1]
offers = json.load(open("tests/search/offers.json"))
queries = json.load(open("tests/search/queries.json"))
q = lambda s: "'" + s.replace("'", "''") + "'"
rows = ",\n".join(f"({i}, {q(o['title'])}, {q(o['description'])}, {q(o['main_language'])},"
                  f" {q(o['rrule'].split('BYDAY=')[1].split(',')[0][-2:])})"
                  for i, o in enumerate(offers))
open(f"{work}/data.sql", "w").write(f"""
BEGIN;
INSERT INTO partners (name, kind) SELECT 'Bench partner ' || g, 'welfare' FROM generate_series(1, 200) g;
INSERT INTO sites (name, kind, street, postal_code, municipality)
SELECT 'Bench site ' || g, 'community centre', 'Dorpsstraat ' || g, (1000 + g / 10)::text,
       'M' || (1 + (g - 1) / 10) FROM generate_series(1, 3000) g;
CREATE TEMP TABLE t (i int, title text, description text, lang text, day text);
INSERT INTO t VALUES {rows};
WITH p AS (SELECT array_agg(id ORDER BY name) a FROM partners),
     s AS (SELECT array_agg(id ORDER BY name) a FROM sites)
INSERT INTO offers (title, description, main_language, site_id, partner_id, functions)
SELECT t.title || ' ' || g, t.description, t.lang, s.a[1 + g % 3000], p.a[1 + g % 200],
       ARRAY['meeting']
FROM generate_series(1, 30100) g, p, s, t WHERE t.i = g % {len(offers)};
INSERT INTO schedules (offer_id, position, dtstart, rrule, start_time, end_time)
SELECT o.id, 0, date '2024-01-01' + (array_position(ARRAY['MO','TU','WE','TH','FR','SA','SU'], t.day) - 1),
       'FREQ=WEEKLY;BYDAY=' || t.day, time '10:00', time '12:00'
FROM offers o JOIN t ON o.title LIKE t.title || ' %';
COMMIT;
ANALYZE;
""")
with open(f"{work}/queries.txt", "w") as f:
    for c in queries:
        f.write(urllib.parse.quote(c["q"]) + "\n")
