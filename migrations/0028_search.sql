-- stek:compatible
-- Issue 34: one search behind `q` (offers, sites, partners; the feed, the widget and page, HSDS
-- search=). A record's texts are cut into words (folded as stek_fold does, split at anything but
-- a-z and 0-9), stop words left out, and each word kept with its Snowball stem in the text's
-- language (the main language for the record's own fields, each translation's for its own),
-- and each pair of neighbouring words joined ("repair cafe" also as "repaircafe"). The daemon
-- analyses a query the same way (domain/search.c, libstemmer: the same Snowball 2.2 stemmers),
-- finds the parts of compounds and one-typo neighbours in search_words, and asks for every word
-- of the query: any of its forms among the record's terms (db/statements.def, SEARCH_HITS). The old search_text stays for a
-- daemon of the release before (expand, then contract: README "Upgrading").

-- The Snowball stemmers without their stop word lists: stek's list is one for all languages.
-- The functions below have SQL-standard bodies (BEGIN ATOMIC): PostgreSQL resolves what they
-- call when they are made and records it, so pg_dump restores them (and the generated columns
-- that call them) in an order that works, whatever the search_path.
CREATE TEXT SEARCH DICTIONARY stek_stem_nl (TEMPLATE = snowball, Language = dutch);
CREATE TEXT SEARCH DICTIONARY stek_stem_fr (TEMPLATE = snowball, Language = french);
CREATE TEXT SEARCH DICTIONARY stek_stem_de (TEMPLATE = snowball, Language = german);
CREATE TEXT SEARCH DICTIONARY stek_stem_en (TEMPLATE = snowball, Language = english);

-- The words a search leaves out, in every language: the union of the Snowball stop word lists
-- of Dutch, French, German and English (as PostgreSQL ships them), folded. The daemon reads
-- them from here at start (db/search.c): one list.
CREATE FUNCTION stek_search_stopwords() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT ARRAY[
        'a', 'aan', 'aber', 'about', 'above', 'after', 'again', 'against', 'ai', 'aie', 'aient',
        'aies', 'ait', 'al', 'all', 'alle', 'allem', 'allen', 'aller', 'alles', 'als', 'also',
        'altijd', 'am', 'an', 'and', 'ander', 'andere', 'anderem', 'anderen', 'anderer',
        'anderes', 'anderm', 'andern', 'anderr', 'anders', 'any', 'are', 'as', 'at', 'au',
        'auch', 'auf', 'aura', 'aurai', 'auraient', 'aurais', 'aurait', 'auras', 'aurez',
        'auriez', 'aurions', 'aurons', 'auront', 'aus', 'aux', 'avaient', 'avais', 'avait',
        'avec', 'avez', 'aviez', 'avions', 'avons', 'ayant', 'ayante', 'ayantes', 'ayants',
        'ayez', 'ayons', 'be', 'because', 'been', 'before', 'bei', 'being', 'below', 'ben',
        'between', 'bij', 'bin', 'bis', 'bist', 'both', 'but', 'by', 'c', 'can', 'ce', 'ces',
        'd', 'da', 'daar', 'damit', 'dan', 'dann', 'dans', 'das', 'dasselbe', 'dat', 'dazu',
        'de', 'dein', 'deine', 'deinem', 'deinen', 'deiner', 'deines', 'dem', 'demselben', 'den',
        'denn', 'denselben', 'der', 'derer', 'derselbe', 'derselben', 'des', 'desselben',
        'dessen', 'deze', 'dich', 'did', 'die', 'dies', 'diese', 'dieselbe', 'dieselben',
        'diesem', 'diesen', 'dieser', 'dieses', 'dir', 'dit', 'do', 'doch', 'doen', 'does',
        'doing', 'don', 'door', 'dort', 'down', 'du', 'durch', 'during', 'dus', 'each', 'een',
        'eens', 'ein', 'eine', 'einem', 'einen', 'einer', 'eines', 'einig', 'einige', 'einigem',
        'einigen', 'einiger', 'einiges', 'einmal', 'elle', 'en', 'er', 'es', 'est', 'et',
        'etaient', 'etais', 'etait', 'etant', 'etante', 'etantes', 'etants', 'ete', 'etee',
        'etees', 'etes', 'etiez', 'etions', 'etwas', 'eu', 'euch', 'eue', 'euer', 'eues',
        'eumes', 'eure', 'eurem', 'euren', 'eurent', 'eurer', 'eures', 'eus', 'eusse', 'eussent',
        'eusses', 'eussiez', 'eussions', 'eut', 'eutes', 'eux', 'few', 'for', 'from', 'fumes',
        'fur', 'furent', 'further', 'fus', 'fusse', 'fussent', 'fusses', 'fussiez', 'fussions',
        'fut', 'futes', 'ge', 'geen', 'gegen', 'geweest', 'gewesen', 'haar', 'hab', 'habe',
        'haben', 'had', 'has', 'hat', 'hatte', 'hatten', 'have', 'having', 'he', 'heb', 'hebben',
        'heeft', 'hem', 'her', 'here', 'hers', 'herself', 'het', 'hier', 'hij', 'him', 'himself',
        'hin', 'hinter', 'his', 'hoe', 'how', 'hun', 'i', 'ich', 'iemand', 'iets', 'if', 'ihm',
        'ihn', 'ihnen', 'ihr', 'ihre', 'ihrem', 'ihren', 'ihrer', 'ihres', 'ik', 'il', 'im',
        'in', 'indem', 'ins', 'into', 'is', 'ist', 'it', 'its', 'itself', 'j', 'ja', 'je',
        'jede', 'jedem', 'jeden', 'jeder', 'jedes', 'jene', 'jenem', 'jenen', 'jener', 'jenes',
        'jetzt', 'just', 'kan', 'kann', 'kein', 'keine', 'keinem', 'keinen', 'keiner', 'keines',
        'kon', 'konnen', 'konnte', 'kunnen', 'l', 'la', 'le', 'leur', 'lui', 'm', 'ma', 'maar',
        'machen', 'mais', 'man', 'manche', 'manchem', 'manchen', 'mancher', 'manches', 'me',
        'meer', 'mein', 'meine', 'meinem', 'meinen', 'meiner', 'meines', 'meme', 'men', 'mes',
        'met', 'mich', 'mij', 'mijn', 'mir', 'mit', 'moet', 'moi', 'mon', 'more', 'most', 'muss',
        'musste', 'my', 'myself', 'n', 'na', 'naar', 'nach', 'ne', 'nicht', 'nichts', 'niet',
        'niets', 'no', 'noch', 'nog', 'nor', 'nos', 'not', 'notre', 'nous', 'now', 'nu', 'nun',
        'nur', 'ob', 'oder', 'of', 'off', 'ohne', 'om', 'omdat', 'on', 'once', 'onder', 'only',
        'ons', 'ont', 'ook', 'op', 'or', 'other', 'ou', 'our', 'ours', 'ourselves', 'out',
        'over', 'own', 'par', 'pas', 'pour', 'qu', 'que', 'qui', 'reeds', 's', 'sa', 'same',
        'se', 'sehr', 'sein', 'seine', 'seinem', 'seinen', 'seiner', 'seines', 'selbst', 'sera',
        'serai', 'seraient', 'serais', 'serait', 'seras', 'serez', 'seriez', 'serions', 'serons',
        'seront', 'ses', 'she', 'should', 'sich', 'sie', 'sind', 'so', 'soient', 'sois', 'soit',
        'solche', 'solchem', 'solchen', 'solcher', 'solches', 'soll', 'sollte', 'some', 'sommes',
        'son', 'sondern', 'sonst', 'sont', 'soyez', 'soyons', 'such', 'suis', 'sur', 't', 'ta',
        'te', 'tegen', 'tes', 'than', 'that', 'the', 'their', 'theirs', 'them', 'themselves',
        'then', 'there', 'these', 'they', 'this', 'those', 'through', 'to', 'toch', 'toen',
        'toi', 'ton', 'too', 'tot', 'tu', 'u', 'uber', 'uit', 'um', 'un', 'und', 'under', 'une',
        'uns', 'unse', 'unsem', 'unsen', 'unser', 'unses', 'unter', 'until', 'up', 'uw', 'van',
        'veel', 'very', 'viel', 'vom', 'von', 'voor', 'vor', 'vos', 'votre', 'vous', 'wahrend',
        'want', 'war', 'waren', 'warst', 'was', 'wat', 'we', 'weg', 'weil', 'weiter', 'welche',
        'welchem', 'welchen', 'welcher', 'welches', 'wenn', 'werd', 'werde', 'werden', 'were',
        'wezen', 'what', 'when', 'where', 'which', 'while', 'who', 'whom', 'why', 'wie',
        'wieder', 'wil', 'will', 'wir', 'wird', 'wirst', 'with', 'wo', 'wollen', 'wollte',
        'worden', 'wordt', 'wurde', 'wurden', 'y', 'you', 'your', 'yours', 'yourself',
        'yourselves', 'zal', 'ze', 'zelf', 'zich', 'zij', 'zijn', 'zo', 'zonder', 'zou', 'zu',
        'zum', 'zur', 'zwar', 'zwischen'
    ]::text[];
    END;

CREATE FUNCTION stek_stem(w text, lang text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    BEGIN ATOMIC
        SELECT coalesce((CASE lang
        WHEN 'nl' THEN ts_lexize('stek_stem_nl', w)
        WHEN 'fr' THEN ts_lexize('stek_stem_fr', w)
        WHEN 'de' THEN ts_lexize('stek_stem_de', w)
        ELSE ts_lexize('stek_stem_en', w) END)[1], w);
    END;

-- A text as search cuts it: the letters stek_fold translates folded, anything else that is
-- not A-Z, a-z or 0-9 a space, then lower case (after: lower() of a letter outside ASCII
-- depends on the database's locale; the daemon cuts a query the same way, domain/search.c).
CREATE FUNCTION stek_search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    BEGIN ATOMIC
        SELECT lower(regexp_replace(translate(t,
        'ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÇçÑñŸÿ',
        'AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNnYy'), '[^A-Za-z0-9]', ' ', 'g'));
    END;

-- The terms of one text in one language: each word, its stem, each pair of neighbouring words
-- (of letters only: "buurt 12" stays two) joined and that join's stem.
CREATE FUNCTION stek_search_terms(t text, lang text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        WITH w AS (
            SELECT x.w, row_number() OVER (ORDER BY x.i) AS i
              FROM regexp_split_to_table(stek_search_fold(coalesce(t, '')), ' +')
                   WITH ORDINALITY AS x (w, i)
             WHERE x.w <> '' AND x.w <> ALL (stek_search_stopwords())),
          j AS (SELECT a.w || b.w AS w FROM w a JOIN w b ON b.i = a.i + 1
                 WHERE a.w !~ '[0-9]' AND b.w !~ '[0-9]')
        SELECT w FROM w UNION SELECT stek_stem(w, lang) FROM w
        UNION SELECT w FROM j UNION SELECT stek_stem(w, lang) FROM j;
    END;

-- A record's terms: its own fields (texts, in its main language) and each translation's
-- fields (only those named in `fields`, all when NULL), sorted, each once.
CREATE FUNCTION stek_search_doc(texts text, lang text, translations jsonb, fields text[])
    RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT ARRAY(SELECT DISTINCT u FROM (
              SELECT stek_search_terms(texts, lang) AS u
              UNION ALL
              SELECT stek_search_terms(f.value, l.key)
                FROM jsonb_each(coalesce(translations, '{}')) l, jsonb_each_text(l.value) f
               WHERE fields IS NULL OR f.key = ANY (fields)) s ORDER BY u);
    END;

ALTER TABLE offers
    ADD COLUMN search_terms text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        title || ' ' || coalesce(description, ''), main_language, translations, NULL)) STORED,
    ADD COLUMN search_title text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        title, main_language, translations, '{title}')) STORED;
CREATE INDEX offers_search ON offers USING gin (search_terms);

ALTER TABLE sites
    ADD COLUMN search_terms text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        name || ' ' || coalesce(description, ''), main_language, translations, NULL)) STORED,
    ADD COLUMN search_title text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        name, main_language, translations, '{name}')) STORED;
CREATE INDEX sites_search ON sites USING gin (search_terms);

ALTER TABLE partners
    ADD COLUMN search_terms text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        name || ' ' || coalesce(description, ''), main_language, translations, NULL)) STORED,
    ADD COLUMN search_title text[] NOT NULL GENERATED ALWAYS AS (stek_search_doc(
        name, main_language, translations, '{name}')) STORED;

-- Every term a record ever had (never removed: a term no record has any more finds nothing),
-- for the parts of compounds ("fiets" in "fietsherstel": terms that begin or end with a word)
-- and one-typo neighbours. In byte order ("C"), so a prefix is a range; drow for suffixes.
CREATE TABLE search_words (
    word  text COLLATE "C" PRIMARY KEY CHECK (word ~ '^[a-z0-9]+$'),
    drow  text COLLATE "C" NOT NULL GENERATED ALWAYS AS (reverse(word)) STORED
);
CREATE INDEX search_words_drow ON search_words (drow);

CREATE FUNCTION stek_search_words_add() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        -- in byte order: two writers adding the same new words take them in the same order
        INSERT INTO search_words (word)
            SELECT DISTINCT t FROM changed, unnest(changed.search_terms) t ORDER BY 1
            ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$;
-- An update adds the row's terms only when they changed (a confirmation, a document, an archive
-- change none).
CREATE FUNCTION stek_search_words_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN
        INSERT INTO search_words (word)
            SELECT DISTINCT t FROM unnest(NEW.search_terms) t ORDER BY 1 ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$;
CREATE TRIGGER offers_search_words_insert AFTER INSERT ON offers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION stek_search_words_add();
CREATE TRIGGER offers_search_words_update AFTER UPDATE ON offers FOR EACH ROW
    WHEN (OLD.search_terms IS DISTINCT FROM NEW.search_terms) EXECUTE FUNCTION stek_search_words_row();
CREATE TRIGGER sites_search_words_insert AFTER INSERT ON sites
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION stek_search_words_add();
CREATE TRIGGER sites_search_words_update AFTER UPDATE ON sites FOR EACH ROW
    WHEN (OLD.search_terms IS DISTINCT FROM NEW.search_terms) EXECUTE FUNCTION stek_search_words_row();
CREATE TRIGGER partners_search_words_insert AFTER INSERT ON partners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION stek_search_words_add();
CREATE TRIGGER partners_search_words_update AFTER UPDATE ON partners FOR EACH ROW
    WHEN (OLD.search_terms IS DISTINCT FROM NEW.search_terms) EXECUTE FUNCTION stek_search_words_row();
INSERT INTO search_words (word)
    SELECT DISTINCT t FROM (SELECT unnest(search_terms) t FROM offers
                            UNION SELECT unnest(search_terms) FROM sites
                            UNION SELECT unnest(search_terms) FROM partners) s
    ORDER BY 1 ON CONFLICT DO NOTHING;

-- Synonyms (nl/fr/de/en; an administrator adds more through /v1/search/synonyms): a query word
-- or pair of words that is one of a group's terms (by word or by stem) also finds the others.
-- Several words in a term mean those words next to each other ("repair café").
CREATE TABLE search_synonyms (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    language    text NOT NULL CHECK (language IN ('nl', 'fr', 'en', 'de')),
    terms       text[] NOT NULL CHECK (cardinality(terms) BETWEEN 2 AND 20),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION stek_search_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN PERFORM pg_notify('stek_search', ''); RETURN NULL; END $$;
CREATE TRIGGER search_synonyms_notify AFTER INSERT OR UPDATE OR DELETE ON search_synonyms
    FOR EACH STATEMENT EXECUTE FUNCTION stek_search_notify();

INSERT INTO search_synonyms (language, terms) VALUES
    ('nl', ARRAY['papieren', 'formulieren', 'brieven', 'administratie', 'paperassen',
                 'administratieve hulp']),
    ('nl', ARRAY['repair café', 'herstelcafé', 'repaircafé', 'reparatiecafé']),
    ('nl', ARRAY['fietsherstel', 'fietsreparatie', 'fietsatelier', 'fietsen herstellen']),
    ('nl', ARRAY['schulden', 'schuldhulp', 'geldzorgen', 'budgethulp', 'schuldhulpverlening']),
    ('nl', ARRAY['taalcafé', 'praatcafé', 'babbelcafé', 'taaloefening']),
    ('nl', ARRAY['computerhulp', 'digitale hulp', 'digicafé', 'computer', 'smartphone']),
    ('nl', ARRAY['eenzaamheid', 'eenzaam', 'ontmoeting', 'gezelschap']),
    ('fr', ARRAY['papiers', 'formulaires', 'courrier', 'aide administrative', 'démarches']),
    ('fr', ARRAY['repair café', 'café réparation', 'atelier réparation']),
    ('fr', ARRAY['dettes', 'endettement', 'surendettement', 'médiation de dettes', 'budget']),
    ('fr', ARRAY['table de conversation', 'café langues', 'conversation']),
    ('fr', ARRAY['vélo', 'bicyclette', 'atelier vélo']),
    ('de', ARRAY['formulare', 'briefe', 'papierkram', 'behördenpost', 'amtspost']),
    ('de', ARRAY['repair café', 'reparaturcafé', 'reparatur café']),
    ('de', ARRAY['schulden', 'schuldnerberatung', 'geldsorgen']),
    ('de', ARRAY['sprachcafé', 'sprachtreff', 'gesprächsrunde']),
    ('en', ARRAY['forms', 'letters', 'paperwork', 'admin help']),
    ('en', ARRAY['repair café', 'fix it café', 'fixing café']),
    ('en', ARRAY['debt', 'debts', 'money worries', 'debt advice']),
    ('en', ARRAY['language café', 'conversation table', 'language exchange']),
    ('en', ARRAY['bike', 'bicycle', 'cycle repair']);
