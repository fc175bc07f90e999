#include "stek/cache.h"
#include "stek/db.h"
#include "stek/crypto.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/feedmodel.h"
#include "stek/gzip.h"
#include "stek/listen.h"
#include "stek/metrics.h"
#include "stek/replicas.h"
#include "stek/reply.h"
#include "stek/router.h"
#include "stek/strbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096
#define CACHE_WAYS 4 /* a key may sit in any of the 4 slots of its bucket */
#define CACHE_MAX_BODY (4u << 20)
#define CACHE_BUDGET (32u << 20) /* bytes of cached bodies: keeps the daemon's memory bounded */
#define CACHE_KEY_MAX 2048       /* a public read with a longer key is not kept */
#define SIGNALS_MAX_AGE_S 60     /* how long a ROUTE_CACHE_SIGNALS answer may be kept */
#define REFRESH_CLAIM_S 5        /* how long the reader computing an old answer again has */

/* A response body shared by the cache and the responses being sent. */
struct shared {
    atomic_int refs;
    size_t len;
    char data[];
};

struct entry {
    char *key;
    uint64_t generation;
    struct shared *body, *gz; /* one reference each */
    char etag[48];
    char last_modified_http[40];
    int64_t last_modified;
    const char *ctype, *cache_control, *vary; /* static strings */
    char content_language[32];
    char hint[CACHE_HINT_MAX]; /* Stek-Hint, or "" */
    uint64_t used; /* use_clock when last stored or answered: the bucket's least recent goes */
    int64_t born;  /* time() when stored */
    int64_t refresh_claimed; /* time() when a reader went to compute it again (max_age) */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[CACHE_SLOTS];
static size_t cache_bytes; /* bodies held by cache[], under cache_mu */
static uint64_t use_clock; /* under cache_mu */
/* Room is made from the hand on (a clock, not a scan from the first slot for every answer);
 * answers of generations older than the newest kept go first while there may be any. */
static unsigned evict_hand;
static uint64_t newest_generation;
static bool older_may_remain;

static void
shared_release(void *cls)
{
    struct shared *s = cls;
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

/* Takes data (malloc'd) into a new shared body with one reference; NULL stays NULL. */
static struct shared *
shared_steal(char *data, size_t len)
{
    struct shared *s = data ? malloc(sizeof(*s) + len + 1) : NULL;
    if (s != NULL) {
        atomic_init(&s->refs, 1);
        s->len = len;
        memcpy(s->data, data, len);
        s->data[len] = '\0';
    }
    free(data);
    return s;
}

static size_t
entry_bytes(const struct entry *e)
{
    return (e->body ? e->body->len : 0) + (e->gz ? e->gz->len : 0);
}

static void
entry_clear(struct entry *e)
{
    free(e->key);
    shared_release(e->body);
    shared_release(e->gz);
    memset(e, 0, sizeof(*e));
}

void
cache_free(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&cache[i]);
    cache_bytes = 0;
    pthread_mutex_unlock(&cache_mu);
}

/* The first slot of key's bucket. */
static struct entry *
bucket_of(const char *key)
{
    return &cache[stek_fnv1a(STEK_FNV_BASIS, key) % (CACHE_SLOTS / CACHE_WAYS) * CACHE_WAYS];
}

/* The entry holding key, or NULL (under cache_mu). */
static struct entry *
find(const char *key)
{
    struct entry *b = bucket_of(key);
    for (int i = 0; i < CACHE_WAYS; i++)
        if (b[i].key != NULL && strcmp(b[i].key, key) == 0)
            return &b[i];
    return NULL;
}

/* Where a new answer for key goes (under cache_mu): the slot that holds key, else a free one,
 * else one of an older generation, else the least recently used. */
static struct entry *
slot_for(const char *key, uint64_t generation)
{
    struct entry *b = bucket_of(key), *e = find(key);
    for (int i = 0; e == NULL && i < CACHE_WAYS; i++)
        if (b[i].key == NULL)
            e = &b[i];
    for (int i = 0; e == NULL && i < CACHE_WAYS; i++)
        if (b[i].generation != generation)
            e = &b[i];
    if (e == NULL) {
        e = &b[0];
        for (int i = 1; i < CACHE_WAYS; i++)
            if (b[i].used < e->used)
                e = &b[i];
    }
    return e;
}

/* Replies from an entry (the caller holds cache_mu or owns e); the body is shared, not copied. */
static void
reply_entry(struct request *r, const struct entry *e)
{
    bool gz = e->gz != NULL && req_accepts_gzip(r);
    char etag[64];

    /* Each encoding is its own representation, with its own strong ETag. */
    snprintf(etag, sizeof(etag), "\"%s%s\"", e->etag, gz ? "-gz" : "");
    if (r->h_if_none_match != NULL ? req_if_none_match(r, etag)
                                   : req_not_modified_since(r, e->last_modified)) {
        reply_empty(r, 304);
    } else {
        struct shared *body = gz ? e->gz : e->body;
        atomic_fetch_add(&body->refs, 1);
        reply_shared(r, 200, body->data, body->len, e->ctype, shared_release, body);
        if (gz)
            reply_header(r, "Content-Encoding", "gzip");
    }
    reply_header(r, "ETag", etag);
    reply_header(r, "Last-Modified", e->last_modified_http);
    reply_header(r, "Cache-Control", e->cache_control);
    /* The language comes from ?lang= or Accept-Language: a shared cache keys on both. */
    reply_header(r, "Vary", e->vary ? e->vary : "Accept-Encoding, Accept-Language");
    if (e->content_language[0] != '\0')
        reply_header(r, "Content-Language", e->content_language);
    if (e->hint[0] != '\0')
        reply_header(r, "Stek-Hint", e->hint);
}

/*
 * cache_reply, and for max_age_s > 0: an answer older than that is computed again by the first
 * reader who finds it so (a miss for that reader alone), while the others still get it until
 * the new one is kept (or for REFRESH_CLAIM_S, should that reader fail): one computation per
 * expiry, not one per reader in the meantime.
 */
static bool
reply_cached(struct request *r, const char *key, uint64_t generation, bool allow_stale,
             int64_t max_age_s)
{
    struct entry *e;
    bool hit;

    pthread_mutex_lock(&cache_mu);
    e = find(key);
    hit = e != NULL && (e->generation == generation || allow_stale);
    if (hit && max_age_s > 0) {
        int64_t now = (int64_t)time(NULL);
        if (now - e->born >= max_age_s && now - e->refresh_claimed >= REFRESH_CLAIM_S) {
            e->refresh_claimed = now;
            hit = false;
        }
    }
    if (hit && e->gz == NULL && req_accepts_gzip(r)) {
        /* The first reader that takes gzip compresses, outside the lock; the entry keeps it. */
        struct shared *body = e->body, *gz;
        size_t gzlen = 0;
        atomic_fetch_add(&body->refs, 1);
        pthread_mutex_unlock(&cache_mu);
        char *packed = gzip_compress(body->data, body->len, &gzlen);
        gz = shared_steal(packed, gzlen);
        pthread_mutex_lock(&cache_mu);
        hit = e->body == body; /* still the same answer (never replaced while we compressed) */
        if (hit && e->gz == NULL && gz != NULL) {
            e->gz = gz;
            cache_bytes += gz->len;
            gz = NULL;
        }
        shared_release(gz);
        shared_release(body);
    }
    if (hit) {
        e->used = ++use_clock;
        reply_entry(r, e);
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

bool
cache_reply(struct request *r, const char *key, uint64_t generation, bool allow_stale)
{
    return reply_cached(r, key, generation, allow_stale, 0);
}

void
cache_store_reply(struct request *r, const char *key, uint64_t generation, char *text, size_t len,
                  const struct cache_answer *a)
{
    struct entry e = {.generation = generation,
                      .last_modified = a->last_modified,
                      .ctype = a->ctype,
                      .cache_control = a->cache_control,
                      .vary = a->vary};
    char hex[STEK_SHA256_HEX_LEN + 1];
    size_t gzlen = 0;

    snprintf(e.content_language, sizeof(e.content_language), "%s",
             a->content_language ? a->content_language : "");
    snprintf(e.hint, sizeof(e.hint), "%s", a->hint ? a->hint : "");
    http_date(e.last_modified, e.last_modified_http);
    stek_sha256_hex(text, len, hex);
    snprintf(e.etag, sizeof(e.etag), "%.32s", hex);
    /* gzip only for a reader that takes it; the cache compresses for the next one on demand. */
    char *gz = req_accepts_gzip(r) ? gzip_compress(text, len, &gzlen) : NULL;
    e.body = shared_steal(text, len);
    e.gz = shared_steal(gz, gzlen);
    if (e.body == NULL)
        abort();
    reply_entry(r, &e);
    if (len > CACHE_MAX_BODY || (e.key = strdup(key)) == NULL) {
        entry_clear(&e);
        return;
    }
    pthread_mutex_lock(&cache_mu);
    struct entry *slot = slot_for(key, generation);
    cache_bytes -= entry_bytes(slot);
    entry_clear(slot);
    if (generation > newest_generation) {
        newest_generation = generation;
        older_may_remain = true;
    }
    /* Over budget: drop answers of older generations first, then anything. */
    for (int pass = older_may_remain ? 0 : 1; pass < 2; pass++) {
        int seen = 0;
        for (; seen < CACHE_SLOTS && cache_bytes + entry_bytes(&e) > CACHE_BUDGET; seen++) {
            struct entry *c = &cache[evict_hand];
            evict_hand = (evict_hand + 1) % CACHE_SLOTS;
            if (c->key != NULL && (pass == 1 || c->generation != newest_generation)) {
                cache_bytes -= entry_bytes(c);
                entry_clear(c);
            }
        }
        if (pass == 0 && seen == CACHE_SLOTS)
            older_may_remain = false; /* a whole round found too few: none are left */
    }
    cache_bytes += entry_bytes(&e);
    e.used = ++use_clock;
    e.born = (int64_t)time(NULL);
    *slot = e;
    pthread_mutex_unlock(&cache_mu);
}

uint64_t
cache_generation_for(const char *municipality, bool *may_serve)
{
    char fold[408];

    *may_serve = true;
    /* Without the model nobody marks places: every change counts for every answer. */
    if (municipality == NULL || !stek_config()->feed_model ||
        !feed_fold(municipality, fold, sizeof(fold)))
        return feed_generation();
    /* First whether the model has caught up, then the mark: the loader marks before it
     * publishes, so a caught-up model means the marks of every change it holds are set. */
    *may_serve = feed_model_caught_up();
    return feed_scope_generation(fold);
}

uint64_t
cache_generation_settled(const char *municipality)
{
    bool may_serve;

    feed_model_release(feed_model_acquire(feed_generation(), 1000));
    return cache_generation_for(municipality, &may_serve);
}

bool
cache_public_settle(struct request *r)
{
    if (r->cache_key == NULL || !r->cache_unsettled)
        return false;
    r->cache_gen = cache_generation_settled(r->cache_scope);
    /* The change was most often elsewhere: the kept answer still stands. */
    if (reply_cached(r, r->cache_key, r->cache_gen, false,
                     (r->route->flags & ROUTE_CACHE_SIGNALS) ? SIGNALS_MAX_AGE_S : 0)) {
        metric_inc(M_PUBLIC_CACHE_HIT);
        free(r->cache_key);
        r->cache_key = NULL;
        return true;
    }
    metric_inc(M_PUBLIC_CACHE_MISS);
    return false;
}

static atomic_uint_fast64_t signals_generation;

void
cache_signals_changed(void)
{
    atomic_fetch_add(&signals_generation, 1);
}

/* Appends "<length>:<text>" (so that no text can pass for two). */
static void
key_part(struct strbuf *b, const char *text)
{
    text = text ? text : "";
    sb_printf(b, "%zu:%s", strlen(text), text);
}

bool
cache_public_lookup(struct request *r)
{
    if (!(r->route->flags & ROUTE_CACHE) || r->method != M_GET || r->h_authorization != NULL ||
        r->read_after != 0 || r->query_problem != NULL || replicas_count() > 0)
        return false;
    /* Everything an answer depends on besides the data: path, query (in order, decoded),
     * language, Accept (the statistics' CSV), and the day (windows that default to today). */
    struct strbuf b = {0};
    sb_puts(&b, "public|");
    key_part(&b, r->path);
    for (int i = 0; i < r->nquery; i++) {
        key_part(&b, r->query[i].key);
        sb_puts(&b, r->query[i].value ? "=" : "!");
        key_part(&b, r->query[i].value);
    }
    key_part(&b, req_language(r));
    key_part(&b, r->h_accept);
    sb_printf(&b, "|%ld", (long)service_today());
    /* q follows the synonyms (search.h); open_now, the minute */
    sb_printf(&b, "|%llu", (unsigned long long)search_config_generation());
    for (int i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].key, "open_now") == 0)
            sb_printf(&b, "|%lld", (long long)time(NULL) / 60);
    /* Signals written here show at once (the key holds this daemon's signals generation);
     * signals written at another daemon within SIGNALS_MAX_AGE_S (reply_cached). */
    bool signals = (r->route->flags & ROUTE_CACHE_SIGNALS) != 0;
    if (signals)
        sb_printf(&b, "|%llu", (unsigned long long)atomic_load(&signals_generation));
    size_t len;
    char *key = sb_steal(&b, &len);
    if (key == NULL || len > CACHE_KEY_MAX) {
        free(key);
        return false;
    }
    const char *municipality = NULL;
    for (int i = 0; i < r->nquery && municipality == NULL; i++)
        if (strcmp(r->query[i].key, "municipality") == 0)
            municipality = r->query[i].value;
    bool may_serve;
    uint64_t gen = cache_generation_for(municipality, &may_serve);
    if (may_serve && reply_cached(r, key, gen, false, signals ? SIGNALS_MAX_AGE_S : 0)) {
        metric_inc(M_PUBLIC_CACHE_HIT);
        free(key);
        return true;
    }
    if (may_serve) /* else counted once settled (cache_public_settle) */
        metric_inc(M_PUBLIC_CACHE_MISS);
    r->cache_key = key;
    r->cache_gen = gen;
    r->cache_scope = municipality;
    r->cache_unsettled = !may_serve;
    return false;
}

/*
 * An answer of a cacheable route that is not kept (an authenticated read such as the admin's
 * raw statistics, a read after a write, a daemon with replicas) still carries what the
 * document promises: an ETag of its bytes (If-None-Match then answers 304), Last-Modified, and
 * Cache-Control private to its reader when it was read with a key.
 */
static void
validators(struct request *r)
{
    struct reply *rep = &r->reply;
    char hex[STEK_SHA256_HEX_LEN + 1], etag[48], date[40];

    if (!(r->route->flags & ROUTE_CACHE) || (r->method != M_GET && r->method != M_HEAD))
        return;
    stek_sha256_hex(rep->body, rep->len, hex);
    snprintf(etag, sizeof(etag), "\"%.32s\"", hex);
    http_date((int64_t)time(NULL), date);
    if (req_if_none_match(r, etag)) {
        reply_empty(r, 304);
    } else {
        reply_header(r, "Last-Modified", date);
    }
    reply_header(r, "ETag", etag);
    for (int i = 0; i < rep->nheaders; i++)
        if (strcmp(rep->headers[i].name, "Cache-Control") == 0)
            return; /* the handler's own (the raw statistics: no-store) */
    reply_header(r, "Cache-Control", r->h_authorization != NULL ? "private, no-cache" : "no-cache");
}

void
cache_public_keep(struct request *r)
{
    struct reply *rep = &r->reply;
    char lang[32] = "", hint[CACHE_HINT_MAX] = "";

    if (rep->status != 200 || rep->body_static || rep->body == NULL)
        return;
    if (r->cache_key == NULL) {
        validators(r);
        return;
    }
    for (int i = 0; i < rep->nheaders; i++)
        if (strcmp(rep->headers[i].name, "Content-Language") == 0)
            snprintf(lang, sizeof(lang), "%s", rep->headers[i].value);
        else if (strcmp(rep->headers[i].name, "Stek-Hint") == 0)
            snprintf(hint, sizeof(hint), "%s", rep->headers[i].value);
    struct cache_answer a = {
        .ctype = rep->ctype,
        .last_modified = (int64_t)time(NULL),
        /* Kept by anyone, asked again each time: a 304 is cheap, and a write shows at once. */
        .cache_control = "public, no-cache",
        .content_language = lang[0] ? lang : NULL,
        .vary = "Accept, Accept-Encoding, Accept-Language",
        .hint = hint[0] ? hint : NULL,
    };
    char *body = rep->body;
    size_t len = rep->len;
    rep->body = NULL;
    reply_clear(rep); /* the handler's headers (Vary, Content-Language) are the entry's now */
    cache_store_reply(r, r->cache_key, r->cache_gen, body, len, &a);
}
