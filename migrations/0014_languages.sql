-- Content in the reader's language (Dutch, French, English, German). Each record keeps its
-- text in its main language in the columns as before, and the other languages in
-- `translations`: {"fr": {"title": "...", "description": "..."}, "en": {...}}. Existing data
-- becomes the main language, Dutch.
CREATE FUNCTION stek_translations_ok(t jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT jsonb_typeof(t) = 'object'
        AND NOT EXISTS (SELECT 1 FROM jsonb_each(t) l
                         WHERE l.key NOT IN ('nl', 'fr', 'en', 'de')
                            OR jsonb_typeof(l.value) <> 'object'
                            OR EXISTS (SELECT 1 FROM jsonb_each(l.value) f
                                        WHERE jsonb_typeof(f.value) <> 'string'
                                           OR char_length(f.value #>> '{}') NOT BETWEEN 1 AND 4000)) $$;

-- Every translated text of a record, for search.
CREATE FUNCTION stek_translated_text(t jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_agg(f.value, ' '), '')
            FROM jsonb_each(t) l, jsonb_each_text(l.value) f $$;

ALTER TABLE partners
    ADD COLUMN main_language text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    ADD COLUMN translations jsonb NOT NULL DEFAULT '{}' CHECK (stek_translations_ok(translations));
ALTER TABLE sites
    ADD COLUMN main_language text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    ADD COLUMN translations jsonb NOT NULL DEFAULT '{}' CHECK (stek_translations_ok(translations));
ALTER TABLE offers
    ADD COLUMN main_language text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    ADD COLUMN translations jsonb NOT NULL DEFAULT '{}' CHECK (stek_translations_ok(translations));
ALTER TABLE offer_exceptions
    ADD COLUMN main_language text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    ADD COLUMN translations jsonb NOT NULL DEFAULT '{}' CHECK (stek_translations_ok(translations));
ALTER TABLE site_closures
    ADD COLUMN main_language text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    ADD COLUMN translations jsonb NOT NULL DEFAULT '{}' CHECK (stek_translations_ok(translations));
ALTER TABLE themes
    ADD COLUMN label_fr text CHECK (char_length(label_fr) BETWEEN 1 AND 100),
    ADD COLUMN label_de text CHECK (char_length(label_de) BETWEEN 1 AND 100);
UPDATE themes t SET label_fr = v.fr, label_de = v.de
  FROM (VALUES
    ('allowance', 'Intervention majorée', 'Erhöhte Kostenbeteiligung'),
    ('energy', 'Énergie', 'Energie'),
    ('forms_and_bills', 'Formulaires et factures', 'Formulare und Rechnungen'),
    ('digital', 'Questions numériques', 'Digitale Fragen'),
    ('housing', 'Logement', 'Wohnen'),
    ('health', 'Santé', 'Gesundheit'),
    ('mental_health', 'Santé mentale', 'Psychische Gesundheit'),
    ('work', 'Travail', 'Arbeit'),
    ('leisure', 'Loisirs', 'Freizeit'),
    ('food', 'Aide alimentaire', 'Lebensmittelhilfe'),
    ('family', 'Enfants et famille', 'Kinder und Familie'),
    ('mobility', 'Mobilité', 'Mobilität'),
    ('legal', 'Questions juridiques', 'Rechtsfragen'),
    ('language', 'Langue', 'Sprache'),
    ('other', 'Autre', 'Andere')) AS v(code, fr, de)
 WHERE t.code = v.code;

-- The documents carry the main language, the translations and which fields are translatable;
-- the daemon answers in the reader's language from them (and never shows `translations`).
CREATE OR REPLACE FUNCTION partner_doc(p partners) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', p.id, 'name', p.name, 'kind', p.kind, 'description', p.description,
        'website', p.website, 'email', p.email, 'phone', p.phone, 'active', p.active,
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
        'active', s.active, 'main_language', s.main_language, 'translations', s.translations,
        'translatable', json_build_array('name', 'description', 'accessibility'),
        'created_at', stek_ts(s.created_at), 'updated_at', stek_ts(s.updated_at)) $$;

CREATE OR REPLACE FUNCTION offer_doc(o offers) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', o.id, 'title', o.title, 'description', o.description, 'site_id', o.site_id,
        'partner_id', o.partner_id, 'functions', to_json(o.functions),
        'categories', to_json(o.categories), 'audience', o.audience, 'free', o.free,
        'price_note', o.price_note, 'registration', o.registration, 'email', o.email,
        'phone', o.phone,
        'schedules', coalesce((SELECT json_agg(schedule_doc(s) ORDER BY s.position)
                               FROM schedules s WHERE s.offer_id = o.id), '[]'::json),
        'active', o.active, 'main_language', o.main_language, 'translations', o.translations,
        'translatable', json_build_array('title', 'description', 'audience', 'price_note'),
        'created_at', stek_ts(o.created_at), 'updated_at', stek_ts(o.updated_at)) $$;

CREATE OR REPLACE FUNCTION exception_doc(e offer_exceptions) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'date', e.date, 'status', e.status, 'start_time', to_char(e.start_time, 'HH24:MI'),
        'end_time', to_char(e.end_time, 'HH24:MI'), 'site_id', e.site_id, 'note', e.note,
        'main_language', e.main_language, 'translations', e.translations,
        'translatable', json_build_array('note')) $$;

CREATE OR REPLACE FUNCTION closure_doc(c site_closures) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('id', c.id, 'site_id', c.site_id, 'from', c.from_date,
        'to', c.to_date, 'note', c.note, 'main_language', c.main_language,
        'translations', c.translations, 'translatable', json_build_array('note'),
        'created_at', stek_ts(c.created_at)) $$;

-- A theme's label in the reader's language ("label"), and every label as before.
CREATE OR REPLACE FUNCTION theme_doc(t themes) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('code', t.code, 'label', t.label_nl, 'label_nl', t.label_nl,
        'label_en', t.label_en, 'label_fr', t.label_fr, 'label_de', t.label_de,
        'main_language', 'nl',
        'translations', jsonb_strip_nulls(jsonb_build_object(
            'en', jsonb_build_object('label', t.label_en),
            'fr', CASE WHEN t.label_fr IS NULL THEN NULL ELSE jsonb_build_object('label', t.label_fr) END,
            'de', CASE WHEN t.label_de IS NULL THEN NULL ELSE jsonb_build_object('label', t.label_de) END)),
        'translatable', json_build_array('label')) $$;
