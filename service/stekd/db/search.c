/*
 * Search's data in the daemon (search.h): the stop words and synonyms read from the database
 * (at start, and again when a synonym changes anywhere: NOTIFY stek_search, read by the
 * listener), the vocabulary the database answers probes from (search_words), and the feed
 * model's copy of it in memory.
 */
#include "internal.h"
#include "stek/search.h"
#include "stek/strbuf.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the configuration ---- */

/* Every configuration ever read stays until exit (a synonym change is rare, an administrator's
 * act): a reader takes the current one without a reference. */
static struct {
    pthread_mutex_t mu;
    _Atomic(struct search_config *) cur;
    struct search_config **all;
    size_t n;
    atomic_uint_fast64_t wanted, loaded; /* generations */
} C = {.mu = PTHREAD_MUTEX_INITIALIZER, .wanted = 1};

const struct search_config *
search_config_current(void)
{
    return atomic_load(&C.cur);
}

uint64_t
search_config_generation(void)
{
    return atomic_load(&C.loaded);
}

void
search_changed_here(void)
{
    atomic_fetch_add(&C.wanted, 1);
}

bool
search_config_stale(void)
{
    return atomic_load(&C.wanted) != atomic_load(&C.loaded);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        abort();
    return p;
}

/* Makes a configuration of the stop words (rs) and synonyms (ry) read for generation gen. */
static void
install(PGresult *rs, PGresult *ry, uint64_t gen)
{
    struct search_config *c = calloc(1, sizeof(*c));
    int ns = PQntuples(rs), ny = PQntuples(ry);

    if (c == NULL || (c->stop = calloc((size_t)ns + 1, sizeof(*c->stop))) == NULL ||
        (c->syn = calloc((size_t)ny + 1, sizeof(*c->syn))) == NULL)
        abort();
    for (int i = 0; i < ns; i++)
        c->stop[c->nstop++] = xstrdup(PQgetvalue(rs, i, 0));
    qsort(c->stop, c->nstop, sizeof(*c->stop), cmp_str);
    for (int i = 0; i < ny; i++) {
        json_t *terms = json_loads(PQgetvalue(ry, i, 2), 0, NULL);
        struct search_synonyms *sy = &c->syn[c->nsyn++];
        size_t k;
        json_t *t;
        sy->id = xstrdup(PQgetvalue(ry, i, 0));
        sy->language = xstrdup(PQgetvalue(ry, i, 1));
        sy->terms = calloc(json_array_size(terms) + 1, sizeof(*sy->terms));
        sy->keys = calloc(json_array_size(terms) + 1, sizeof(*sy->keys));
        if (sy->terms == NULL || sy->keys == NULL)
            abort();
        json_array_foreach(terms, k, t)
        {
            char key[SEARCH_WORD_MAX];
            if (!json_is_string(t) || !search_synonym_key(json_string_value(t), c, key))
                continue;
            sy->terms[sy->n] = xstrdup(json_string_value(t));
            sy->keys[sy->n++] = xstrdup(key);
        }
        json_decref(terms);
    }
    search_prepare(c);
    pthread_mutex_lock(&C.mu);
    struct search_config **all = realloc(C.all, (C.n + 1) * sizeof(*all));
    if (all == NULL)
        abort();
    C.all = all;
    C.all[C.n++] = c;
    atomic_store(&C.cur, c);
    atomic_store(&C.loaded, gen);
    pthread_mutex_unlock(&C.mu);
}

bool
search_config_load(PGconn *pg)
{
    uint64_t gen = atomic_load(&C.wanted);
    PGresult *rs =
        PQexecParams(pg, db_stmt_sql(STMT0(search_stopwords)), 0, NULL, NULL, NULL, NULL, 0);
    PGresult *ry =
        PQexecParams(pg, db_stmt_sql(STMT0(search_synonyms_all)), 0, NULL, NULL, NULL, NULL, 0);
    bool ok = PQresultStatus(rs) == PGRES_TUPLES_OK && PQresultStatus(ry) == PGRES_TUPLES_OK;

    if (ok)
        install(rs, ry, gen);
    PQclear(rs);
    PQclear(ry);
    return ok;
}

enum db_qs
db_search_reload(struct db_conn *c)
{
    enum db_qs qs;
    uint64_t gen = atomic_fetch_add(&C.wanted, 1) + 1;
    PGresult *rs = db_exec(c, STMT0(search_stopwords), NULL, &qs), *ry = NULL;

    if (rs != NULL && (ry = db_exec(c, STMT0(search_synonyms_all), NULL, &qs)) != NULL) {
        install(rs, ry, gen);
        qs = 0;
    }
    PQclear(rs);
    PQclear(ry);
    return qs;
}

/* ---- the database's vocabulary ---- */

enum db_qs
db_search_expand(struct db_conn *c, struct search_query *q)
{
    struct strbuf k = {0}, rev = {0}, lo = {0}, hi = {0};
    enum db_qs qs;

    if (q->nprobes == 0)
        return 0;
    sb_puts(&k, "{");
    sb_puts(&rev, "{");
    sb_puts(&lo, "{");
    sb_puts(&hi, "{");
    for (size_t i = 0; i < q->nprobes; i++) {
        const char *sep = i ? "," : "";
        sb_printf(&k, "%s%s", sep, q->probes[i].key);
        sb_printf(&rev, "%s%s", sep, q->probes[i].reversed ? "t" : "f");
        sb_printf(&lo, "%s%d", sep, q->probes[i].minlen);
        sb_printf(&hi, "%s%d", sep, q->probes[i].maxlen);
    }
    sb_puts(&k, "}");
    sb_puts(&rev, "}");
    sb_puts(&lo, "}");
    sb_puts(&hi, "}");
    const char *params[] = {sb_str(&k), sb_str(&rev), sb_str(&lo), sb_str(&hi)};
    PGresult *res = db_exec(c, STMT(search_probe, params), params, &qs);
    sb_free(&k);
    sb_free(&rev);
    sb_free(&lo);
    sb_free(&hi);
    if (res == NULL)
        return qs;
    for (int i = 0; i < PQntuples(res); i++) {
        long p = strtol(PQgetvalue(res, i, 0), NULL, 10);
        if (p >= 1 && (size_t)p <= q->nprobes)
            search_probe_hit(q, &q->probes[p - 1], PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

/* ---- the model's vocabulary: a hash set, and sorted arrays the new terms are merged into ---- */

static struct {
    pthread_rwlock_t lock; /* readers probe; a load adds (merged in on the next probe) */
    char **slots;          /* open addressing */
    size_t cap, n;
    char **fw, **rv; /* sorted; rv holds the terms reversed */
    size_t nsorted;
    char **fresh; /* the terms added since the last merge (in slots) */
    size_t nfresh, capfresh;
} V = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static void
vocab_put(char *w)
{
    size_t i = search_hash(w) & (V.cap - 1);
    while (V.slots[i] != NULL)
        i = (i + 1) & (V.cap - 1);
    V.slots[i] = w;
}

static void
vocab_insert(const char *w, size_t len)
{
    if ((V.n + 1) * 2 > V.cap) {
        char **old = V.slots;
        size_t ocap = V.cap;
        V.cap = V.cap ? V.cap * 2 : 4096;
        V.slots = calloc(V.cap, sizeof(*V.slots));
        if (V.slots == NULL)
            abort();
        for (size_t i = 0; i < ocap; i++)
            if (old[i] != NULL)
                vocab_put(old[i]);
        free(old);
    }
    char term[SEARCH_WORD_MAX];
    if (len >= sizeof(term))
        return;
    memcpy(term, w, len);
    term[len] = '\0';
    size_t i = search_hash(term) & (V.cap - 1);
    for (; V.slots[i] != NULL; i = (i + 1) & (V.cap - 1))
        if (strcmp(V.slots[i], term) == 0)
            return;
    V.slots[i] = xstrdup(term);
    V.n++;
    if (V.nfresh == V.capfresh) {
        V.capfresh = V.capfresh ? V.capfresh * 2 : 1024;
        if ((V.fresh = realloc(V.fresh, V.capfresh * sizeof(*V.fresh))) == NULL)
            abort();
    }
    V.fresh[V.nfresh++] = V.slots[i];
}

void
search_vocab_add(const char *literal)
{
    const char *p = literal;

    if (*p == '{')
        p++;
    pthread_rwlock_wrlock(&V.lock);
    while (*p != '\0' && *p != '}') {
        size_t len = strcspn(p, ",}");
        if (len > 0)
            vocab_insert(p, len);
        p += len;
        if (*p == ',')
            p++;
    }
    pthread_rwlock_unlock(&V.lock);
}

/* Merges sorted a[0..na) and b[0..nb) into a new array (the strings are not copied). */
static char **
merge(char **a, size_t na, char **b, size_t nb)
{
    char **out = malloc((na + nb + 1) * sizeof(*out));
    size_t i = 0, k = 0, n = 0;

    if (out == NULL)
        abort();
    while (i < na || k < nb)
        out[n++] = k == nb || (i < na && strcmp(a[i], b[k]) < 0) ? a[i++] : b[k++];
    return out;
}

/* Merges the fresh terms into the sorted arrays: a change's few new terms cost a pass over the
 * arrays, not a sort of all of them (the first load sorts them all once). */
static void
vocab_merge(void)
{
    char **rv = malloc((V.nfresh + 1) * sizeof(*rv));
    if (rv == NULL)
        abort();
    for (size_t i = 0; i < V.nfresh; i++) {
        size_t len = strlen(V.fresh[i]);
        if ((rv[i] = malloc(len + 1)) == NULL)
            abort();
        for (size_t k = 0; k < len; k++)
            rv[i][k] = V.fresh[i][len - 1 - k];
        rv[i][len] = '\0';
    }
    qsort(V.fresh, V.nfresh, sizeof(*V.fresh), cmp_str);
    qsort(rv, V.nfresh, sizeof(*rv), cmp_str);
    char **fw = merge(V.fw, V.nsorted, V.fresh, V.nfresh);
    char **rvm = merge(V.rv, V.nsorted, rv, V.nfresh);
    free(V.fw);
    free(V.rv);
    free(rv);
    V.fw = fw;
    V.rv = rvm;
    V.nsorted += V.nfresh;
    V.nfresh = 0;
}

/* The first of sorted[0..n) not below key. */
static size_t
lower_bound(char *const *sorted, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(sorted[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void
search_vocab_probe(struct search_query *q)
{
    size_t klen;

    pthread_rwlock_rdlock(&V.lock);
    while (V.nfresh > 0) {
        pthread_rwlock_unlock(&V.lock);
        pthread_rwlock_wrlock(&V.lock);
        if (V.nfresh > 0)
            vocab_merge();
        pthread_rwlock_unlock(&V.lock);
        pthread_rwlock_rdlock(&V.lock);
    }
    for (size_t i = 0; i < q->nprobes; i++) {
        const struct search_probe *p = &q->probes[i];
        char *const *arr = p->reversed ? V.rv : V.fw;
        klen = strlen(p->key);
        for (size_t k = lower_bound(arr, V.nsorted, p->key);
             k < V.nsorted && strncmp(arr[k], p->key, klen) == 0; k++) {
            if (!p->reversed) {
                search_probe_hit(q, p, arr[k]);
                continue;
            }
            char term[SEARCH_WORD_MAX];
            size_t len = strlen(arr[k]);
            if (len >= sizeof(term))
                continue;
            for (size_t j = 0; j < len; j++)
                term[j] = arr[k][len - 1 - j];
            term[len] = '\0';
            search_probe_hit(q, p, term);
        }
    }
    pthread_rwlock_unlock(&V.lock);
}

void
search_vocab_free(void)
{
    pthread_rwlock_wrlock(&V.lock);
    for (size_t i = 0; i < V.nsorted; i++)
        free(V.rv[i]);
    for (size_t i = 0; i < V.cap; i++)
        free(V.slots[i]);
    free(V.slots);
    free(V.fw);
    free(V.rv);
    free(V.fresh);
    V.slots = V.fw = V.rv = V.fresh = NULL;
    V.cap = V.n = V.nsorted = V.nfresh = V.capfresh = 0;
    pthread_rwlock_unlock(&V.lock);
    pthread_mutex_lock(&C.mu);
    for (size_t i = 0; i < C.n; i++)
        search_config_free(C.all[i]);
    free(C.all);
    C.all = NULL;
    C.n = 0;
    atomic_store(&C.cur, NULL);
    pthread_mutex_unlock(&C.mu);
}

/* ---- synonyms ---- */

enum db_qs
db_list_synonyms(struct db_conn *c, struct db_page *page)
{
    const char *params[] = {NULL};
    return db_query_page(c, STMT(list_synonyms, params), params, 0, 1000, page);
}

enum db_qs
db_insert_synonyms(struct db_conn *c, const char *language, const char *terms, struct db_doc *out)
{
    const char *params[] = {language, terms};
    return db_query_doc(c, STMT(insert_synonyms, params), params, out);
}

enum db_qs
db_delete_synonyms(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT(delete_synonyms, params), params);
}

enum db_qs
db_search_analyse(struct db_conn *c, const char *text, const char *lang, json_t **terms)
{
    const char *params[] = {text, lang};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(search_analyse, params), params, &qs);

    *terms = NULL;
    if (res == NULL)
        return qs;
    *terms = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    return *terms != NULL ? 1 : DB_HARD_ERROR;
}
