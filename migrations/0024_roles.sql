-- Issue 32, least privilege: two roles between "everything" and "one partner's own".
--   coordinator: manages the sites in its municipalities and every offer, schedule, exception
--                and closure there (whoever the partner), reads their exact statistics and
--                moves their barriers along; nothing elsewhere.
--   reader:      every authenticated read, no write (auditors, policy staff).
-- A key's role and municipalities never change (a new scope is a new key), so the audit trail
-- shows under which scope each write was made by joining its key.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check,
    ADD CONSTRAINT api_keys_role_check
        CHECK (role IN ('admin', 'partner', 'coordinator', 'reader')),
    ADD COLUMN municipalities text[]
        CHECK (cardinality(municipalities) BETWEEN 1 AND 20
               AND array_position(municipalities, NULL) IS NULL),
    ADD CONSTRAINT api_keys_coordinator_municipalities
        CHECK ((role = 'coordinator') = (municipalities IS NOT NULL));

-- Municipalities are compared folded (case and accents), as the feed's filter does.
CREATE FUNCTION stek_fold_all(names text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(stek_fold(n)), '{}') FROM unnest(names) n $$;

-- The folded municipalities of the sites a record is at (an offer: its site and its
-- schedules' sites); the places of an audit entry. Empty for records with no place.
CREATE FUNCTION stek_places(entity text, entity_id text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(DISTINCT stek_fold(s.municipality)), '{}')
            FROM sites s
           WHERE s.id IN (
                 SELECT id FROM sites WHERE entity = 'site' AND id::text = entity_id
                 UNION ALL SELECT site_id FROM offers
                  WHERE entity IN ('offer', 'offer_exception')
                    AND id::text = split_part(entity_id, '/', 1)
                 UNION ALL SELECT site_id FROM schedules
                  WHERE entity IN ('offer', 'offer_exception')
                    AND offer_id::text = split_part(entity_id, '/', 1)
                 UNION ALL SELECT site_id FROM site_closures
                  WHERE entity = 'site_closure' AND id::text = entity_id
                 UNION ALL SELECT site_id FROM signals
                  WHERE entity = 'signal' AND id::text = entity_id) $$;

-- Every audit entry keeps the places of what it wrote, as they were (a deletion's entry is
-- written before the record goes): a coordinator reads the entries of its municipalities.
ALTER TABLE audit_log ADD COLUMN places text[] NOT NULL DEFAULT '{}';
UPDATE audit_log SET places = stek_places(entity, entity_id);
CREATE INDEX audit_log_places ON audit_log USING gin (places);

-- Whether every place of a record lies within a coordinator's municipalities (false for a
-- record with no place). A record that is gone is judged by where its audit entries were.
CREATE FUNCTION stek_in_scope(scope text[], entity text, entity_id text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN p <> '{}' THEN p <@ stek_fold_all(scope)
                 ELSE EXISTS (SELECT 1 FROM audit_log a
                               WHERE a.entity = stek_in_scope.entity
                                 AND a.entity_id = stek_in_scope.entity_id AND a.places <> '{}')
                      AND NOT EXISTS (SELECT 1 FROM audit_log a
                               WHERE a.entity = stek_in_scope.entity
                                 AND a.entity_id = stek_in_scope.entity_id
                                 AND NOT (a.places <@ stek_fold_all(scope))) END
            FROM stek_places(entity, entity_id) p $$;

CREATE OR REPLACE FUNCTION key_doc(k api_keys) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', k.id, 'name', k.name, 'role', k.role, 'partner_id', k.partner_id,
        'municipalities', k.municipalities,
        'prefix', k.prefix, 'created_at', stek_ts(k.created_at),
        'revoked_at', stek_ts(k.revoked_at), 'expires_at', stek_ts(k.expires_at),
        'last_used_on', k.last_used_on,
        'previous_token_valid_until', CASE WHEN k.previous_valid_until > now()
                                           THEN stek_ts(k.previous_valid_until) END) $$;

-- Who did what under which scope: the key's role and municipalities, and the entry's places.
CREATE OR REPLACE FUNCTION audit_doc(a audit_log) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', a.id, 'at', stek_ts(a.at), 'key_id', a.key_id,
        'role', (SELECT role FROM api_keys WHERE id = a.key_id),
        'scope', (SELECT municipalities FROM api_keys WHERE id = a.key_id),
        'places', a.places, 'action', a.action,
        'entity', a.entity, 'entity_id', a.entity_id, 'fields', a.fields) $$;
