-- A large, realistic dataset for `make bench`: 300 municipalities, 3,000 sites,
-- 30,000 offers with weekly, fortnightly, monthly-ordinal and one-off
-- schedules, exceptions on some. Generated in SQL because loading it through
-- the API would take minutes; the demo data, in contrast, goes through the API.
-- psql -v scale=10 makes it ten times larger (3,000 municipalities, 300,000 offers).
\if :{?scale}
\else
\set scale 1
\endif
BEGIN;
INSERT INTO partners (name, kind)
SELECT 'Bench partner ' || g, (ARRAY['welfare', 'municipality', 'education', 'volunteers'])[1 + g % 4]
FROM generate_series(1, 200) g;

INSERT INTO sites (name, kind, street, postal_code, municipality, lat, lon)
SELECT 'Bench site ' || g, 'community centre', 'Dorpsstraat ' || g, (1000 + g / 10)::text,
       'M' || (1 + (g - 1) / 10), 50.5 + (g % 97) * 0.01, 3.5 + (g % 89) * 0.02
FROM generate_series(1, 3000 * :scale) g;

WITH p AS (SELECT array_agg(id ORDER BY name) a FROM partners WHERE name LIKE 'Bench partner %'),
     s AS (SELECT array_agg(id ORDER BY name) a FROM sites WHERE name LIKE 'Bench site %')
INSERT INTO offers (title, description, site_id, partner_id, functions, categories, free)
SELECT 'Bench activity ' || g, 'Een activiteit met koffie, vragen en formulieren nummer ' || g,
       s.a[1 + (g - 1) % (3000 * :scale)], p.a[1 + g % 200],
       CASE g % 4 WHEN 0 THEN ARRAY['meeting'] WHEN 1 THEN ARRAY['learning']
                  WHEN 2 THEN ARRAY['referral', 'learning'] ELSE ARRAY['meeting', 'advocacy'] END,
       ARRAY[(ARRAY['digital', 'food', 'forms_and_bills', 'leisure'])[1 + g % 4]], g % 5 <> 0
FROM generate_series(1, 30000 * :scale) g, p, s;

-- Dates start on a Monday (2024-01-01) so that every BYDAY below matches dtstart.
INSERT INTO schedules (offer_id, position, dtstart, rrule, start_time, end_time)
SELECT o.id, 0,
       CASE WHEN n % 10 < 5 THEN date '2024-01-01' + (n % 5)::int
            WHEN n % 10 < 7 THEN date '2024-01-01' + (n % 5)::int
            WHEN n % 10 < 9 THEN date '2024-01-17'
            ELSE date '2026-11-01' + (n % 120)::int END,
       CASE WHEN n % 10 < 5 THEN 'FREQ=WEEKLY;BYDAY=' || (ARRAY['MO','TU','WE','TH','FR'])[1 + n % 5]
            WHEN n % 10 < 7 THEN 'FREQ=WEEKLY;INTERVAL=2;BYDAY=' || (ARRAY['MO','TU','WE','TH','FR'])[1 + n % 5]
            WHEN n % 10 < 9 THEN 'FREQ=MONTHLY;BYDAY=3WE'
            ELSE NULL END,
       time '09:00' + (n % 8) * interval '1 hour', time '10:30' + (n % 8) * interval '1 hour'
FROM (SELECT id, row_number() OVER (ORDER BY title) n FROM offers
      WHERE title LIKE 'Bench activity %') o;

INSERT INTO offer_exceptions (offer_id, date, status, note)
SELECT sc.offer_id, d::date, 'cancelled', 'Gesloten'
FROM schedules sc JOIN offers o ON o.id = sc.offer_id,
     generate_series(date '2026-12-01', date '2027-01-31', interval '1 day') d
WHERE o.title LIKE 'Bench activity %' AND sc.rrule LIKE 'FREQ=WEEKLY;BYDAY=%'
  AND hashtext(o.id::text) % 20 = 0
  AND extract(isodow FROM d) = 1 + position(substr(sc.rrule, 19, 2) IN 'MOTUWETHFR') / 2;

-- Signals of a service that has run for a year and a half: 120,000 over the last 540 days,
-- spread over the sites, partners and themes; a fifth referrals (a third of them arrived),
-- the barriers in every status, some answered in public. A table that starts empty would
-- also be analysed as empty, and a connection's first foreign-key check of a signal would
-- keep a plan for an empty table (see README, Performance).
WITH p AS (SELECT array_agg(id ORDER BY name) a FROM partners WHERE name LIKE 'Bench partner %'),
     s AS (SELECT array_agg(id ORDER BY name) a FROM sites WHERE name LIKE 'Bench site %'),
     t AS (SELECT array_agg(code ORDER BY code) a FROM themes),
     g AS (SELECT g, current_date - (g % 540) AS day, g % 5 = 0 AS referral,
                  (ARRAY['new', 'in_review', 'raised', 'raised', 'answered', 'answered', 'closed',
                         'new'])[1 + (g / 5) % 8] AS status
           FROM generate_series(1, 120000) g)
INSERT INTO signals (kind, theme, site_id, occurred_on, partner_id, referred_to_partner_id,
                     note, handoff_code, handoff_expires_on, arrived_at, status, raised_with,
                     answer, answer_public, created_at, updated_at)
SELECT CASE WHEN referral THEN 'referral' ELSE 'barrier' END,
       t.a[1 + g % array_length(t.a, 1)], s.a[1 + (g * 7) % (3000 * :scale)], day,
       p.a[1 + g % 200], CASE WHEN referral THEN p.a[1 + (g * 3) % 200] END,
       CASE WHEN g % 4 = 1 THEN 'Loket enkel met de auto bereikbaar.' END,
       CASE WHEN referral THEN (SELECT string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
                                                         1 + ((g >> (5 * i)) & 31), 1), '' ORDER BY i)
                                FROM generate_series(0, 7) i) END,
       CASE WHEN referral THEN day + 14 END,
       CASE WHEN referral AND g % 3 = 0 THEN day + time '15:00' END,
       CASE WHEN NOT referral THEN status END,
       CASE WHEN NOT referral AND status IN ('raised', 'answered', 'closed') THEN 'De gemeente' END,
       CASE WHEN NOT referral AND status = 'answered' THEN 'Vanaf maart rijdt er een belbus.' END,
       NOT referral AND status = 'answered' AND g % 3 = 0,
       day + time '10:00', day + time '10:00'
FROM g, p, s, t;
-- A daemon starting on this data loads it whole: the change log of the load is not needed.
TRUNCATE feed_changes;
COMMIT;
ANALYZE;
