-- Issue 14: an offer's document is kept with it, built when the offer or its schedules change
-- instead of on every read (a municipality's list of 100 offers spent 5 of its 6 ms of SQL
-- building them). offer_doc stays the one definition; a migration that changes it must end
-- with UPDATE offers SET doc = NULL (the trigger rebuilds each).
ALTER TABLE offers ADD COLUMN doc json;

CREATE FUNCTION offers_doc() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        NEW.doc := offer_doc(NEW);
        RETURN NEW;
    END $$;
CREATE TRIGGER offers_doc BEFORE INSERT OR UPDATE ON offers
    FOR EACH ROW EXECUTE FUNCTION offers_doc();

-- A change of schedules rebuilds their offers' documents (offers_doc does the work).
CREATE FUNCTION schedules_offer_doc() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE offers SET doc = NULL WHERE id IN (SELECT offer_id FROM new_rows);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE offers SET doc = NULL WHERE id IN (SELECT offer_id FROM old_rows);
        END IF;
        RETURN NULL;
    END $$;
CREATE TRIGGER schedules_offer_doc_insert AFTER INSERT ON schedules
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schedules_offer_doc();
CREATE TRIGGER schedules_offer_doc_update AFTER UPDATE ON schedules
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schedules_offer_doc();
CREATE TRIGGER schedules_offer_doc_delete AFTER DELETE ON schedules
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION schedules_offer_doc();

UPDATE offers SET doc = NULL;
ALTER TABLE offers ALTER COLUMN doc SET NOT NULL;
