-- Privacy against an attacker (issue 11).
--
-- 1. Statistics: every signal gets a secret random record key. The published
--    statistics perturb each small cell by a function of the sum of its
--    signals' record keys (the cell key method), so the same set of signals
--    always gives the same numbers. The key is never shown by the API.
ALTER TABLE signals ADD COLUMN stat_key bigint NOT NULL
    DEFAULT ('x' || substr(md5(gen_random_uuid()::text), 1, 8))::bit(32)::bigint
    CONSTRAINT signals_stat_key_range CHECK (stat_key BETWEEN 0 AND 4294967295);

-- 2. Idempotency keys are stored as a keyed hash, never as sent (a client may
--    build a key from something personal). The secret is random per database.
CREATE TABLE stek_secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL CHECK (length(value) >= 32)
);
INSERT INTO stek_secrets (name, value) VALUES
    ('idempotency', decode(md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text), 'hex'));

CREATE FUNCTION stek_key_hash(key text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT encode(sha256((SELECT value FROM stek_secrets WHERE name = 'idempotency')
                               || convert_to(key, 'UTF8')), 'hex') $$;

UPDATE idempotency_keys SET key = stek_key_hash(key);
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_hashed
    CHECK (key ~ '^[0-9a-f]{64}$');
