/* Search: a query analysed into groups of forms (search.h). Pure. */
#include "stek/search.h"
#include "stek/strbuf.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const LANGS[] = {"nl", "fr", "de", "en"};
static const char *const SNOWBALL[] = {"dutch", "french", "german", "english"};
#define NLANGS 4

const char *
search_error_text(enum search_error e)
{
    switch (e) {
    case SEARCH_EMPTY:
        return "must have a word to search for";
    case SEARCH_TOO_LONG:
        return "must be at most 200 characters";
    case SEARCH_STOP_WORDS:
        return "has only words too common to search for (like \"de\", \"het\", \"the\", \"le\"): "
               "add a word that says what you look for";
    case SEARCH_TOO_MANY:
        return "must have at most 8 words besides words like \"de\" or \"the\"";
    default:
        return "";
    }
}

uint64_t
search_hash(const char *term)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)term; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t
search_terms_hashes(const char *literal, uint64_t *out)
{
    size_t n = 0;
    const char *p = literal;

    if (*p == '{')
        p++;
    while (*p != '\0' && *p != '}') {
        char term[SEARCH_WORD_MAX * 2 + 2];
        size_t len = strcspn(p, ",}");
        if (len > 0 && len < sizeof(term)) {
            memcpy(term, p, len);
            term[len] = '\0';
            out[n++] = search_hash(term);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    qsort(out, n, sizeof(*out), cmp_u64);
    return n;
}

/* ---- folding and cutting, as stek_fold and stek_search_terms ---- */

const char stek_fold_from[] = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÇçÑñŸÿ";
const char stek_fold_to[] = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOoooooUUUUuuuuCcNnYy";

/* The next byte of a folded text at *s (0 at its end), moving *s on; anything that is not
 * a-z or 0-9 after folding comes as ' '. */
static char
fold_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    char c;

    if (*p == 0)
        return 0;
    if (*p < 0x80) {
        c = (char)*p;
        *s += 1;
    } else {
        size_t len = (*p & 0xE0) == 0xC0   ? 2
                     : (*p & 0xF0) == 0xE0 ? 3
                     : (*p & 0xF8) == 0xF0 ? 4
                                           : 1;
        c = ' ';
        if (len == 2 && p[1] != 0) {
            size_t k = 0;
            for (const char *f = stek_fold_from; *f != '\0'; f += 2, k++)
                if ((unsigned char)f[0] == p[0] && (unsigned char)f[1] == p[1]) {
                    c = stek_fold_to[k];
                    break;
                }
        }
        for (size_t i = 0; i < len && **s != '\0'; i++)
            *s += 1;
    }
    if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : ' ';
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_stop(const struct search_config *cfg, const char *w)
{
    return cfg != NULL && cfg->nstop > 0 &&
           bsearch(&w, cfg->stop, cfg->nstop, sizeof(*cfg->stop), cmp_str) != NULL;
}

void
search_words(const char *text, const struct search_config *cfg,
             void (*each)(const char *word, void *cls), void *cls)
{
    const char *s = text;
    char w[SEARCH_WORD_MAX];
    size_t n = 0;
    bool too_long = false;

    for (;;) {
        char c = fold_next(&s);
        if (c != ' ' && c != 0) {
            if (n + 1 < sizeof(w))
                w[n++] = c;
            else
                too_long = true;
            continue;
        }
        if (n > 0 && !too_long) {
            w[n] = '\0';
            if (!is_stop(cfg, w))
                each(w, cls);
        }
        n = 0;
        too_long = false;
        if (c == 0)
            break;
    }
}

struct collect {
    char words[SEARCH_WORDS_MAX + 1][SEARCH_WORD_MAX];
    size_t n;
    bool over;
};

/* Whether a text has a word too long to search (search_words skips it). */
static bool
has_long_word(const char *text)
{
    size_t n = 0;
    for (const char *s = text;;) {
        char c = fold_next(&s);
        if (c == 0)
            return false;
        n = c == ' ' ? 0 : n + 1;
        if (n >= SEARCH_WORD_MAX)
            return true;
    }
}

static void
collect_word(const char *w, void *cls)
{
    struct collect *c = cls;
    if (c->n < sizeof(c->words) / sizeof(c->words[0]))
        snprintf(c->words[c->n++], SEARCH_WORD_MAX, "%s", w);
    else
        c->over = true;
}

bool
search_synonym_key(const char *term, const struct search_config *cfg, char key[SEARCH_WORD_MAX])
{
    struct collect c = {.n = 0};

    search_words(term, cfg, collect_word, &c);
    size_t a = c.n > 0 ? strlen(c.words[0]) : 0, b = c.n > 1 ? strlen(c.words[1]) : 0;
    if (c.n == 0 || c.n > 2 || a + b + 1 > SEARCH_WORD_MAX)
        return false;
    memcpy(key, c.words[0], a);
    memcpy(key + a, c.words[1], b);
    key[a + b] = '\0';
    return true;
}

/* ---- stems ---- */

struct stemmers {
    struct sb_stemmer *s[NLANGS];
};

static void
stemmers_open(struct stemmers *st)
{
    for (int i = 0; i < NLANGS; i++)
        if ((st->s[i] = sb_stemmer_new(SNOWBALL[i], "UTF_8")) == NULL)
            abort();
}

static void
stemmers_close(struct stemmers *st)
{
    for (int i = 0; i < NLANGS; i++)
        sb_stemmer_delete(st->s[i]);
}

static void
stem_with(struct sb_stemmer *s, const char *w, char out[SEARCH_WORD_MAX])
{
    const sb_symbol *r = sb_stemmer_stem(s, (const sb_symbol *)w, (int)strlen(w));
    snprintf(out, SEARCH_WORD_MAX, "%s", r != NULL ? (const char *)r : w);
}

void
search_stem(const char *word, const char *lang, char out[SEARCH_WORD_MAX])
{
    int i = 0;
    while (i + 1 < NLANGS && strcmp(LANGS[i], lang) != 0)
        i++;
    struct sb_stemmer *s = sb_stemmer_new(SNOWBALL[i], "UTF_8");
    if (s == NULL)
        abort();
    stem_with(s, word, out);
    sb_stemmer_delete(s);
}

/* A word and its stems in each language, each once. */
struct forms {
    char f[NLANGS + 1][SEARCH_WORD_MAX];
    int n;
};

static void
forms_of(struct stemmers *st, const char *w, struct forms *out)
{
    out->n = 0;
    snprintf(out->f[out->n++], SEARCH_WORD_MAX, "%s", w);
    for (int i = 0; i < NLANGS; i++) {
        char s[SEARCH_WORD_MAX];
        stem_with(st->s[i], w, s);
        bool seen = false;
        for (int k = 0; k < out->n && !seen; k++)
            seen = strcmp(out->f[k], s) == 0;
        if (!seen)
            snprintf(out->f[out->n++], SEARCH_WORD_MAX, "%s", s);
    }
}

/* True when a synonym group has one of the forms. */
static bool
synonym_meets(const struct search_synonyms *sy, const struct forms *f)
{
    for (size_t k = 0; k < sy->nforms; k++)
        for (int i = 0; i < f->n; i++)
            if (strcmp(sy->forms[k], f->f[i]) == 0)
                return true;
    return false;
}

void
search_prepare(struct search_config *c)
{
    struct stemmers st;

    stemmers_open(&st);
    for (size_t s = 0; s < c->nsyn; s++) {
        struct search_synonyms *sy = &c->syn[s];
        sy->forms = calloc(sy->n * (NLANGS + 1) + 1, sizeof(*sy->forms));
        if (sy->forms == NULL)
            abort();
        sy->nforms = 0;
        for (size_t k = 0; k < sy->n; k++) {
            struct forms f;
            forms_of(&st, sy->keys[k], &f);
            for (int i = 0; i < f.n; i++) {
                bool seen = false;
                for (size_t j = 0; j < sy->nforms && !seen; j++)
                    seen = strcmp(sy->forms[j], f.f[i]) == 0;
                if (!seen && (sy->forms[sy->nforms] = strdup(f.f[i])) != NULL)
                    sy->nforms++;
            }
        }
    }
    stemmers_close(&st);
    /* Groups that share a form are one ("repair café" is Dutch, French, German and English:
     * "Reparaturcafé" finds "herstelcafé"): each takes the forms of every group it meets. */
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t a = 0; a < c->nsyn; a++)
            for (size_t b = 0; b < c->nsyn; b++) {
                struct search_synonyms *x = &c->syn[a], *y = &c->syn[b];
                bool meet = false, missing = false;
                for (size_t i = 0; a != b && i < x->nforms; i++) {
                    bool has = false;
                    for (size_t k = 0; k < y->nforms && !has; k++)
                        has = strcmp(x->forms[i], y->forms[k]) == 0;
                    meet = meet || has;
                    missing = missing || !has;
                }
                if (!meet || !missing)
                    continue;
                char **f = realloc(y->forms, (y->nforms + x->nforms + 1) * sizeof(*f));
                if (f == NULL)
                    abort();
                y->forms = f;
                for (size_t i = 0; i < x->nforms; i++) {
                    bool has = false;
                    for (size_t k = 0; k < y->nforms && !has; k++)
                        has = strcmp(x->forms[i], y->forms[k]) == 0;
                    if (!has && (y->forms[y->nforms] = strdup(x->forms[i])) != NULL)
                        y->nforms++;
                }
                grew = true;
            }
    }
}

/* ---- a query ---- */

/* Where (group, term) is in q->alts, or where it would go, in the index of the alternatives
 * (q->slots; grown here). Indexes below nslots of q->hidx hold alts' positions + 1. */
static size_t *
alt_slot(struct search_query *q, uint32_t group, const char *term, uint64_t h)
{
    size_t mask = q->hcap - 1, i = (size_t)(h ^ (group * 0x9E3779B97F4A7C15ull)) & mask;
    for (; q->hidx[i] != 0; i = (i + 1) & mask) {
        const struct search_alt *a = &q->alts[q->hidx[i] - 1];
        if (a->group == group && a->hash == h && strcmp(a->term, term) == 0)
            break;
    }
    return &q->hidx[i];
}

static void
add_alt(struct search_query *q, uint32_t group, int weight, const char *term)
{
    uint64_t h = search_hash(term);

    if ((q->nalts + 1) * 2 > q->hcap) { /* keep the index under half full */
        free(q->hidx);
        q->hcap = q->hcap ? q->hcap * 2 : 64;
        if ((q->hidx = calloc(q->hcap, sizeof(*q->hidx))) == NULL)
            abort();
        for (size_t i = 0; i < q->nalts; i++)
            *alt_slot(q, q->alts[i].group, q->alts[i].term, q->alts[i].hash) = i + 1;
    }
    size_t *at = alt_slot(q, group, term, h);
    if (*at != 0) {
        if (weight > q->alts[*at - 1].weight)
            q->alts[*at - 1].weight = weight;
        return;
    }
    if (q->nalts == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 32;
        q->alts = realloc(q->alts, q->cap * sizeof(*q->alts));
        if (q->alts == NULL)
            abort();
    }
    char *t = strdup(term);
    if (t == NULL)
        abort();
    q->alts[q->nalts] = (struct search_alt){.group = group, .weight = weight, .hash = h, .term = t};
    *at = ++q->nalts;
}

static void
add_probe(struct search_query *q, const struct search_probe *p)
{
    if (q->nprobes == q->pcap) {
        q->pcap = q->pcap ? q->pcap * 2 : 16;
        q->probes = realloc(q->probes, q->pcap * sizeof(*q->probes));
        if (q->probes == NULL)
            abort();
    }
    q->probes[q->nprobes++] = *p;
}

static void
reverse_into(const char *s, size_t n, char out[SEARCH_WORD_MAX])
{
    for (size_t i = 0; i < n; i++)
        out[i] = s[strlen(s) - 1 - i];
    out[n] = '\0';
}

/* The probes for the compounds that begin or end with a form (at least SEARCH_MIN_PART
 * letters, the compound three more), for group g; each form once. */
static void
add_part_probes(struct search_query *q, uint32_t g, const char *form)
{
    size_t len = strlen(form);

    if (len < SEARCH_MIN_PART || len + 3 >= SEARCH_WORD_MAX || strpbrk(form, "0123456789"))
        return;
    for (size_t i = 0; i < q->nprobes; i++)
        if (q->probes[i].group == g && !q->probes[i].typo && !q->probes[i].reversed &&
            strcmp(q->probes[i].key, form) == 0)
            return;
    struct search_probe p = {.group = g, .minlen = (int)len + 3, .maxlen = SEARCH_WORD_MAX - 1};
    snprintf(p.key, sizeof(p.key), "%s", form);
    add_probe(q, &p);
    p.reversed = true;
    reverse_into(form, len, p.key);
    add_probe(q, &p);
}

/* The forms of one query word (or joined pair) u as group g: itself, its stems, its synonyms'
 * forms; and the probes for its parts and typos. */
static void
add_group(struct search_query *q, const struct search_config *cfg, struct stemmers *st, uint32_t g,
          const char *u)
{
    struct forms fu;

    forms_of(st, u, &fu);
    for (int i = 0; i < fu.n; i++)
        add_alt(q, g, 2, fu.f[i]);
    for (int i = 0; i < fu.n; i++)
        add_part_probes(q, g, fu.f[i]);
    for (size_t s = 0; cfg != NULL && s < cfg->nsyn; s++) {
        const struct search_synonyms *sy = &cfg->syn[s];
        if (!synonym_meets(sy, &fu))
            continue;
        for (size_t k = 0; k < sy->nforms; k++) {
            add_alt(q, g, 2, sy->forms[k]);
            add_part_probes(q, g, sy->forms[k]);
        }
    }
    size_t n = strlen(u);
    if (n >= SEARCH_MIN_TYPO && !strpbrk(u, "0123456789")) {
        size_t k = (n - 2) / 2;
        struct search_probe p = {
            .group = g,
            .typo = true,
            .minlen = (int)n - 1,
            .maxlen = n + 1 < SEARCH_WORD_MAX ? (int)n + 1 : SEARCH_WORD_MAX - 1}; /* as kept */
        snprintf(p.word, sizeof(p.word), "%s", u);
        memcpy(p.key, u, k);
        p.key[k] = '\0';
        add_probe(q, &p);
        p.reversed = true;
        reverse_into(u, k, p.key);
        add_probe(q, &p);
    }
}

/* True when the joined pair is one of a synonym group's terms (by a form). */
static bool
pair_is_synonym(const struct search_config *cfg, struct stemmers *st, const char *joined)
{
    struct forms fj;

    if (cfg == NULL || cfg->nsyn == 0)
        return false;
    forms_of(st, joined, &fj);
    for (size_t s = 0; s < cfg->nsyn; s++)
        if (synonym_meets(&cfg->syn[s], &fj))
            return true;
    return false;
}

enum search_error
search_parse(const char *q, const struct search_config *cfg, struct search_query *out)
{
    struct collect c = {.n = 0};
    struct stemmers st;
    bool any = false;

    search_query_clear(out);
    if (utf8_chars(q) > SEARCH_Q_MAX)
        return SEARCH_TOO_LONG;
    for (const char *s = q; !any;) { /* a word at all, stop word or not? */
        char ch = fold_next(&s);
        if (ch == 0)
            break;
        any = ch != ' ';
    }
    if (!any)
        return SEARCH_EMPTY;
    search_words(q, cfg, collect_word, &c);
    if (c.n == 0 && has_long_word(q)) {
        /* only words longer than any term (search_words skips them): words no record has,
         * left out as any such word is; with nothing else, nothing is found */
        out->ngroups = 1;
        add_alt(out, 1, 2, "-"); /* no term has a '-' */
        return SEARCH_OK;
    }
    if (c.n == 0)
        return SEARCH_STOP_WORDS;
    if (c.over || c.n > SEARCH_WORDS_MAX)
        return SEARCH_TOO_MANY;
    stemmers_open(&st);
    for (size_t i = 0; i < c.n; i++) {
        char joined[SEARCH_WORD_MAX * 2];
        if (i + 1 < c.n) {
            snprintf(joined, sizeof(joined), "%s%s", c.words[i], c.words[i + 1]);
            if (strlen(joined) < SEARCH_WORD_MAX && pair_is_synonym(cfg, &st, joined)) {
                add_group(out, cfg, &st, (uint32_t)++out->ngroups, joined);
                i++;
                continue;
            }
        }
        add_group(out, cfg, &st, (uint32_t)++out->ngroups, c.words[i]);
    }
    stemmers_close(&st);
    return SEARCH_OK;
}

bool
search_one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i = 0;

    if (la > lb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tl = la;
        la = lb;
        lb = tl;
    }
    if (lb - la > 1)
        return false;
    while (i < la && a[i] == b[i])
        i++;
    if (i == la)
        return true;
    if (la == lb)
        return strcmp(a + i + 1, b + i + 1) == 0 ||
               (i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                strcmp(a + i + 2, b + i + 2) == 0);
    return strcmp(a + i, b + i + 1) == 0;
}

void
search_probe_hit(struct search_query *q, const struct search_probe *p, const char *term)
{
    int len = (int)strlen(term);

    if (len < p->minlen || len > p->maxlen || strpbrk(term, "0123456789"))
        return; /* numbers are found whole only */
    if (p->typo && !search_one_edit(p->word, term))
        return;
    add_alt(q, p->group, 1, term);
}

static int
by_group_hash(const void *a, const void *b)
{
    const struct search_alt *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

void
search_finish(struct search_query *q)
{
    struct strbuf g = {0}, w = {0}, t = {0};

    qsort(q->alts, q->nalts, sizeof(*q->alts), by_group_hash);
    free(q->hidx); /* positions moved: the index of (group, term) is done with */
    q->hidx = NULL;
    q->hcap = 0;
    free(q->slots);
    for (q->nslots = 16; q->nslots < q->nalts * 2; q->nslots *= 2)
        ;
    if ((q->slots = calloc(q->nslots, sizeof(*q->slots))) == NULL)
        abort();
    for (size_t i = 0; i < q->nalts; i++) {
        size_t k = (size_t)q->alts[i].hash & (q->nslots - 1);
        while (q->slots[k].groups != 0 && q->slots[k].hash != q->alts[i].hash)
            k = (k + 1) & (q->nslots - 1);
        q->slots[k].hash = q->alts[i].hash;
        q->slots[k].groups |= 1u << (q->alts[i].group - 1);
    }
    sb_puts(&g, "{");
    sb_puts(&w, "{");
    sb_puts(&t, "{");
    for (size_t i = 0; i < q->nalts; i++) {
        const char *sep = i ? "," : "";
        sb_printf(&g, "%s%u", sep, q->alts[i].group);
        sb_printf(&w, "%s%d", sep, q->alts[i].weight);
        sb_printf(&t, "%s%s", sep, q->alts[i].term);
    }
    sb_puts(&g, "}");
    sb_puts(&w, "}");
    sb_puts(&t, "}");
    free(q->sql_g);
    free(q->sql_w);
    free(q->sql_t);
    q->sql_g = sb_steal(&g, NULL);
    q->sql_w = sb_steal(&w, NULL);
    q->sql_t = sb_steal(&t, NULL);
}

unsigned
search_mask(const struct search_query *q, const uint64_t *terms, size_t n)
{
    unsigned mask = 0, all = q->ngroups >= 32 ? ~0u : (1u << q->ngroups) - 1;

    for (size_t i = 0; i < n && mask != all && q->nslots > 0; i++) {
        size_t k = (size_t)terms[i] & (q->nslots - 1);
        for (; q->slots[k].groups != 0; k = (k + 1) & (q->nslots - 1))
            if (q->slots[k].hash == terms[i]) {
                mask |= q->slots[k].groups;
                break;
            }
    }
    return mask;
}

void
search_query_clear(struct search_query *q)
{
    for (size_t i = 0; i < q->nalts; i++)
        free(q->alts[i].term);
    free(q->alts);
    free(q->hidx);
    free(q->slots);
    free(q->probes);
    free(q->sql_g);
    free(q->sql_w);
    free(q->sql_t);
    memset(q, 0, sizeof(*q));
}

void
search_config_free(struct search_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nstop; i++)
        free(c->stop[i]);
    free(c->stop);
    for (size_t s = 0; s < c->nsyn; s++) {
        for (size_t k = 0; k < c->syn[s].n; k++) {
            free(c->syn[s].terms[k]);
            free(c->syn[s].keys[k]);
        }
        for (size_t k = 0; k < c->syn[s].nforms; k++)
            free(c->syn[s].forms[k]);
        free(c->syn[s].forms);
        free(c->syn[s].terms);
        free(c->syn[s].keys);
        free(c->syn[s].id);
        free(c->syn[s].language);
    }
    free(c->syn);
    free(c);
}
