-- Foundation: partner organisations, API keys and the audit trail.
-- Representations (the JSON a client sees) are SQL functions, so that every
-- statement that returns an entity renders it the same way.

CREATE FUNCTION stek_ts(t timestamptz) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE TABLE partners (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    kind        text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 50 AND kind = btrim(kind)),
    description text CHECK (char_length(description) <= 2000),
    website     text CHECK (char_length(website) <= 2048 AND website ~ '^https?://[^[:space:]]+$'),
    email       text CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    phone       text CHECK (phone ~ '^\+?[0-9 ./()-]{6,32}$'),
    active      boolean NOT NULL DEFAULT true,
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Two partners with the same name (in any case) are almost always a mistake.
CREATE UNIQUE INDEX partners_name_key ON partners (lower(name));
CREATE INDEX partners_page ON partners (created_at, id);

CREATE FUNCTION partner_doc(p partners) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', p.id, 'name', p.name, 'kind', p.kind, 'description', p.description,
        'website', p.website, 'email', p.email, 'phone', p.phone, 'active', p.active,
        'created_at', stek_ts(p.created_at), 'updated_at', stek_ts(p.updated_at)) $$;

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    role        text NOT NULL CHECK (role IN ('admin', 'partner')),
    partner_id  uuid REFERENCES partners (id) ON DELETE RESTRICT,
    -- The visible start of the token, so that a leaked token can be identified.
    prefix      text NOT NULL CHECK (prefix ~ '^stek_[0-9a-f]{8}$'),
    -- Only the SHA-256 of the token is kept; the token itself is shown once.
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE INDEX api_keys_page ON api_keys (created_at, id);
CREATE INDEX api_keys_partner ON api_keys (partner_id);

CREATE FUNCTION key_doc(k api_keys) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', k.id, 'name', k.name, 'role', k.role, 'partner_id', k.partner_id,
        'prefix', k.prefix, 'created_at', stek_ts(k.created_at),
        'revoked_at', stek_ts(k.revoked_at)) $$;

CREATE TABLE audit_log (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- NULL when the write came from the command line (stekd create-admin-key).
    key_id      uuid REFERENCES api_keys (id) ON DELETE RESTRICT,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'revoke')),
    entity      text NOT NULL CHECK (entity ~ '^[a-z_]{1,40}$'),
    entity_id   text NOT NULL CHECK (char_length(entity_id) BETWEEN 1 AND 100)
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, seq);

CREATE FUNCTION audit_doc(a audit_log) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', a.id, 'at', stek_ts(a.at), 'key_id', a.key_id, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id) $$;
