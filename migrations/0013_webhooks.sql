-- Webhooks: partners subscribe to events; every event is written to an outbox
-- (webhook_deliveries) by a trigger in the same transaction as the change that
-- causes it, so none is lost or invented when a daemon or the database dies
-- between commit and delivery. Delivery is at-least-once; the row's id is the
-- event id the receiver de-duplicates on.
CREATE TABLE webhooks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id      uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    url             text NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2048),
    events          text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@
                        ARRAY['referral.created', 'handoff.arrived', 'barrier.status_changed']),
    description     text CHECK (char_length(description) <= 500),
    secret          text NOT NULL CHECK (secret ~ '^whsec_[0-9a-f]{64}$'),
    previous_secret text CHECK (previous_secret ~ '^whsec_[0-9a-f]{64}$'),
    previous_until  timestamptz,
    active          boolean NOT NULL DEFAULT true,
    paused_reason   text,
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_partner ON webhooks (partner_id, created_at);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type      text NOT NULL,
    payload         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, seq DESC);

-- One outbox row per subscription of partner p to event type t. The payload
-- carries what the signal carries, never a note.
CREATE FUNCTION stek_webhook_enqueue(p uuid, t text, data json) RETURNS void
    LANGUAGE sql
    AS $$ INSERT INTO webhook_deliveries (id, webhook_id, event_type, payload)
          SELECT e.id, w.id, t, json_build_object('id', e.id, 'type', t,
                 'created', stek_ts(now()), 'data', data)::text
            FROM webhooks w CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id) e
           WHERE w.partner_id = p AND t = ANY (w.events) $$; -- paused ones keep them for later

CREATE FUNCTION stek_signal_events() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.kind = 'referral' AND NEW.referred_to_partner_id IS NOT NULL THEN
                PERFORM stek_webhook_enqueue(NEW.referred_to_partner_id, 'referral.created',
                    json_build_object('signal_id', NEW.id, 'kind', NEW.kind, 'theme', NEW.theme,
                        'site_id', NEW.site_id, 'occurred_on', NEW.occurred_on,
                        'handoff_code', NEW.handoff_code,
                        'handoff_expires_on', NEW.handoff_expires_on));
            END IF;
        ELSE
            IF OLD.arrived_at IS NULL AND NEW.arrived_at IS NOT NULL THEN
                PERFORM stek_webhook_enqueue(NEW.partner_id, 'handoff.arrived',
                    json_build_object('signal_id', NEW.id, 'theme', NEW.theme,
                        'site_id', NEW.site_id, 'occurred_on', NEW.occurred_on,
                        'arrived_at', stek_ts(NEW.arrived_at)));
            END IF;
            IF NEW.kind = 'barrier' AND OLD.status IS DISTINCT FROM NEW.status THEN
                PERFORM stek_webhook_enqueue(NEW.partner_id, 'barrier.status_changed',
                    json_build_object('signal_id', NEW.id, 'theme', NEW.theme,
                        'site_id', NEW.site_id, 'from', OLD.status, 'to', NEW.status,
                        'raised_with', NEW.raised_with));
            END IF;
        END IF;
        RETURN NULL;
    END $$;
CREATE TRIGGER signals_events AFTER INSERT OR UPDATE ON signals
    FOR EACH ROW EXECUTE FUNCTION stek_signal_events();

CREATE FUNCTION webhook_doc(w webhooks) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('id', w.id, 'partner_id', w.partner_id, 'url', w.url,
        'events', to_json(w.events), 'description', w.description, 'active', w.active,
        'paused_reason', w.paused_reason, 'previous_secret_until', stek_ts(w.previous_until),
        'created_at', stek_ts(w.created_at), 'updated_at', stek_ts(w.updated_at)) $$;

CREATE FUNCTION delivery_doc(d webhook_deliveries) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('id', d.id, 'event_type', d.event_type,
        'status', d.status, 'attempts', d.attempts, 'last_status', d.last_status,
        'last_error', d.last_error, 'last_attempt_at', stek_ts(d.last_attempt_at),
        'next_attempt_at', CASE WHEN d.status = 'pending' THEN stek_ts(d.next_attempt_at) END,
        'delivered_at', stek_ts(d.delivered_at), 'created_at', stek_ts(d.created_at)) $$;
