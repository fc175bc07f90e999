-- Issue 33, calendars partners already keep: a partner connects a calendar's address (an
-- iCalendar URL such as Google's secret address), and every event of it becomes one offer of
-- that partner at the source's site, kept current by a sync every STEK_CALENDAR_SYNC_MINUTES.
CREATE TABLE calendar_sources (
    -- chosen by the daemon: the address is sealed for this id (secrets.h) before it is stored
    id              uuid PRIMARY KEY,
    partner_id      uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    -- the address as stored: sealed ("sealed:1:...") with STEK_SECRET_KEY_FILE, else as given
    url             text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 4600),
    -- what the API shows of it: the scheme and host, never the secret path
    url_shown       text NOT NULL CHECK (char_length(url_shown) BETWEEN 8 AND 300),
    site_id         uuid NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    functions       text[] NOT NULL CHECK (cardinality(functions) >= 1 AND functions <@
                        ARRAY['meeting', 'learning', 'referral', 'advocacy']),
    categories      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(categories) <= 20),
    main_language   text NOT NULL DEFAULT 'nl' CHECK (main_language IN ('nl', 'fr', 'en', 'de')),
    active          boolean NOT NULL DEFAULT true,
    etag            text CHECK (char_length(etag) <= 300),
    last_modified   text CHECK (char_length(last_modified) <= 100),
    next_sync_at    timestamptz NOT NULL DEFAULT now(),
    last_sync_at    timestamptz,
    last_ok_at      timestamptz,
    failing_since   timestamptz,
    failing_announced_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_sources_partner ON calendar_sources (partner_id, created_at, id);
CREATE INDEX calendar_sources_due ON calendar_sources (next_sync_at) WHERE active;

-- One report per sync: counts, what was refused (uid, field, reason: never a text), the
-- source's HTTP status and the time taken.
CREATE TABLE calendar_runs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    calendar_id uuid NOT NULL REFERENCES calendar_sources (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ms          integer NOT NULL CHECK (ms >= 0),
    ok          boolean NOT NULL,
    http_status integer,
    error       text CHECK (char_length(error) <= 300),
    created     integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    archived    integer NOT NULL DEFAULT 0,
    refused     jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX calendar_runs_list ON calendar_runs (calendar_id, seq DESC);

-- An offer made from an event: its source and the event's UID, and a fingerprint of what the
-- event said (a sync that finds it the same writes nothing).
ALTER TABLE offers ADD COLUMN source_calendar_id uuid REFERENCES calendar_sources (id),
    ADD COLUMN source_uid text CHECK (char_length(source_uid) BETWEEN 1 AND 255),
    ADD COLUMN source_hash text CHECK (source_hash ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT offers_source_whole
        CHECK ((source_calendar_id IS NULL) = (source_uid IS NULL)
               AND (source_calendar_id IS NULL) = (source_hash IS NULL)),
    ADD CONSTRAINT offers_source_uid UNIQUE (source_calendar_id, source_uid);

ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check,
    ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND events <@
        ARRAY['referral.created', 'handoff.arrived', 'barrier.status_changed', 'key.expiring',
              'offer.confirmation_due', 'calendar.failing']);

CREATE FUNCTION calendar_doc(c calendar_sources) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', c.id, 'partner_id', c.partner_id, 'url', c.url_shown, 'site_id', c.site_id,
        'functions', to_json(c.functions), 'categories', to_json(c.categories),
        'main_language', c.main_language, 'active', c.active,
        'last_sync_at', stek_ts(c.last_sync_at), 'last_ok_at', stek_ts(c.last_ok_at),
        'failing_since', stek_ts(c.failing_since), 'next_sync_at', stek_ts(c.next_sync_at),
        'offers', (SELECT count(*) FROM offers o WHERE o.source_calendar_id = c.id AND o.active),
        'created_at', stek_ts(c.created_at), 'updated_at', stek_ts(c.updated_at)) $$;

CREATE FUNCTION calendar_run_doc(r calendar_runs) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', r.id, 'calendar_id', r.calendar_id, 'started_at', stek_ts(r.started_at),
        'ms', r.ms, 'ok', r.ok, 'http_status', r.http_status, 'error', r.error,
        'created', r.created, 'updated', r.updated, 'unchanged', r.unchanged,
        'archived', r.archived, 'refused', r.refused) $$;

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
        'source', CASE WHEN o.source_calendar_id IS NOT NULL THEN json_build_object(
                      'calendar_id', o.source_calendar_id, 'uid', o.source_uid) END,
        'confirmed_at', stek_ts(o.confirmed_at),
        'created_at', stek_ts(o.created_at), 'updated_at', stek_ts(o.updated_at)) $$;
UPDATE offers SET doc = NULL;
