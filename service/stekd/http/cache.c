#include "stek/cache.h"
#include "stek/crypto.h"
#include "stek/gzip.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 512
#define CACHE_MAX_BODY (4u << 20)
#define CACHE_BUDGET (16u << 20) /* bytes of cached bodies: keeps the daemon's memory bounded */

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
    const char *ctype, *cache_control; /* static strings */
    char content_language[32];
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry cache[CACHE_SLOTS];
static size_t cache_bytes; /* bodies held by cache[], under cache_mu */

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

static unsigned
slot_of(const char *key)
{
    return stek_fnv1a(STEK_FNV_BASIS, key) % CACHE_SLOTS;
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
    reply_header(r, "Vary", "Accept-Encoding, Accept-Language");
    if (e->content_language[0] != '\0')
        reply_header(r, "Content-Language", e->content_language);
}

bool
cache_reply(struct request *r, const char *key, uint64_t generation, bool allow_stale)
{
    struct entry *e = &cache[slot_of(key)];
    bool hit;

    pthread_mutex_lock(&cache_mu);
    hit =
        e->key != NULL && strcmp(e->key, key) == 0 && (e->generation == generation || allow_stale);
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
    if (hit)
        reply_entry(r, e);
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

void
cache_store_reply(struct request *r, const char *key, uint64_t generation, char *text, size_t len,
                  const struct cache_answer *a)
{
    struct entry e = {.generation = generation,
                      .last_modified = a->last_modified,
                      .ctype = a->ctype,
                      .cache_control = a->cache_control};
    char hex[STEK_SHA256_HEX_LEN + 1];
    size_t gzlen = 0;

    snprintf(e.content_language, sizeof(e.content_language), "%s",
             a->content_language ? a->content_language : "");
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
    struct entry *slot = &cache[slot_of(key)];
    pthread_mutex_lock(&cache_mu);
    cache_bytes -= entry_bytes(slot);
    entry_clear(slot);
    /* Over budget: drop answers of older generations first, then anything. */
    for (int pass = 0; pass < 2 && cache_bytes + entry_bytes(&e) > CACHE_BUDGET; pass++)
        for (int i = 0; i < CACHE_SLOTS && cache_bytes + entry_bytes(&e) > CACHE_BUDGET; i++)
            if (cache[i].key != NULL && (pass == 1 || cache[i].generation != generation)) {
                cache_bytes -= entry_bytes(&cache[i]);
                entry_clear(&cache[i]);
            }
    cache_bytes += entry_bytes(&e);
    *slot = e;
    pthread_mutex_unlock(&cache_mu);
}
