-- Issue 29: the feed's change log. Every write to data the feed shows records, in the same
-- transaction, which record changed: an offer (its row, schedules or exceptions), a site (its
-- row or closures) or a partner. A daemon reads the entries after the last one its in-memory
-- model holds and reads again just those records (db/model.c); NOTIFY stek_feed (migration
-- 0003) only says when to look. Entries hold ids, never texts. Trimmed after a day by the
-- daemons; a daemon that holds less than the oldest entry loads everything again.
CREATE TABLE feed_changes (
    seq     bigserial PRIMARY KEY,
    entity  text NOT NULL CHECK (entity IN ('offer', 'site', 'partner')),
    id      uuid NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feed_changes_at ON feed_changes (at);

-- The last entry trimmed away (one row).
CREATE TABLE feed_changes_trimmed (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    upto  bigint NOT NULL DEFAULT 0
);
INSERT INTO feed_changes_trimmed DEFAULT VALUES;

-- One writer of feed data at a time, from its first write to its commit: so entries commit in
-- the order of their seq, and a reader that has seen an entry never finds a smaller one
-- appear later. Taken before a statement's own row locks (a BEFORE STATEMENT trigger), so
-- two writers wait for each other here rather than deadlock on rows. Feed data is written
-- by administrators and partners, a few times a second at most; signals never take it.
CREATE FUNCTION stek_feed_lock() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('stek_feed_changes'));
        RETURN NULL;
    END $$;

-- TG_ARGV[0]: the entity; TG_ARGV[1]: the column that holds its id. One entry per record and
-- transaction where the rows come in a run (an offer's row, its schedules, its document): the
-- last entry written is remembered in a transaction-local setting, cheaper than an INSERT.
-- The lock is held already (stek_feed_lock ran before the statement).
CREATE FUNCTION stek_feed_log() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        now_id uuid;
        was_id uuid;
        last text := current_setting('stek.feed_logged', true);
    BEGIN
        IF TG_ARGV[1] = 'offer_id' THEN
            IF TG_OP <> 'DELETE' THEN now_id := NEW.offer_id; END IF;
            IF TG_OP <> 'INSERT' THEN was_id := OLD.offer_id; END IF;
        ELSIF TG_ARGV[1] = 'site_id' THEN
            IF TG_OP <> 'DELETE' THEN now_id := NEW.site_id; END IF;
            IF TG_OP <> 'INSERT' THEN was_id := OLD.site_id; END IF;
        ELSE
            IF TG_OP <> 'DELETE' THEN now_id := NEW.id; END IF;
            IF TG_OP <> 'INSERT' THEN was_id := OLD.id; END IF;
        END IF;
        IF was_id IS NOT NULL AND was_id IS DISTINCT FROM now_id
           AND last IS DISTINCT FROM TG_ARGV[0] || was_id THEN
            INSERT INTO feed_changes (entity, id) VALUES (TG_ARGV[0], was_id);
            last := TG_ARGV[0] || was_id;
        END IF;
        IF now_id IS NOT NULL AND last IS DISTINCT FROM TG_ARGV[0] || now_id THEN
            INSERT INTO feed_changes (entity, id) VALUES (TG_ARGV[0], now_id);
            last := TG_ARGV[0] || now_id;
        END IF;
        PERFORM set_config('stek.feed_logged', last, true);
        RETURN NULL;
    END $$;

-- On each table the feed shows: the lock before a statement, the log entry after each row.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('partners', 'partner', 'id'),
                                   ('sites', 'site', 'id'),
                                   ('site_closures', 'site', 'site_id'),
                                   ('offers', 'offer', 'id'),
                                   ('schedules', 'offer', 'offer_id'),
                                   ('offer_exceptions', 'offer', 'offer_id')) v(tab, entity, col)
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_lock()',
                       t.tab || '_feed_lock', t.tab);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION stek_feed_log(%L, %L)',
                       t.tab || '_feed_log', t.tab, t.entity, t.col);
    END LOOP;
END $$;
