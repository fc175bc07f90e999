-- Archiving a partner (active = false) stops its keys at once on every daemon:
-- the daemons' copy of the keys carries the partner's state, so a change of it
-- is announced on stek_keys like a change of a key.
CREATE TRIGGER partners_keys_notify AFTER UPDATE OF active ON partners
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION stek_keys_changed();
