-- Daemons now keep every API key in memory (authentication needs no database
-- connection), so a new key must be announced too, not only a revoked one.
CREATE OR REPLACE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION stek_keys_changed();
