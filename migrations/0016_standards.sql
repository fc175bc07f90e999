-- Issue 17: the sector's standards.
--
-- 1. An offer is either a group activity (each occurrence an event) or a service open at set
--    hours (a social grocery, a permanence): search engines want the second as a place's
--    opening hours, never as events.
ALTER TABLE offers
    ADD COLUMN kind text NOT NULL DEFAULT 'activity' CHECK (kind IN ('activity', 'opening_hours'));

-- 2. The place a site and the organizer a partner are known as in UiTdatabank (publiq), for the
--    export of offers as UiTdatabank events (ids UiTdatabank issued).
ALTER TABLE sites
    ADD COLUMN uitdatabank_place_id uuid;
ALTER TABLE partners
    ADD COLUMN uitdatabank_organizer_id uuid;

CREATE OR REPLACE FUNCTION partner_doc(p partners) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', p.id, 'name', p.name, 'kind', p.kind, 'description', p.description,
        'website', p.website, 'email', p.email, 'phone', p.phone,
        'uitdatabank_organizer_id', p.uitdatabank_organizer_id, 'active', p.active,
        'main_language', p.main_language, 'translations', p.translations,
        'translatable', json_build_array('description'),
        'created_at', stek_ts(p.created_at), 'updated_at', stek_ts(p.updated_at)) $$;

CREATE OR REPLACE FUNCTION site_doc(s sites) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', s.id, 'name', s.name, 'kind', s.kind, 'model', s.model,
        'description', s.description,
        'address', json_build_object('street', s.street, 'postal_code', s.postal_code,
                                     'municipality', s.municipality, 'country', s.country),
        'location', CASE WHEN s.lat IS NULL THEN NULL
                         ELSE json_build_object('lat', s.lat, 'lon', s.lon) END,
        'timezone', s.timezone, 'email', s.email, 'phone', s.phone,
        'accessibility', s.accessibility, 'coordinator_partner_id', s.coordinator_partner_id,
        'uitdatabank_place_id', s.uitdatabank_place_id,
        'active', s.active, 'main_language', s.main_language, 'translations', s.translations,
        'translatable', json_build_array('name', 'description', 'accessibility'),
        'created_at', stek_ts(s.created_at), 'updated_at', stek_ts(s.updated_at)) $$;

CREATE OR REPLACE FUNCTION offer_doc(o offers) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', o.id, 'title', o.title, 'kind', o.kind, 'description', o.description,
        'site_id', o.site_id,
        'partner_id', o.partner_id, 'functions', to_json(o.functions),
        'categories', to_json(o.categories), 'audience', o.audience, 'free', o.free,
        'price_note', o.price_note, 'registration', o.registration, 'email', o.email,
        'phone', o.phone,
        'schedules', coalesce((SELECT json_agg(schedule_doc(s) ORDER BY s.position)
                               FROM schedules s WHERE s.offer_id = o.id), '[]'::json),
        'active', o.active, 'main_language', o.main_language, 'translations', o.translations,
        'translatable', json_build_array('title', 'description', 'audience', 'price_note'),
        'created_at', stek_ts(o.created_at), 'updated_at', stek_ts(o.updated_at)) $$;

-- 3. Open Referral HSDS 3.0. HSDS wants a UUID for every object; the objects HSDS has and this
--    schema does not (addresses, service_at_locations, cost options, attributes, taxonomies and
--    their terms) get a stable one derived from what they stand for.
CREATE FUNCTION hsds_id(VARIADIC parts text[]) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT md5('stek/hsds/' || array_to_string(parts, '/'))::uuid $$;

-- The province of a Belgian postal code (HSDS requires state_province); '' elsewhere.
CREATE FUNCTION hsds_province(country text, postal_code text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT CASE WHEN country <> 'BE' OR postal_code !~ '^[0-9]{4}$' THEN ''
        ELSE CASE
            WHEN postal_code::int < 1300 THEN 'Brussels-Capital Region'
            WHEN postal_code::int < 1500 THEN 'Walloon Brabant'
            WHEN postal_code::int < 2000 THEN 'Flemish Brabant'
            WHEN postal_code::int < 3000 THEN 'Antwerp'
            WHEN postal_code::int < 3500 THEN 'Flemish Brabant'
            WHEN postal_code::int < 4000 THEN 'Limburg'
            WHEN postal_code::int < 5000 THEN 'Liège'
            WHEN postal_code::int < 6000 THEN 'Namur'
            WHEN postal_code::int < 6600 THEN 'Hainaut'
            WHEN postal_code::int < 7000 THEN 'Luxembourg'
            WHEN postal_code::int < 8000 THEN 'Hainaut'
            WHEN postal_code::int < 9000 THEN 'West Flanders'
            ELSE 'East Flanders' END END $$;

-- The three taxonomies and every term in them: the four functions, the categories in use and
-- the themes of signals.
CREATE VIEW hsds_taxonomies AS
SELECT t.code, t.ord, hsds_id('taxonomy', t.code) AS id,
       jsonb_build_object('id', hsds_id('taxonomy', t.code), 'name', t.name,
                          'description', t.description, 'version', '1') AS doc
  FROM (VALUES
    ('functions', 1, 'STEK functions',
     'The four functions of a STEK: meeting, learning, referral and advocacy.'),
    ('categories', 2, 'STEK activity categories',
     'The categories partners give their activities (free words, as used in the offers).'),
    ('themes', 3, 'STEK themes',
     'The themes of the questions and barriers that referral signals name.')) AS t(code, ord, name, description);

-- A term of the functions or the categories taxonomy, as HSDS has it (also nested in the
-- attributes that link a service to it).
CREATE FUNCTION hsds_term(tax text, term text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT jsonb_build_object('id', hsds_id('term', tax, term), 'code', term,
        'name', coalesce(f.name, term),
        'description', coalesce(f.description, 'Activities in the category «' || term || '».'),
        'taxonomy', 'stek-' || tax, 'taxonomy_id', hsds_id('taxonomy', tax),
        'language', CASE WHEN f.name IS NULL THEN 'nl' ELSE 'en' END)
      FROM (SELECT 1) AS one
      LEFT JOIN (VALUES
        ('meeting', 'Meeting', 'A place to meet, for company and a chat.'),
        ('learning', 'Learning', 'Learning together: skills, language, digital questions.'),
        ('referral', 'Referral', 'Help on the way to the right service.'),
        ('advocacy', 'Advocacy', 'Barriers people meet, raised with those who can remove them.'))
           AS f(fcode, name, description) ON tax = 'functions' AND f.fcode = term $$;

CREATE VIEW hsds_terms AS
SELECT x.taxonomy, x.code, x.ord, hsds_id('term', x.taxonomy, x.code) AS id, x.doc
  FROM (SELECT 'functions', f.code, f.ord, hsds_term('functions', f.code)
          FROM unnest(ARRAY['meeting', 'learning', 'referral', 'advocacy'])
               WITH ORDINALITY AS f(code, ord)
        UNION ALL
        SELECT DISTINCT 'categories', c, 0::bigint, hsds_term('categories', c)
          FROM offers, unnest(categories) AS c
        UNION ALL
        SELECT 'themes', t.code, 0, jsonb_build_object(
                   'id', hsds_id('term', 'themes', t.code), 'code', t.code, 'name', t.label_nl,
                   'description', t.label_en, 'taxonomy', 'stek-themes',
                   'taxonomy_id', hsds_id('taxonomy', 'themes'), 'language', 'nl')
          FROM themes t) AS x(taxonomy, code, ord, doc);

CREATE FUNCTION hsds_phone(owner text, owner_id uuid, number text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN number IS NULL THEN '[]'::jsonb
        ELSE jsonb_build_array(jsonb_build_object('id', hsds_id('phone', owner, owner_id::text),
                                                  owner || '_id', owner_id, 'number', number)) END $$;

CREATE FUNCTION hsds_organization(p partners) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', p.id, 'name', p.name, 'description', coalesce(p.description, ''),
        'email', p.email, 'website', p.website,
        'phones', hsds_phone('organization', p.id, p.phone),
        'x_stek_kind', p.kind, 'x_stek_active', p.active,
        'x_stek_main_language', p.main_language, 'x_stek_translations', p.translations)) $$;

-- A site's closures that have not ended (profile): [{from, to, note}].
CREATE FUNCTION hsds_closures(site uuid) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
            'from', c.from_date, 'to', c.to_date, 'note', c.note)) ORDER BY c.from_date), '[]')
        FROM site_closures c WHERE c.site_id = site AND c.to_date >= current_date - 1 $$;

-- A site as an HSDS location, with its address and its closures to come (profile).
CREATE FUNCTION hsds_location(s sites) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'location_type', 'physical', 'name', s.name, 'description', s.description,
        'organization_id', s.coordinator_partner_id,
        'latitude', s.lat, 'longitude', s.lon,
        'addresses', jsonb_build_array(jsonb_build_object(
            'id', hsds_id('address', s.id::text), 'location_id', s.id,
            'address_1', s.street, 'city', s.municipality,
            'state_province', hsds_province(s.country, s.postal_code),
            'postal_code', s.postal_code, 'country', s.country, 'address_type', 'physical')),
        'accessibility', CASE WHEN s.accessibility IS NULL THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_build_object('id', hsds_id('accessibility', s.id::text),
                                                      'location_id', s.id,
                                                      'description', s.accessibility)) END,
        'phones', hsds_phone('location', s.id, s.phone),
        'x_stek_timezone', s.timezone, 'x_stek_model', s.model, 'x_stek_active', s.active,
        'x_stek_main_language', s.main_language, 'x_stek_translations', s.translations,
        'x_stek_closures', hsds_closures(s.id))) $$;

-- One part of an RFC 5545 rule (FREQ, INTERVAL, BYDAY, ...), or NULL.
CREATE FUNCTION hsds_rule_part(rrule text, part text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT substring(';' || rrule || ';' FROM ';' || part || '=([^;]*);') $$;

-- A schedule as HSDS says it where it can: WEEKLY and MONTHLY rules (DAILY every day as WEEKLY
-- on every day), opening and closing times, the zone's UTC offset today. What HSDS cannot say
-- (the named zone, other rules, the offer's per-date exceptions, the site's closures) is in the
-- profile's x_stek_ fields.
CREATE FUNCTION hsds_schedule(sc schedules, o offers) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    WITH r AS (
        SELECT hsds_rule_part(sc.rrule, 'FREQ') AS freq,
               hsds_rule_part(sc.rrule, 'INTERVAL') AS step,
               hsds_rule_part(sc.rrule, 'BYDAY') AS byday,
               hsds_rule_part(sc.rrule, 'BYMONTHDAY') AS bymonthday,
               hsds_rule_part(sc.rrule, 'COUNT') AS count,
               hsds_rule_part(sc.rrule, 'UNTIL') AS until),
    m AS (
        SELECT CASE WHEN freq IN ('WEEKLY', 'MONTHLY') THEN freq
                    WHEN freq = 'DAILY' AND coalesce(step, '1') = '1' THEN 'WEEKLY' END AS freq,
               CASE WHEN freq = 'DAILY' THEN coalesce(byday, 'MO,TU,WE,TH,FR,SA,SU')
                    ELSE byday END AS byday,
               CASE WHEN freq = 'DAILY' THEN NULL ELSE step END AS step,
               bymonthday, count,
               least(sc.until, to_date(left(until, 8), 'YYYYMMDD')) AS until
          FROM r),
    site AS (
        SELECT x.* FROM sites x WHERE x.id = coalesce(sc.site_id, o.site_id))
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', sc.id, 'service_id', o.id, 'location_id', site.id,
        'service_at_location_id', hsds_id('service_at_location', o.id::text, site.id::text),
        'dtstart', sc.dtstart, 'valid_from', sc.dtstart,
        'valid_to', CASE WHEN sc.rrule IS NULL THEN sc.dtstart ELSE m.until END,
        'freq', m.freq,
        'interval', CASE WHEN m.freq IS NOT NULL THEN m.step::int END,
        'byday', CASE WHEN m.freq IS NOT NULL THEN m.byday END,
        'bymonthday', CASE WHEN m.freq IS NOT NULL THEN m.bymonthday END,
        'count', CASE WHEN m.freq IS NOT NULL THEN m.count::int END,
        'until', CASE WHEN m.freq IS NOT NULL THEN m.until END,
        'wkst', CASE WHEN m.freq IS NOT NULL THEN 'MO' END,
        'opens_at', to_char(sc.start_time, 'HH24:MI'),
        'closes_at', to_char(sc.end_time, 'HH24:MI'),
        'timezone', (extract(epoch FROM (now() AT TIME ZONE site.timezone)
                                        - (now() AT TIME ZONE 'UTC')) / 3600)::float8,
        'attending_type', 'in_person',
        'x_stek_rrule', sc.rrule,
        'x_stek_timezone', site.timezone,
        'x_stek_exceptions', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                'date', e.date, 'status', e.status,
                'start_time', to_char(e.start_time, 'HH24:MI'),
                'end_time', to_char(e.end_time, 'HH24:MI'),
                'location_id', e.site_id, 'note', e.note)) ORDER BY e.date)
              FROM offer_exceptions e WHERE e.offer_id = o.id), '[]'::jsonb),
        'x_stek_closures', hsds_closures(site.id)))
      FROM m, site $$;

-- The sites an offer takes place at: its own and its schedules'.
CREATE VIEW hsds_service_sites AS
SELECT o.id AS offer_id, x.site_id,
       hsds_id('service_at_location', o.id::text, x.site_id::text) AS id
  FROM offers o,
       LATERAL (SELECT o.site_id
                 UNION
                SELECT s.site_id FROM schedules s
                 WHERE s.offer_id = o.id AND s.site_id IS NOT NULL) AS x(site_id);

-- An offer at one of its sites: 'flat' (the ids) or 'full' (with the location and the
-- schedules there; the statements add the service, defined below).
CREATE FUNCTION hsds_service_at_location(o offers, s sites, mode text) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT jsonb_build_object(
        'id', hsds_id('service_at_location', o.id::text, s.id::text),
        'service_id', o.id, 'location_id', s.id) || CASE WHEN mode <> 'full' THEN '{}'::jsonb
    ELSE jsonb_build_object(
        'location', hsds_location(s),
        'schedules', coalesce((SELECT jsonb_agg(hsds_schedule(x, o) ORDER BY x.position)
                                 FROM schedules x
                                WHERE x.offer_id = o.id AND coalesce(x.site_id, o.site_id) = s.id),
                              '[]'::jsonb)) END $$;

-- An offer as an HSDS service: 'minimal' (id, name, status, last_modified), 'flat' (the
-- one-to-one fields) or 'full' (fully nested).
CREATE FUNCTION hsds_service(o offers, mode text) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN mode = 'minimal' THEN jsonb_build_object(
        'id', o.id, 'name', o.title,
        'status', CASE WHEN o.active THEN 'active' ELSE 'inactive' END,
        'last_modified', stek_ts(o.updated_at))
    ELSE jsonb_strip_nulls(jsonb_build_object(
        'id', o.id, 'organization_id', o.partner_id, 'name', o.title,
        'description', o.description, 'email', o.email,
        'status', CASE WHEN o.active THEN 'active' ELSE 'inactive' END,
        'fees_description', CASE WHEN o.free THEN 'Free' ELSE o.price_note END,
        'eligibility_description', o.audience,
        'application_process', CASE o.registration WHEN 'required' THEN 'Registration required.'
                                    ELSE 'Walk in: no registration.' END,
        'last_modified', stek_ts(o.updated_at),
        'x_stek_kind', o.kind, 'x_stek_registration', o.registration,
        'x_stek_main_language', o.main_language, 'x_stek_translations', o.translations)
        || CASE WHEN mode <> 'full' THEN '{}'::jsonb ELSE jsonb_build_object(
        'organization', (SELECT hsds_organization(p) FROM partners p WHERE p.id = o.partner_id),
        'phones', hsds_phone('service', o.id, o.phone),
        'schedules', coalesce((SELECT jsonb_agg(hsds_schedule(x, o) ORDER BY x.position)
                                 FROM schedules x WHERE x.offer_id = o.id), '[]'::jsonb),
        'service_at_locations', coalesce((SELECT jsonb_agg(hsds_service_at_location(o, s, 'full')
                                                           ORDER BY s.id <> o.site_id, s.id)
                                            FROM hsds_service_sites l JOIN sites s ON s.id = l.site_id
                                           WHERE l.offer_id = o.id), '[]'::jsonb),
        'cost_options', jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
            'id', hsds_id('cost_option', o.id::text), 'service_id', o.id,
            'option', CASE WHEN o.free THEN 'Free' ELSE 'Paid' END,
            'currency', CASE WHEN o.free THEN 'EUR' END,
            'amount', CASE WHEN o.free THEN 0 END,
            'amount_description', CASE WHEN o.free THEN 'Free of charge' ELSE o.price_note END))),
        'attributes', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', hsds_id('attribute', o.id::text, a.taxonomy, a.code),
                'link_id', o.id, 'link_type', a.taxonomy, 'link_entity', 'service',
                'taxonomy_term_id', hsds_id('term', a.taxonomy, a.code), 'value', a.code,
                'taxonomy_term', hsds_term(a.taxonomy, a.code)) ORDER BY a.taxonomy, a.ord)
              FROM (SELECT 'functions', f, n FROM unnest(o.functions) WITH ORDINALITY AS u(f, n)
                    UNION ALL
                    SELECT 'categories', c, n FROM unnest(o.categories) WITH ORDINALITY AS v(c, n))
                   AS a(taxonomy, code, ord)), '[]'::jsonb)) END) END $$;

-- HSDS's Page envelope around one page of contents.
CREATE FUNCTION hsds_page(total bigint, page int, per_page int, contents jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT jsonb_build_object(
        'total_items', total, 'total_pages', ceil(total::numeric / per_page)::int,
        'page_number', page, 'size', jsonb_array_length(contents),
        'first_page', page = 1, 'last_page', page >= ceil(total::numeric / per_page),
        'empty', jsonb_array_length(contents) = 0, 'contents', contents) $$;
