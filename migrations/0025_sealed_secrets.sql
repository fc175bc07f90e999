-- Issue 32, secrets sealed at rest: a webhook's signing secret (and the previous one during a
-- rotation) is stored either as it is (no STEK_SECRET_KEY_FILE) or sealed under the operator's
-- key: "sealed:1:<key id>:<hex of nonce, AES-256-GCM ciphertext, tag>" (service/stekd/
-- secrets.c). The key id says which key of the ring opens it; a dump alone opens nothing.
ALTER TABLE webhooks DROP CONSTRAINT webhooks_secret_check,
    DROP CONSTRAINT webhooks_previous_secret_check,
    ADD CONSTRAINT webhooks_secret_check
        CHECK (secret ~ '^whsec_[0-9a-f]{64}$'
               OR (secret ~ '^sealed:1:[0-9a-f]{8}:([0-9a-f]{2})+$'
                   AND char_length(secret) BETWEEN 18 + 56 AND 400)),
    ADD CONSTRAINT webhooks_previous_secret_check
        CHECK (previous_secret ~ '^whsec_[0-9a-f]{64}$'
               OR (previous_secret ~ '^sealed:1:[0-9a-f]{8}:([0-9a-f]{2})+$'
                   AND char_length(previous_secret) BETWEEN 18 + 56 AND 400));
