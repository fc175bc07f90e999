/*
 * /v1/feed and /v1/feed.ics: the activity feed for municipal websites and
 * calendar apps. Public, cached, conditional, gzip when accepted.
 *
 * Answers are cached (http/cache.c) per normalized query for the current feed
 * generation (db/listen.c): any write to feed data, by any daemon, moves the
 * generation on within a fraction of a second. The route's fast path parses
 * the query once and answers a hit on the I/O thread; a miss goes to a worker
 * with the parsed query. While the database is unreachable, the last cached
 * answer is served.
 */
#include "stek/cache.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/feedmodel.h"
#include "stek/hint.h"
#include "stek/ical.h"
#include "stek/handlers.h"
#include "stek/listen.h"
#include "stek/log.h"
#include "stek/metrics.h"
#include "stek/offer.h"
#include "stek/qspec.h"
#include "stek/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_DAYS 28
/* How long a miss waits for the model's reload after a change before it asks the database. */
#define MODEL_WAIT_MS 1000

/* A parsed feed query, carried from the fast path to the worker. */
struct feed_req {
    struct feed_query q;
    struct feed_filter f;
    bool ics;
    const char *lang; /* the reader's language, or NULL (i18n.h) */
    char from[11], to[11], since[24];
    struct qnear near;
    /* Every parameter at its longest fits (400-byte texts, a cursor); longer is refused, never
     * cut: two queries must never share a cache key. */
    char key[4096];
    char calname[512];
    uint64_t cache_gen;   /* what an answer is cached at (cache_generation_for) */
    bool cache_unsettled; /* the lookup found the model behind (cache_generation_settled) */
};

void
feed_filter_public(struct feed_filter *f, char since[24])
{
    snprintf(since, 24, "%lld", (long long)offer_quiet_before(service_today()));
    f->confirmed_since = since;
}

/* Parses and checks the query, every problem of it in one 400. NULL after replying. */
static struct feed_req *
parse(struct request *r, bool ics)
{
    struct feed_req *fr = calloc(1, sizeof(*fr));
    struct feed_filter *f;
    struct qcursor cursor = {0};
    int32_t from = DAY_NONE, to = DAY_NONE;

    if (fr == NULL)
        abort();
    f = &fr->f;
    fr->ics = ics;
    fr->q.limit = ics ? 0 : 50;
    const struct qspec spec[] = {
        QS_DAY("from", &from),
        QS_DAY("to", &to),
        QS_TXT("municipality", &f->municipality, 100),
        QS_TXT("postal_code", &f->postal_code, 10),
        QS_ID("site", &f->site, "a site id"),
        QS_ID("partner", &f->partner, "a partner id"),
        QS_ONEOF("function", &f->function, stek_functions),
        QS_TXT("category", &f->category, 40),
        QS_BOOLEAN("free", &f->free),
        QS_ONEOF("kind", &f->kind, offer_kinds),
        QS_NEARBY(&fr->near),
        QS_TXT("q", &f->q, 100),
        QS_LIMIT(&fr->q.limit),
        QS_CUR(&cursor, "feed"),
        QS_LANGUAGE,
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec);

    fr->q.from = from != DAY_NONE ? from : service_today();
    fr->q.to = to != DAY_NONE ? to : fr->q.from + DEFAULT_DAYS;
    if (to != DAY_NONE && fr->q.to < fr->q.from)
        field_error(errs, "to", "must not be before from");
    else if (fr->q.to - fr->q.from > FEED_MAX_WINDOW)
        field_error(errs, "to", "must be at most 366 days after from");
    date_format(fr->q.from, fr->from);
    date_format(fr->q.to, fr->to);
    f->from = fr->from;
    f->to = fr->to;
    feed_filter_public(f, fr->since);
    if (fr->near.lat[0] != '\0') {
        f->lat = fr->near.lat;
        f->lon = fr->near.lon;
        f->radius_km = fr->near.radius_km;
    }
    if (cursor.present) {
        fr->q.has_cursor = true;
        fr->q.cursor_start = strtoll(cursor.a, NULL, 10);
        snprintf(fr->q.cursor_offer, sizeof(fr->q.cursor_offer), "%s", cursor.b);
    }
    const char *raw_cursor = req_query(r, "cursor");
    fr->lang = req_language(r);
    /* One answer per language: the key holds it, so caches and ETags are per language. */
    int klen = snprintf(
        fr->key, sizeof(fr->key), "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%s", ics,
        fr->lang ? fr->lang : "", f->from, f->to, f->municipality ? f->municipality : "",
        f->postal_code ? f->postal_code : "", f->site ? f->site : "", f->partner ? f->partner : "",
        f->function ? f->function : "", f->category ? f->category : "", f->free ? f->free : "",
        f->kind ? f->kind : "", f->q ? f->q : "", fr->near.lat, fr->near.lon, fr->near.radius_km,
        fr->q.limit, raw_cursor ? raw_cursor : "");
    if (json_array_size(errs) == 0 && (klen < 0 || (size_t)klen >= sizeof(fr->key)))
        field_error(errs, "cursor", "the query is too long");
    if (!qspec_reply(r, errs)) {
        free(fr);
        return NULL;
    }
    const char *fn = offer_function_label(f->function, req_first_language(r));
    snprintf(fr->calname, sizeof(fr->calname), "stek%s%s%s%s", f->municipality ? ": " : "",
             f->municipality ? f->municipality : "", fn ? " - " : "", fn ? fn : "");
    return fr;
}

/*
 * Computes and sends the answer (on a worker: a large calendar takes milliseconds, which must
 * not hold an I/O thread): from the in-memory model when it is current and can answer exactly,
 * else from the database.
 */
static void
answer(struct request *r, struct feed_req *fr, struct db_conn *db)
{
    if (fr->cache_unsettled) { /* the change was most often elsewhere: the kept answer stands */
        fr->cache_gen = cache_generation_settled(fr->f.municipality);
        if (cache_reply(r, fr->key, fr->cache_gen, false)) {
            metric_inc(M_FEED_CACHE_HIT);
            return;
        }
    }
    uint64_t gen = feed_generation();
    struct db_feed rows;
    struct feed_result res;
    bool ics = fr->ics;
    struct feed_model *m = feed_model_acquire(gen, MODEL_WAIT_MS);

    metric_inc(M_FEED_CACHE_MISS);
    if (m != NULL && feed_model_query(m, &fr->f, fr->q.from, fr->q.to, fr->lang, &rows)) {
        metric_inc(M_FEED_MODEL_ANSWER);
    } else {
        feed_model_release(m);
        if (db_feed_rows(db, &fr->f, &rows) < 0) {
            if (!cache_reply(r, fr->key, fr->cache_gen, true))
                reply_db_error(r);
            return;
        }
    }
    feed_localize(rows.rows, rows.n, fr->lang);
    if (!feed_build(rows.rows, rows.n, &fr->q, tz_cached, &res)) {
        db_feed_clear(&rows);
        reply_problem(r, ERR_INTERNAL, NULL, "the feed could not be built");
        return;
    }
    size_t len = 0;
    const char *callang = req_first_language(r);
    char *text =
        ics ? feed_render_ics(&res, fr->calname, callang, &len) : feed_render_json(&res, &len);
    char langs[32] = "";
    for (size_t i = 0; i < res.n; i++) /* the languages the items are in, for Content-Language */
    {
        const struct feed_row *row = res.items[i].row;
        const char *l = strcmp(row->language, "all") == 0 ? row->main_language : row->language;
        if (strstr(langs, l) == NULL && strlen(langs) < 24)
            snprintf(langs + strlen(langs), sizeof(langs) - strlen(langs), "%s%s",
                     langs[0] ? ", " : "", l);
    }
    char hint[HINT_MAX];
    json_t *suggestions = NULL;
    bool unknown = res.n == 0 && !fr->q.has_cursor &&
                   municipality_unknown(r, fr->f.municipality, &suggestions, hint);
    json_decref(suggestions);
    struct cache_answer a = {
        .hint = unknown ? hint : NULL,
        .content_language = langs[0]          ? langs
                            : callang != NULL ? callang
                                              : "nl",
        .ctype = ics ? "text/calendar; charset=utf-8" : "application/json",
        .last_modified = res.last_modified ? res.last_modified : (int64_t)time(NULL),
        .cache_control = "public, max-age=30",
    };
    if (res.truncated)
        log_event("warn", "feed query cut at its item limit", "request_id", r->request_id, NULL);
    feed_result_clear(&res);
    db_feed_clear(&rows);
    if (text == NULL) {
        reply_problem(r, ERR_INTERNAL, NULL, "the feed could not be rendered");
        return;
    }
    cache_store_reply(r, fr->key, fr->cache_gen, text, len, &a);
}

/* The fast path, on the I/O thread: parse once, answer a hit; a miss goes to a worker with the
 * parsed query. */
static bool
serve_cached(struct request *r, bool ics)
{
    struct feed_req *fr = parse(r, ics);
    bool may_serve, connected = feed_listener_connected();

    if (fr == NULL)
        return true; /* replied 400 */
    fr->cache_gen = cache_generation_for(fr->f.municipality, &may_serve);
    fr->cache_unsettled = !may_serve;
    /* While the listener is away the database may be too: a stale answer beats none. */
    if ((may_serve || !connected) && cache_reply(r, fr->key, fr->cache_gen, !connected)) {
        metric_inc(M_FEED_CACHE_HIT);
        free(fr);
        return true;
    }
    r->parsed = fr;
    r->parsed_free = free;
    return false;
}

static void
serve(struct request *r, bool ics)
{
    if (r->parsed == NULL && serve_cached(r, ics)) /* a handler called without its fast path */
        return;
    answer(r, r->parsed, r->db);
}

bool
h_feed_json_cached(struct request *r)
{
    return serve_cached(r, false);
}

bool
h_feed_ics_cached(struct request *r)
{
    return serve_cached(r, true);
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
