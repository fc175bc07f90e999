-- Answers to barriers that an admin marks public are listed on the advocacy
-- view (GET /v1/stats/answers): by theme and month, never with a signal's note.
ALTER TABLE signals ADD COLUMN answer_public boolean NOT NULL DEFAULT false;
ALTER TABLE signals ADD CONSTRAINT signals_answer_public_needs_answer
    CHECK (NOT answer_public OR answer IS NOT NULL);

CREATE OR REPLACE FUNCTION signal_doc(s signals) RETURNS json
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT json_build_object(
        'id', s.id, 'kind', s.kind, 'theme', s.theme, 'site_id', s.site_id,
        'occurred_on', s.occurred_on, 'referred_to_partner_id', s.referred_to_partner_id,
        'note', s.note, 'handoff_code', s.handoff_code,
        'handoff_expires_on', s.handoff_expires_on, 'arrived_at', stek_ts(s.arrived_at),
        'status', s.status, 'raised_with', s.raised_with, 'answer', s.answer,
        'answer_public', s.answer_public,
        'partner_id', s.partner_id, 'created_at', stek_ts(s.created_at),
        'updated_at', stek_ts(s.updated_at)) $$;
