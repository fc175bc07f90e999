-- Issue 30, what residents are told. An offer that says nothing about its price or registration is not published as
-- free and walk-in. `free` and `registration` have no default any more and may be NULL
-- (unknown: shown as nothing). Rows written before keep the values they have.
ALTER TABLE offers ALTER COLUMN free DROP DEFAULT,
                   ALTER COLUMN free DROP NOT NULL,
                   ALTER COLUMN registration DROP DEFAULT,
                   ALTER COLUMN registration DROP NOT NULL;

-- Coordinates are kept, and so published, with at most 7 decimals (about a centimetre): a
-- site written as 51.3869 is never printed as 51.386899999999997. Rows written before are
-- rounded once; the daemon rounds what it is sent (fmt_coordinate) and the schema holds it.
UPDATE sites SET lat = round(lat::numeric, 7)::float8, lon = round(lon::numeric, 7)::float8
 WHERE lat IS NOT NULL
   AND (lat <> round(lat::numeric, 7)::float8 OR lon <> round(lon::numeric, 7)::float8);
ALTER TABLE sites ADD CONSTRAINT sites_coordinates_7_decimals
    CHECK (lat = round(lat::numeric, 7)::float8 AND lon = round(lon::numeric, 7)::float8);

-- HSDS: unknown stays unknown (no fees, no application process, no cost option).
CREATE OR REPLACE FUNCTION hsds_service(o offers, mode text) RETURNS jsonb
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
                                    WHEN 'none' THEN 'Walk in: no registration.' END,
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
        'cost_options', CASE WHEN o.free IS NULL AND o.price_note IS NULL THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
            'id', hsds_id('cost_option', o.id::text), 'service_id', o.id,
            'option', CASE o.free WHEN true THEN 'Free' WHEN false THEN 'Paid' END,
            'currency', CASE WHEN o.free THEN 'EUR' END,
            'amount', CASE WHEN o.free THEN 0 END,
            'amount_description', CASE WHEN o.free THEN 'Free of charge' ELSE o.price_note END)))
            END,
        'attributes', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', hsds_id('attribute', o.id::text, a.taxonomy, a.code),
                'link_id', o.id, 'link_type', a.taxonomy, 'link_entity', 'service',
                'taxonomy_term_id', hsds_id('term', a.taxonomy, a.code), 'value', a.code,
                'taxonomy_term', hsds_term(a.taxonomy, a.code)) ORDER BY a.taxonomy, a.ord)
              FROM (SELECT 'functions', f, n FROM unnest(o.functions) WITH ORDINALITY AS u(f, n)
                    UNION ALL
                    SELECT 'categories', c, n FROM unnest(o.categories) WITH ORDINALITY AS v(c, n))
                   AS a(taxonomy, code, ord)), '[]'::jsonb)) END) END $$;


-- Issue 30: an update's audit entry names the fields it changed ("title", "title.fr" for a
-- translation): names only, never the values (a guarded text is not copied here).
ALTER TABLE audit_log ADD COLUMN fields text[]
    CHECK (fields IS NULL OR (action = 'update' AND cardinality(fields) <= 100));

CREATE OR REPLACE FUNCTION audit_doc(a audit_log) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', a.id, 'at', stek_ts(a.at), 'key_id', a.key_id, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id, 'fields', a.fields) $$;
