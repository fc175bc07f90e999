-- Issue 33, confirmed or quiet: every offer says when it was last confirmed as still true
-- (made, edited, synchronised from its calendar, or confirmed with POST .../confirm). One not
-- confirmed for STEK_CONFIRM_DAYS is stale, and STEK_STALE_GRACE_DAYS later it leaves what
-- the public sees (feed, widget, page, printed month, HSDS, JSON-LD) until it is confirmed.
-- Offers of before count as confirmed on the day this is applied: none goes quiet by it.
ALTER TABLE offers ADD COLUMN confirmed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX offers_confirmed ON offers (confirmed_at) WHERE active;

-- The partner was told (offer.confirmation_due) that the offer confirmed at confirmed_at is
-- nearly stale: once per confirmation. Kept apart from offers, so that the reminder changes
-- nothing the feed shows.
CREATE TABLE offer_reminders (
    offer_id     uuid PRIMARY KEY REFERENCES offers (id) ON DELETE CASCADE,
    confirmed_at timestamptz NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE webhooks DROP CONSTRAINT webhooks_events_check,
    ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) >= 1 AND events <@
        ARRAY['referral.created', 'handoff.arrived', 'barrier.status_changed', 'key.expiring',
              'offer.confirmation_due']);

CREATE OR REPLACE FUNCTION offer_doc(o offers) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', o.id, 'title', o.title, 'kind', o.kind, 'description', o.description,
        'site_id', o.site_id,
        'partner_id', o.partner_id, 'functions', to_json(o.functions),
        'categories', to_json(o.categories), 'audience', o.audience, 'free', o.free,
        'price_note', o.price_note, 'registration', o.registration, 'email', o.email,
        'phone', o.phone,
        'schedules', coalesce((SELECT json_agg(schedule_doc(s) ORDER BY s.position)
                               FROM schedules s WHERE s.offer_id = o.id), '[]'::json),
        'active', o.active, 'main_language', o.main_language, 'translations', o.translations,
        'translatable', json_build_array('title', 'description', 'audience', 'price_note'),
        'confirmed_at', stek_ts(o.confirmed_at),
        'created_at', stek_ts(o.created_at), 'updated_at', stek_ts(o.updated_at)) $$;
UPDATE offers SET doc = NULL;
