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
#include "stek/strbuf.h"
#include "stek/db.h"

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
    struct qsearch search;
};

static void
feed_req_free(void *p)
{
    struct feed_req *fr = p;
    if (fr != NULL)
        qsearch_clear(&fr->search);
    free(fr);
}

/* ---- day, from_time, to_time, open_now ---- */

static const char *const day_names[] = {"mo", "tu", "we", "th", "fr", "sa", "su", NULL};

const char *
qs_days(const char *v, void *out)
{
    uint8_t *days = out; /* each value given adds its days (day=mo,we or day=mo&day=we) */
    const char *p = v;

    for (;;) {
        size_t len = strcspn(p, ",");
        int d = -1;
        for (int k = 0; day_names[k] != NULL && d < 0; k++)
            if (len == 2 && strncmp(p, day_names[k], 2) == 0)
                d = k;
        if (d < 0)
            return "must be days among mo, tu, we, th, fr, sa, su, separated by commas (mo,we)";
        *days |= (uint8_t)(1u << d);
        if (p[len] == '\0')
            return NULL;
        p += len + 1;
    }
}

const char *
qs_hhmm(const char *v, void *out)
{
    struct qtime *t = out;
    if (strlen(v) != 5 || v[2] != ':' || v[0] < '0' || v[0] > '2' || v[1] < '0' || v[1] > '9' ||
        v[3] < '0' || v[3] > '5' || v[4] < '0' || v[4] > '9' ||
        (v[0] - '0') * 10 + (v[1] - '0') > 23)
        return "must be a time of day as HH:MM (00:00 to 23:59)";
    t->has = true;
    t->min = ((v[0] - '0') * 10 + (v[1] - '0')) * 60 + (v[3] - '0') * 10 + (v[4] - '0');
    return NULL;
}

void
qopen_finish(const struct qopen *q, json_t *errs, struct feed_open *out)
{
    memset(out, 0, sizeof(*out));
    out->days = q->days;
    out->has_from = q->from.has;
    out->from_min = q->from.min;
    out->has_to = q->to.has;
    out->to_min = q->to.min;
    out->open_now = q->open_now != NULL && *q->open_now == 't';
    out->now = (int64_t)time(NULL);
    if (q->from.has && q->to.has && q->to.min <= q->from.min)
        field_error(errs, "to_time", "must be after from_time");
}

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
    struct qopen open = {0};
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
        QS_SEARCH("q", &fr->search),
        QS_OPEN(&open),
        QS_LIMIT(&fr->q.limit),
        QS_CUR(&cursor, "feed"),
        QS_LANGUAGE,
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec);

    qopen_finish(&open, errs, &fr->q.open);
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
    /* q's answer follows the synonyms (their generation); open_now's, the minute. */
    const struct feed_open *o = &fr->q.open;
    int klen = snprintf(
        fr->key, sizeof(fr->key),
        "%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%llu|%s|%s|%s|%d|%s|%u|%d|%d|%lld", ics,
        fr->lang ? fr->lang : "", f->from, f->to, f->municipality ? f->municipality : "",
        f->postal_code ? f->postal_code : "", f->site ? f->site : "", f->partner ? f->partner : "",
        f->function ? f->function : "", f->category ? f->category : "", f->free ? f->free : "",
        f->kind ? f->kind : "", fr->search.text ? fr->search.text : "",
        fr->search.text ? (unsigned long long)search_config_generation() : 0ull, fr->near.lat,
        fr->near.lon, fr->near.radius_km, fr->q.limit, raw_cursor ? raw_cursor : "", o->days,
        o->has_from ? o->from_min : -1, o->has_to ? o->to_min : -1,
        o->open_now ? (long long)(o->now / 60) : -1ll);
    if (json_array_size(errs) == 0 && (klen < 0 || (size_t)klen >= sizeof(fr->key)))
        field_error(errs, "cursor", "the query is too long");
    if (!qspec_reply(r, errs)) {
        feed_req_free(fr);
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
    /* q's parts and typos: from the model's vocabulary when it answers, else the database's
     * (either holds every term of the offers it shows: the same offers match) */
    if (fr->search.text != NULL && fr->f.search == NULL) {
        if (!search_widen(r, &fr->search, m != NULL)) {
            feed_model_release(m);
            return;
        }
        fr->f.search = qsearch_query(&fr->search);
    }
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
    if (fr->f.search != NULL)
        feed_rows_searched(rows.rows, &rows.n);
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
        feed_req_free(fr);
        return true;
    }
    r->parsed = fr;
    r->parsed_free = feed_req_free;
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

/* How far ahead a list's day, from_time, to_time and open_now look: five weeks hold an
 * occurrence of every weekly, fortnightly and monthly rule. */
#define OPEN_DAYS 35

bool
feed_open_offers(struct request *r, const struct feed_open *o, char **ids)
{
    struct feed_filter f = {0};
    struct feed_query q = {.open = *o, .limit = 0};
    char since[24], from[11], to[11];
    struct db_feed rows;
    struct feed_result res;

    *ids = NULL;
    q.from = service_today();
    q.to = q.from + OPEN_DAYS - 1;
    date_format(q.from, from);
    date_format(q.to, to);
    f.from = from;
    f.to = to;
    feed_filter_public(&f, since);
    struct feed_model *m = feed_model_acquire(feed_generation(), MODEL_WAIT_MS);
    if (m == NULL || !feed_model_query(m, &f, q.from, q.to, NULL, &rows)) {
        feed_model_release(m);
        if (db_feed_rows(r->db, &f, &rows) < 0) {
            reply_db_error(r);
            return false;
        }
    }
    if (!feed_build(rows.rows, rows.n, &q, tz_cached, &res)) {
        db_feed_clear(&rows);
        reply_problem(r, ERR_INTERNAL, NULL, "the occurrences could not be computed");
        return false;
    }
    struct strbuf b = {0};
    sb_puts(&b, "{");
    json_t *seen = json_object();
    for (size_t i = 0; i < res.n; i++) {
        const char *id = res.items[i].row->offer_id;
        if (json_object_get(seen, id) != NULL)
            continue;
        json_object_set_new(seen, id, json_true());
        sb_printf(&b, "%s%s", json_object_size(seen) > 1 ? "," : "", id);
    }
    sb_puts(&b, "}");
    json_decref(seen);
    feed_result_clear(&res);
    db_feed_clear(&rows);
    *ids = sb_steal(&b, NULL);
    return true;
}
