/*
 * /v1/feed and /v1/feed.ics: the activity feed for municipal websites and
 * calendar apps. Public, cached, conditional, gzip when accepted.
 *
 * Responses are cached per normalized query for the current feed generation
 * (see feed_listener in db/listen.c): any write to feed data, by any daemon,
 * moves the generation on within a fraction of a second. A hit is answered on
 * the I/O thread without the database; a miss asks for a worker. While the
 * database is unreachable, the last cached answer is served.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "stek/crypto.h"
#include "stek/domain.h"
#include "stek/feed.h"
#include "stek/handlers.h"
#include "stek/hutil.h"
#include "stek/log.h"
#include "stek/metrics.h"
#include "stek/rrule.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CACHE_SLOTS 512
#define CACHE_MAX_BODY (4u << 20)
#define CACHE_BUDGET (48u << 20) /* bytes of cached bodies: keeps the daemon's memory bounded */
#define DEFAULT_DAYS 28

static const char *const params[] = {"from",      "to",       "municipality", "postal_code", "site",
                                     "partner",   "function", "category",     "free",        "near",
                                     "radius_km", "q",        "limit",        "cursor",      NULL};

static const struct tz *
tz_get(const char *name)
{
    return tz_cached(name);
}

/* ---- the response cache ---- */

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
    bool ics;
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
feed_caches_free(void)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&cache[i]);
    cache_bytes = 0;
    tz_cache_free();
}

static unsigned
slot_of(const char *key)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % CACHE_SLOTS;
}

/* ---- the request ---- */

struct feed_req {
    struct feed_query q;
    struct feed_filter f;
    bool ics;
    char from[11], to[11], lat[32], lon[32], radius[32];
    /* Every parameter at its longest fits (400-byte texts, a cursor); longer is refused, never
     * cut: two queries must never share a cache key. */
    char key[4096];
    char calname[512];
};

/* Parses and checks the query, every problem a 400 naming the parameter. */
static bool
parse(struct request *r, bool ics, struct feed_req *fr)
{
    const char *from = req_query(r, "from"), *to = req_query(r, "to");
    const char *lim = req_query(r, "limit"), *cursor = req_query(r, "cursor");
    struct feed_filter *f = &fr->f;
    char a[32], b[48];

    memset(fr, 0, sizeof(*fr));
    fr->ics = ics;
    if (!req_query_allow(r, params))
        return false;
    fr->q.from = service_today();
    if (from != NULL && !date_parse(from, &fr->q.from)) {
        reply_bad_param(r, "from", "must be a date YYYY-MM-DD");
        return false;
    }
    fr->q.to = fr->q.from + DEFAULT_DAYS;
    if (to != NULL && !date_parse(to, &fr->q.to)) {
        reply_bad_param(r, "to", "must be a date YYYY-MM-DD");
        return false;
    }
    if (fr->q.to < fr->q.from) {
        reply_bad_param(r, "to", "must not be before from");
        return false;
    }
    if (fr->q.to - fr->q.from > FEED_MAX_WINDOW) {
        reply_bad_param(r, "to", "must be at most 366 days after from");
        return false;
    }
    date_format(fr->q.from, fr->from);
    date_format(fr->q.to, fr->to);
    f->from = fr->from;
    f->to = fr->to;
    f->site = req_query(r, "site");
    f->partner = req_query(r, "partner");
    if (!req_text(r, "municipality", 100, &f->municipality) ||
        !req_text(r, "postal_code", 10, &f->postal_code) ||
        !req_text(r, "category", 40, &f->category) || !req_text(r, "q", 100, &f->q))
        return false;
    if (f->site != NULL && !is_uuid(f->site)) {
        reply_bad_param(r, "site", "must be a site id (UUID)");
        return false;
    }
    if (f->partner != NULL && !is_uuid(f->partner)) {
        reply_bad_param(r, "partner", "must be a partner id (UUID)");
        return false;
    }
    if (!req_choice(r, "function", stek_functions, &f->function) ||
        !req_bool(r, "free", &f->free) || !req_near(r, fr->lat, fr->lon, fr->radius))
        return false;
    if (fr->lat[0] != '\0') {
        f->lat = fr->lat;
        f->lon = fr->lon;
        f->radius_km = fr->radius;
    }
    fr->q.limit = ics ? 0 : 50;
    if (lim != NULL) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*lim == '\0' || *end != '\0' || v < 1 || v > 500) {
            reply_bad_param(r, "limit", "must be an integer from 1 to 500");
            return false;
        }
        fr->q.limit = (int)v;
    }
    if (cursor != NULL) {
        if (!cursor_decode(cursor, a, b) || !is_uuid(b)) {
            reply_bad_param(r, "cursor", "is not a cursor returned by this feed");
            return false;
        }
        fr->q.has_cursor = true;
        fr->q.cursor_start = strtoll(a, NULL, 10);
        snprintf(fr->q.cursor_offer, sizeof(fr->q.cursor_offer), "%s", b);
    }
    int klen = snprintf(fr->key, sizeof(fr->key), "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%s",
                        ics, f->from, f->to, f->municipality ? f->municipality : "",
                        f->postal_code ? f->postal_code : "", f->site ? f->site : "",
                        f->partner ? f->partner : "", f->function ? f->function : "",
                        f->category ? f->category : "", f->free ? f->free : "", f->q ? f->q : "",
                        fr->lat, fr->lon, fr->radius, fr->q.limit, cursor ? cursor : "");
    if (klen < 0 || (size_t)klen >= sizeof(fr->key)) {
        reply_bad_param(r, "cursor", "the query is too long");
        return false;
    }
    snprintf(fr->calname, sizeof(fr->calname), "stek%s%s%s%s", f->municipality ? ": " : "",
             f->municipality ? f->municipality : "", f->function ? " - " : "",
             f->function ? f->function : "");
    return true;
}

static void
http_date(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool
not_modified_since(const char *ims, int64_t last_modified)
{
    struct tm tm = {0};
    const char *end = ims ? strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end != NULL && *end == '\0' && (int64_t)timegm(&tm) >= last_modified;
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
                                   : not_modified_since(r->h_if_modified_since, e->last_modified)) {
        reply_empty(r, 304);
    } else {
        struct shared *body = gz ? e->gz : e->body;
        atomic_fetch_add(&body->refs, 1);
        reply_shared(r, 200, body->data, body->len,
                     e->ics ? "text/calendar; charset=utf-8" : "application/json", shared_release,
                     body);
        if (gz)
            reply_header(r, "Content-Encoding", "gzip");
    }
    reply_header(r, "ETag", etag);
    reply_header(r, "Last-Modified", e->last_modified_http);
    reply_header(r, "Cache-Control", "public, max-age=30");
    reply_header(r, "Vary", "Accept-Encoding");
}

/* Answers from the cache: fresh entries always, stale ones while the database is away. */
static bool
serve_cached(struct request *r, const struct feed_req *fr, bool allow_stale)
{
    struct entry *e = &cache[slot_of(fr->key)];
    bool hit;

    pthread_mutex_lock(&cache_mu);
    hit = e->key != NULL && strcmp(e->key, fr->key) == 0 &&
          (e->generation == feed_generation() || allow_stale);
    if (hit) {
        reply_entry(r, e);
        metric_inc(M_FEED_CACHE_HIT);
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void
serve(struct request *r, bool ics)
{
    struct feed_req fr;
    struct db_feed rows;
    struct feed_result res;
    struct entry e = {0};
    uint64_t gen = feed_generation();
    char hex[STEK_SHA256_HEX_LEN + 1];

    if (!parse(r, ics, &fr))
        return;
    if (serve_cached(r, &fr, !feed_listener_connected()))
        return;
    if (r->db == NULL) {
        r->want_db = true;
        return;
    }
    metric_inc(M_FEED_CACHE_MISS);
    if (db_feed_rows(r->db, &fr.f, &rows) < 0) {
        if (!serve_cached(r, &fr, true))
            reply_db_error(r);
        return;
    }
    if (!feed_build(rows.rows, rows.n, &fr.q, tz_get, &res)) {
        db_feed_clear(&rows);
        reply_problem(r, ERR_INTERNAL, NULL, "the feed could not be built");
        return;
    }
    size_t len = 0, gzlen = 0;
    char *text = ics ? feed_render_ics(&res, fr.calname, &len) : feed_render_json(&res, &len);
    e.ics = ics;
    e.last_modified = res.last_modified ? res.last_modified : (int64_t)time(NULL);
    http_date(e.last_modified, e.last_modified_http);
    if (res.truncated)
        log_event("warn", "feed query cut at its item limit", "request_id", r->request_id, NULL);
    feed_result_clear(&res);
    db_feed_clear(&rows);
    if (text == NULL) {
        reply_problem(r, ERR_INTERNAL, NULL, "the feed could not be rendered");
        return;
    }
    stek_sha256_hex(text, len, hex);
    snprintf(e.etag, sizeof(e.etag), "%.32s", hex);
    char *gz = gzip_compress(text, len, &gzlen);
    e.body = shared_steal(text, len);
    e.gz = shared_steal(gz, gzlen);
    if (e.body == NULL)
        abort();
    e.generation = gen;
    reply_entry(r, &e);
    if (len <= CACHE_MAX_BODY && (e.key = strdup(fr.key)) != NULL) {
        struct entry *slot = &cache[slot_of(fr.key)];
        pthread_mutex_lock(&cache_mu);
        cache_bytes -= entry_bytes(slot);
        entry_clear(slot);
        /* Over budget: drop answers of older generations first, then anything. */
        for (int pass = 0; pass < 2 && cache_bytes + entry_bytes(&e) > CACHE_BUDGET; pass++)
            for (int i = 0; i < CACHE_SLOTS && cache_bytes + entry_bytes(&e) > CACHE_BUDGET; i++)
                if (cache[i].key != NULL && (pass == 1 || cache[i].generation != gen)) {
                    cache_bytes -= entry_bytes(&cache[i]);
                    entry_clear(&cache[i]);
                }
        cache_bytes += entry_bytes(&e);
        *slot = e;
        pthread_mutex_unlock(&cache_mu);
    } else {
        entry_clear(&e);
    }
}

void
h_feed_json(struct request *r)
{
    serve(r, false);
}

void
h_feed_ics(struct request *r)
{
    serve(r, true);
}
