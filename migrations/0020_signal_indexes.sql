-- Issue 14: the statistics and the public answers of a municipality or a site read that
-- place's signals through an index, not the whole table (EXPLAIN on 120,000 bench signals:
-- a sequential scan of every signal for one municipality's year). The site's signals in
-- date order; the answers given in public, by date.
CREATE INDEX signals_site ON signals (site_id, occurred_on);
CREATE INDEX signals_public_answers ON signals (occurred_on, theme)
    WHERE kind = 'barrier' AND answer_public AND answer IS NOT NULL;
