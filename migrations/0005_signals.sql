-- Referral and structural signals. No column can hold a visitor's identity:
-- a signal is a theme, a place, a date and, optionally, a short note that the
-- daemon scans for personal data before it is stored and erases after the
-- retention period.

CREATE TABLE themes (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    label_nl    text NOT NULL CHECK (char_length(label_nl) BETWEEN 1 AND 100),
    label_en    text NOT NULL CHECK (char_length(label_en) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO themes (code, label_nl, label_en) VALUES
    ('allowance', 'Verhoogde tegemoetkoming', 'Increased allowance'),
    ('energy', 'Energie', 'Energy'),
    ('forms_and_bills', 'Formulieren en facturen', 'Forms and bills'),
    ('digital', 'Digitale vragen', 'Digital questions'),
    ('housing', 'Wonen', 'Housing'),
    ('health', 'Gezondheid', 'Health'),
    ('mental_health', 'Geestelijke gezondheid', 'Mental health'),
    ('work', 'Werk', 'Work'),
    ('leisure', 'Vrije tijd', 'Leisure'),
    ('food', 'Voedselhulp', 'Food aid'),
    ('family', 'Kinderen en gezin', 'Children and family'),
    ('mobility', 'Mobiliteit', 'Mobility'),
    ('legal', 'Juridische vragen', 'Legal questions'),
    ('language', 'Taal', 'Language'),
    ('other', 'Andere', 'Other');

CREATE FUNCTION theme_doc(t themes) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object('code', t.code, 'label_nl', t.label_nl, 'label_en', t.label_en) $$;

CREATE TABLE signals (
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL CHECK (kind IN ('referral', 'barrier')),
    theme           text NOT NULL REFERENCES themes (code) ON DELETE RESTRICT,
    site_id         uuid NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    occurred_on     date NOT NULL,
    partner_id      uuid NOT NULL REFERENCES partners (id) ON DELETE RESTRICT,
    referred_to_partner_id uuid REFERENCES partners (id) ON DELETE RESTRICT,
    note            text CHECK (char_length(note) BETWEEN 1 AND 500),
    note_erased_at  timestamptz,
    handoff_code    text UNIQUE CHECK (handoff_code ~ '^[2-9A-HJ-NP-Z]{8}$'),
    handoff_expires_on date,
    arrived_at      timestamptz,
    status          text CHECK (status IN ('new', 'in_review', 'raised', 'answered', 'closed')),
    raised_with     text CHECK (char_length(raised_with) BETWEEN 1 AND 500),
    answer          text CHECK (char_length(answer) BETWEEN 1 AND 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'referral' OR referred_to_partner_id IS NULL),
    CHECK ((kind = 'referral') = (handoff_code IS NOT NULL AND handoff_expires_on IS NOT NULL)),
    CHECK (kind = 'referral' OR arrived_at IS NULL),
    CHECK ((kind = 'barrier') = (status IS NOT NULL)),
    CHECK (note IS NULL OR note_erased_at IS NULL)
);
CREATE INDEX signals_partner ON signals (partner_id, seq);
CREATE INDEX signals_referred ON signals (referred_to_partner_id, seq);
CREATE INDEX signals_stats ON signals (occurred_on, theme, site_id);

-- How a barrier moved along the advocacy work: every status change, by whom.
CREATE TABLE signal_history (
    signal_id   uuid NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    key_id      uuid REFERENCES api_keys (id),
    from_status text,
    to_status   text NOT NULL,
    raised_with text,
    answer      text
);
CREATE INDEX signal_history_signal ON signal_history (signal_id, at);

-- Idempotency keys: the first answer to a (partner, key) is replayed for the
-- same body. Kept at least 7 days; the retention job removes older ones.
CREATE TABLE idempotency_keys (
    partner_id    uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    key           text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash  text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    status        integer,
    response      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

CREATE FUNCTION signal_doc(s signals) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', s.id, 'kind', s.kind, 'theme', s.theme, 'site_id', s.site_id,
        'occurred_on', s.occurred_on, 'referred_to_partner_id', s.referred_to_partner_id,
        'note', s.note, 'handoff_code', s.handoff_code,
        'handoff_expires_on', s.handoff_expires_on, 'arrived_at', stek_ts(s.arrived_at),
        'status', s.status, 'raised_with', s.raised_with, 'answer', s.answer,
        'partner_id', s.partner_id, 'created_at', stek_ts(s.created_at),
        'updated_at', stek_ts(s.updated_at)) $$;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check
    CHECK (action IN ('create', 'update', 'delete', 'revoke', 'arrive', 'erase'));
