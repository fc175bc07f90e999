/*
 * Search (issue 34; service/stekd/domain/search.c): what `q` means everywhere it is taken (the
 * offers, sites and partners lists, the feed with its widget and page, HSDS search=).
 *
 * A record's terms are made by the database (migration 0028, generated columns): its texts
 * folded as stek_fold does and cut at anything but a-z and 0-9, stop words left out, each word
 * with its Snowball stem in the text's language, each pair of neighbouring words joined. A
 * query is analysed here the same way, with libstemmer (the same Snowball stemmers as
 * PostgreSQL's; a test holds them equal). Each query word becomes a group of forms a record may
 * have (the word, its stem in each of nl/fr/de/en, a synonym's forms: weight 2), widened
 * through a vocabulary of every term records have (search_words, or the model's copy) with the
 * terms that begin or end with one of those forms (the parts of a compound: weight 1) and, for
 * words of five letters or more, the terms one typo away (a letter added, dropped, changed or
 * two neighbours swapped: weight 1). A record matches when every group has a form among its
 * terms; the database ranks (SEARCH_HITS in statements.def), the model only filters: both read the
 * same groups, so they find the same records.
 */
#ifndef STEK_SEARCH_H
#define STEK_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEARCH_Q_MAX 200   /* characters of q */
#define SEARCH_WORDS_MAX 8 /* words of q besides stop words */
#define SEARCH_WORD_MAX 64 /* bytes of a folded word (longer ones are not searched) */
#define SEARCH_MIN_PART 4  /* a form that finds compounds has at least this many letters */
#define SEARCH_MIN_TYPO 5  /* a word forgives a typo from this many letters */

/* The letters stek_fold translates (two bytes each, UTF-8), and what to (one each): migration
 * 0002's table, for every fold the daemon does as PostgreSQL does. */
extern const char stek_fold_from[], stek_fold_to[];

/* Stop words (sorted) and synonym groups: read from the database (db/search.c). */
struct search_synonyms {
    char *id, *language;
    char **terms; /* as given */
    char **keys;  /* each term folded, stop words out, its words joined ("repaircafe") */
    size_t n;
    char **forms; /* the keys and their stems in each language, each once (search_prepare) */
    size_t nforms;
};

struct search_config {
    char **stop;
    size_t nstop;
    struct search_synonyms *syn;
    size_t nsyn;
};

/* A form of a query word: its group (1..ngroups), weight and term. */
struct search_alt {
    uint32_t group;
    int weight;
    uint64_t hash; /* search_hash(term) */
    char *term;
};

/* A question to a vocabulary: the terms from key to key + "~" in byte order (of the reversed
 * terms when reversed) with a length in [minlen, maxlen]. Each one found goes to
 * search_probe_hit. */
struct search_probe {
    uint32_t group;
    bool typo, reversed;
    int minlen, maxlen;
    char key[SEARCH_WORD_MAX];
    char word[SEARCH_WORD_MAX]; /* typo: the query word */
};

struct search_query {
    size_t ngroups;
    struct search_alt *alts;
    size_t nalts, cap;
    size_t *hidx, hcap; /* while built: an index of alts by (group, term) */
    struct search_probe *probes;
    size_t nprobes, pcap;
    char *sql_g, *sql_w, *sql_t; /* the groups as PostgreSQL arrays (search_finish) */
    /* every form's hash, and the groups it is a form of (open addressing, a power of 2) */
    struct search_slot {
        uint64_t hash;
        unsigned groups; /* 0: empty */
    } * slots;
    size_t nslots;
};

enum search_error {
    SEARCH_OK,
    SEARCH_EMPTY,      /* no word at all */
    SEARCH_TOO_LONG,   /* over SEARCH_Q_MAX characters */
    SEARCH_STOP_WORDS, /* only stop words */
    SEARCH_TOO_MANY,   /* over SEARCH_WORDS_MAX words */
};

/* What each error says, for a problem naming q. */
const char *search_error_text(enum search_error e);

/* Analyses q into groups and probes; q is cleared first. */
enum search_error search_parse(const char *q, const struct search_config *cfg,
                               struct search_query *out);

/* A term the vocabulary has in probe p's range: added to the probe's group when it is a part
 * (long enough) or one typo away. */
void search_probe_hit(struct search_query *q, const struct search_probe *p, const char *term);

/* Sorts each group's forms and makes the SQL arrays; after the probes. */
void search_finish(struct search_query *q);

/* The groups a record with these term hashes (sorted) has a form of: bit g - 1 for group g
 * (SEARCH_HITS' x & 255). Which groups a record must have is decided over the records
 * searched: each that some of them has (feed_rows_searched; the lists' statements). */
unsigned search_mask(const struct search_query *q, const uint64_t *terms, size_t n);

void search_query_clear(struct search_query *q);

/* A term's hash (64-bit FNV-1a). */
uint64_t search_hash(const char *term);

/* The terms of a PostgreSQL text[] literal of plain words ("{a,b}"), hashed and sorted into
 * out (room for as many as the text has commas + 1); their count. */
size_t search_terms_hashes(const char *literal, uint64_t *out);

/* Folds and cuts a text as stek_search_terms does, stop words out: calls each(word, cls) for
 * every word in order. False when the text has a word too long to search (it is skipped). */
void search_words(const char *text, const struct search_config *cfg,
                  void (*each)(const char *word, void *cls), void *cls);

/* The key a synonym term is matched by (folded, stop words out, words joined); false when it
 * has no word, or more than two. */
bool search_synonym_key(const char *term, const struct search_config *cfg,
                        char key[SEARCH_WORD_MAX]);

/* A word's stem in lang (nl, fr, de, en) into out. */
void search_stem(const char *word, const char *lang, char out[SEARCH_WORD_MAX]);

/* One edit apart (a letter added, dropped or changed, or two neighbours swapped), or equal. */
bool search_one_edit(const char *a, const char *b);

/* ---- a vocabulary in memory (the feed model's; db/search.c): every term loaded, never one
 * removed (a term no record has finds nothing) ---- */

/* Adds the terms of a text[] literal. Thread-safe. */
void search_vocab_add(const char *literal);

/* Answers q's probes from the vocabulary. */
void search_vocab_probe(struct search_query *q);

/* Frees the vocabulary (at exit). */
void search_vocab_free(void);

/* Makes each synonym group's forms; after its keys are set. */
void search_prepare(struct search_config *c);

void search_config_free(struct search_config *c);

#endif
