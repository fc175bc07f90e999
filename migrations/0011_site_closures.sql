-- Site closures (Christmas, summer, renovation): every occurrence at the site in
-- the period is cancelled in the feed with the closure's note; an explicit
-- exception of an occurrence still wins.
CREATE TABLE site_closures (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id     uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    from_date   date NOT NULL,
    to_date     date NOT NULL,
    note        text CHECK (char_length(note) BETWEEN 1 AND 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT site_closures_order CHECK (to_date >= from_date),
    CONSTRAINT site_closures_length CHECK (to_date - from_date <= 366)
);
CREATE INDEX site_closures_site ON site_closures (site_id, from_date);

-- No two closures of one site overlap. Checked under a lock of the site row, so
-- two concurrent inserts cannot both pass (no btree_gist extension needed).
CREATE FUNCTION stek_closure_no_overlap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        PERFORM 1 FROM sites WHERE id = NEW.site_id FOR UPDATE;
        IF EXISTS (SELECT 1 FROM site_closures c
                    WHERE c.site_id = NEW.site_id AND c.id <> NEW.id
                      AND c.from_date <= NEW.to_date AND c.to_date >= NEW.from_date) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
                CONSTRAINT = 'site_closures_no_overlap',
                MESSAGE = 'the closure overlaps another closure of this site';
        END IF;
        RETURN NEW;
    END $$;
CREATE TRIGGER site_closures_no_overlap BEFORE INSERT OR UPDATE ON site_closures
    FOR EACH ROW EXECUTE FUNCTION stek_closure_no_overlap();

CREATE TRIGGER site_closures_feed AFTER INSERT OR UPDATE OR DELETE ON site_closures
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();

CREATE FUNCTION closure_doc(c site_closures) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('id', c.id, 'site_id', c.site_id, 'from', c.from_date,
        'to', c.to_date, 'note', c.note, 'created_at', stek_ts(c.created_at)) $$;

