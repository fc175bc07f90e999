-- Daemons cache valid API keys; a revoked or deleted key must stop working
-- everywhere at once, so every change to api_keys is announced on stek_keys.
CREATE FUNCTION stek_keys_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        PERFORM pg_notify('stek_keys', '');
        RETURN NULL;
    END $$;

CREATE TRIGGER api_keys_notify AFTER UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION stek_keys_changed();
