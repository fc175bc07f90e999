-- Sites (where), offers (what, by whom), their schedules (when) and per-date
-- exceptions. Schedules hold local dates and wall-clock times; the site's
-- timezone turns them into instants when a feed is rendered.

-- Case- and accent-insensitive text for searching Dutch, French and English names.
CREATE FUNCTION stek_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(translate(t,
        'ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÇçÑñŸÿ',
        'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNnYy')) $$;

-- A timezone is valid when PostgreSQL knows it (the IANA database it ships or uses).
CREATE FUNCTION stek_is_timezone(tz text) RETURNS boolean
    LANGUAGE sql STABLE STRICT
    AS $$ SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz) $$;

-- Great-circle distance in kilometres.
CREATE FUNCTION stek_distance_km(lat1 float8, lon1 float8, lat2 float8, lon2 float8)
    RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT 2 * 6371.0088 * asin(least(1, sqrt(
        sin(radians(lat2 - lat1) / 2) ^ 2 +
        cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2))) $$;

CREATE TABLE sites (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    kind          text CHECK (char_length(kind) BETWEEN 1 AND 100),
    model         text NOT NULL DEFAULT 'stek'
                  CHECK (model IN ('stek', 'mens_shed', 'stuyfplek', 'other')),
    description   text CHECK (char_length(description) <= 4000),
    street        text NOT NULL CHECK (char_length(street) BETWEEN 1 AND 200),
    postal_code   text NOT NULL CHECK (postal_code ~ '^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$'),
    municipality  text NOT NULL CHECK (char_length(municipality) BETWEEN 1 AND 100),
    country       text NOT NULL DEFAULT 'BE' CHECK (country ~ '^[A-Z]{2}$'),
    lat           float8 CHECK (lat BETWEEN -90 AND 90),
    lon           float8 CHECK (lon BETWEEN -180 AND 180),
    timezone      text NOT NULL DEFAULT 'Europe/Brussels'
                  CONSTRAINT sites_timezone_check CHECK (stek_is_timezone(timezone)),
    email         text CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    phone         text CHECK (phone ~ '^\+?[0-9 ./()-]{6,32}$'),
    accessibility text CHECK (char_length(accessibility) <= 2000),
    coordinator_partner_id uuid REFERENCES partners (id) ON DELETE RESTRICT,
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((lat IS NULL) = (lon IS NULL))
);
CREATE INDEX sites_page ON sites (created_at, id);
CREATE INDEX sites_municipality ON sites (stek_fold(municipality));
CREATE INDEX sites_postal_code ON sites (postal_code);
CREATE INDEX sites_coordinator ON sites (coordinator_partner_id);

CREATE FUNCTION site_doc(s sites) RETURNS json
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
        'active', s.active, 'created_at', stek_ts(s.created_at),
        'updated_at', stek_ts(s.updated_at)) $$;

CREATE TABLE offers (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200 AND title = btrim(title)),
    description   text CHECK (char_length(description) <= 4000),
    site_id       uuid NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    partner_id    uuid NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    functions     text[] NOT NULL
                  CHECK (cardinality(functions) >= 1
                         AND functions <@ ARRAY['meeting', 'learning', 'referral', 'advocacy']),
    categories    text[] NOT NULL DEFAULT '{}' CHECK (cardinality(categories) <= 20),
    audience      text CHECK (char_length(audience) <= 500),
    free          boolean NOT NULL DEFAULT true,
    price_note    text CHECK (char_length(price_note) <= 500),
    registration  text NOT NULL DEFAULT 'none' CHECK (registration IN ('none', 'required')),
    email         text CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    phone         text CHECK (phone ~ '^\+?[0-9 ./()-]{6,32}$'),
    active        boolean NOT NULL DEFAULT true,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offers_page ON offers (created_at, id);
CREATE INDEX offers_site ON offers (site_id);
CREATE INDEX offers_partner ON offers (partner_id);

CREATE TABLE schedules (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    offer_id    uuid NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position BETWEEN 0 AND 19),
    -- NULL: at the offer's site.
    site_id     uuid REFERENCES sites (id) ON DELETE RESTRICT,
    dtstart     date NOT NULL,
    until       date CHECK (until >= dtstart),
    rrule       text CHECK (char_length(rrule) BETWEEN 1 AND 500),
    start_time  time NOT NULL,
    end_time    time NOT NULL CHECK (end_time > start_time),
    UNIQUE (offer_id, position)
);
CREATE INDEX schedules_site ON schedules (site_id);

-- One occurrence cancelled or moved. Kept by date, independent of the
-- schedules, so that editing an offer never loses them.
CREATE TABLE offer_exceptions (
    offer_id    uuid NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    date        date NOT NULL,
    status      text NOT NULL CHECK (status IN ('cancelled', 'moved')),
    start_time  time,
    end_time    time,
    site_id     uuid REFERENCES sites (id) ON DELETE RESTRICT,
    note        text CHECK (char_length(note) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (offer_id, date),
    CHECK ((start_time IS NULL) = (end_time IS NULL)),
    CHECK (end_time > start_time),
    CHECK (status = 'moved' OR (start_time IS NULL AND site_id IS NULL)),
    CHECK (status <> 'moved' OR start_time IS NOT NULL OR site_id IS NOT NULL)
);
CREATE INDEX offer_exceptions_site ON offer_exceptions (site_id);

CREATE FUNCTION schedule_doc(s schedules) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', s.id, 'site_id', s.site_id, 'dtstart', s.dtstart, 'until', s.until,
        'rrule', s.rrule, 'start_time', to_char(s.start_time, 'HH24:MI'),
        'end_time', to_char(s.end_time, 'HH24:MI')) $$;

CREATE FUNCTION offer_doc(o offers) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', o.id, 'title', o.title, 'description', o.description, 'site_id', o.site_id,
        'partner_id', o.partner_id, 'functions', to_json(o.functions),
        'categories', to_json(o.categories), 'audience', o.audience, 'free', o.free,
        'price_note', o.price_note, 'registration', o.registration, 'email', o.email,
        'phone', o.phone,
        'schedules', coalesce((SELECT json_agg(schedule_doc(s) ORDER BY s.position)
                               FROM schedules s WHERE s.offer_id = o.id), '[]'::json),
        'active', o.active, 'created_at', stek_ts(o.created_at),
        'updated_at', stek_ts(o.updated_at)) $$;

CREATE FUNCTION exception_doc(e offer_exceptions) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'date', e.date, 'status', e.status, 'start_time', to_char(e.start_time, 'HH24:MI'),
        'end_time', to_char(e.end_time, 'HH24:MI'), 'site_id', e.site_id, 'note', e.note) $$;
