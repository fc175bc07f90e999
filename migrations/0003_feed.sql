-- The activity feed: a site filter shared by the feed's statement, and
-- notifications that tell every daemon (LISTEN stek_feed) that feed data
-- changed, so that cached feeds are dropped within a second.

CREATE FUNCTION stek_site_matches(s sites, municipality text, postal_code text, site uuid,
                                  lat float8, lon float8, radius_km float8)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT s.active
        AND (municipality IS NULL OR stek_fold(s.municipality) = stek_fold(municipality))
        AND (postal_code IS NULL OR s.postal_code = postal_code)
        AND (site IS NULL OR s.id = site)
        AND (lat IS NULL OR (s.lat IS NOT NULL
             AND stek_distance_km(lat, lon, s.lat, s.lon) <= radius_km)) $$;

CREATE FUNCTION stek_feed_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        PERFORM pg_notify('stek_feed', TG_TABLE_NAME);
        RETURN NULL;
    END $$;

CREATE TRIGGER partners_feed AFTER INSERT OR UPDATE OR DELETE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();
CREATE TRIGGER sites_feed AFTER INSERT OR UPDATE OR DELETE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();
CREATE TRIGGER offers_feed AFTER INSERT OR UPDATE OR DELETE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();
CREATE TRIGGER schedules_feed AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();
CREATE TRIGGER offer_exceptions_feed AFTER INSERT OR UPDATE OR DELETE ON offer_exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION stek_feed_changed();

-- Schedules in a window: by dates.
CREATE INDEX schedules_window ON schedules (dtstart, until);
CREATE INDEX offers_active ON offers (site_id) WHERE active;
