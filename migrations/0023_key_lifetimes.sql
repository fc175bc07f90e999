-- Issue 32, keys that expire and rotate. Every key has an end (a key made without one gets the
-- longest its role may have: STEK_KEY_MAX_DAYS_ADMIN, STEK_KEY_MAX_DAYS); keys made before get
-- the defaults from now on (90 days for an admin key, 365 for the others), so that none stops
-- working the day this is applied. A rotation keeps the replaced token's hash for a grace
-- period, and the day a key was last used is kept (a day, never a time).
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
UPDATE api_keys SET expires_at = now() + CASE role WHEN 'admin' THEN interval '90 days'
                                                   ELSE interval '365 days' END;
ALTER TABLE api_keys ALTER COLUMN expires_at SET NOT NULL,
    ADD CONSTRAINT api_keys_expires_after_creation CHECK (expires_at > created_at),
    ADD COLUMN previous_token_hash text UNIQUE CHECK (previous_token_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN previous_valid_until timestamptz,
    ADD COLUMN last_used_on date,
    ADD CONSTRAINT api_keys_previous_whole
        CHECK ((previous_token_hash IS NULL) = (previous_valid_until IS NULL));

CREATE OR REPLACE FUNCTION key_doc(k api_keys) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', k.id, 'name', k.name, 'role', k.role, 'partner_id', k.partner_id,
        'prefix', k.prefix, 'created_at', stek_ts(k.created_at),
        'revoked_at', stek_ts(k.revoked_at), 'expires_at', stek_ts(k.expires_at),
        'last_used_on', k.last_used_on,
        'previous_token_valid_until', CASE WHEN k.previous_valid_until > now()
                                           THEN stek_ts(k.previous_valid_until) END) $$;

-- A partner's key that ends within 14 days is announced once to that partner's webhooks
-- (event key.expiring); a rotation gives the key a new end and a new announcement.
ALTER TABLE api_keys ADD COLUMN expiry_announced_at timestamptz;
ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check,
    ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND events <@
        ARRAY['referral.created', 'handoff.arrived', 'barrier.status_changed', 'key.expiring']);

-- The daemons' copies of the keys follow what authentication reads; the day of last use,
-- written once a day per key, moves nothing.
DROP TRIGGER api_keys_notify ON api_keys;
CREATE TRIGGER api_keys_notify_rows AFTER INSERT OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION stek_keys_changed();
CREATE TRIGGER api_keys_notify AFTER UPDATE OF token_hash, previous_token_hash,
    previous_valid_until, revoked_at, expires_at, role, partner_id ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION stek_keys_changed();
