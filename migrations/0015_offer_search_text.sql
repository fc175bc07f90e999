-- Issue 14: what the `q` filter searches in an offer (its texts in every language, folded),
-- computed once on write instead of for every row on every search and on every load of the
-- daemons' in-memory feed model (stek_fold over 30,000 offers took most of a load's 0.6 s).
ALTER TABLE offers
    ADD COLUMN search_text text NOT NULL
        GENERATED ALWAYS AS (stek_fold(title || ' ' || coalesce(description, '') || ' '
                                       || stek_translated_text(translations))) STORED;
