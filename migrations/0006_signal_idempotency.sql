-- A signal and its idempotency key are now written by one statement in one
-- round trip (the key refers to the signal; a replay reads the signal back),
-- instead of five statements in a transaction: see create_signal.
ALTER TABLE idempotency_keys ADD COLUMN signal_id uuid REFERENCES signals (id) ON DELETE CASCADE;
ALTER TABLE idempotency_keys DROP COLUMN status;
ALTER TABLE idempotency_keys DROP COLUMN response;
CREATE INDEX idempotency_keys_signal ON idempotency_keys (signal_id);
