#include "stek/crypto.h"
#include "stek/cursor.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/strbuf.h"
#include "stek/i18n.h"
#include "stek/rrule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
format_local(int64_t utc, int32_t offset, char out[32])
{
    int64_t local = utc + offset;
    int64_t day = local / 86400 - (local % 86400 < 0);
    unsigned secs = (unsigned)(local - day * 86400); /* 0..86399 */
    int y;
    unsigned m, d;
    unsigned off = (unsigned)(offset < 0 ? -offset : offset) % 86400u;

    civil_from_days((int32_t)day, &y, &m, &d);
    /* By hand: this runs twice per item of every page (snprintf was a tenth of the feed's time). */
    unsigned v[] = {(unsigned)y % 10000u / 100u,
                    (unsigned)y % 100u,
                    m % 100u,
                    d % 100u,
                    secs / 3600 % 100u,
                    secs / 60 % 60,
                    secs % 60,
                    off / 3600 % 100u,
                    off / 60 % 60};
    const char seps[] = {0, '-', '-', 'T', ':', ':', offset < 0 ? '-' : '+', ':', 0};
    date_fields(out, v, 9, seps);
}

/*
 * A stable id for one occurrence: the offer, its scheduled local date and
 * start time, hashed into the shape of a UUID (version 8, RFC 9562). It stays
 * the same when the occurrence is cancelled or moved.
 */
static void
occurrence_id(const char *offer_id, int32_t day, int start_min, char out[37])
{
    char key[96], hex[STEK_SHA256_HEX_LEN + 1];
    size_t n = strnlen(offer_id, 64);

    /* "<offer>/<YYYY-MM-DD>/<HH:MM>", written without printf (a page makes fifty) */
    memcpy(key, offer_id, n);
    key[n++] = '/';
    date_format(day, key + n);
    n += 10;
    key[n++] = '/';
    key[n++] = (char)('0' + start_min / 600 % 10);
    key[n++] = (char)('0' + start_min / 60 % 10);
    key[n++] = ':';
    key[n++] = (char)('0' + start_min % 60 / 10);
    key[n++] = (char)('0' + start_min % 10);
    stek_sha256_hex(key, n, hex);
    hex[12] = '8';
    hex[16] = "89ab"[hex[16] % 4];
    /* 8-4-4-4-12 */
    static const unsigned char from[] = {0, 8, 12, 16, 20, 32};
    size_t o = 0;
    for (int g = 0; g < 5; g++) {
        if (g > 0)
            out[o++] = '-';
        memcpy(out + o, hex + from[g], (size_t)(from[g + 1] - from[g]));
        o += (size_t)(from[g + 1] - from[g]);
    }
    out[o] = '\0';
}

/* By start, then offer id: the rows come ordered by offer id, so each item carries its
 * offer's rank in that order and ties cost no string comparison. */
static int
cmp_items(const void *a, const void *b)
{
    const struct feed_item *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->offer_rank < y->offer_rank ? -1 : x->offer_rank > y->offer_rank;
}

/* The sort's key of an item: 16 bytes moved around instead of the item's 130. */
struct sort_key {
    int64_t start;
    uint32_t rank, index;
};

static int
cmp_keys(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index; /* stable, as qsort's merge sort */
}

/* The items in cmp_items' order (ties in their order of making). */
static void
sort_items(struct feed_result *res)
{
    struct sort_key *k = malloc(res->n * sizeof(*k));
    struct feed_item *sorted = malloc(res->n * sizeof(*sorted));

    if (k == NULL || sorted == NULL)
        abort();
    for (size_t i = 0; i < res->n; i++)
        k[i] = (struct sort_key){res->items[i].start, res->items[i].offer_rank, (uint32_t)i};
    qsort(k, res->n, sizeof(*k), cmp_keys);
    for (size_t i = 0; i < res->n; i++)
        sorted[i] = res->items[k[i].index];
    free(k);
    free(res->items);
    res->items = sorted;
}

static int
cmp_items_by_id(const void *a, const void *b)
{
    const struct feed_item *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->row->offer_id, y->row->offer_id);
}

static const json_t *
exception_on(const json_t *excs, int32_t day)
{
    size_t i;
    json_t *e;
    json_array_foreach(excs, i, e)
    {
        if (json_integer_value(json_object_get(e, "day")) == day)
            return e;
    }
    return NULL;
}

static bool
push(struct feed_result *res, size_t *cap, const struct feed_item *it)
{
    if (res->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct feed_item *ni = realloc(res->items, ncap * sizeof(*ni));
        if (ni == NULL)
            return false;
        res->items = ni;
        *cap = ncap;
    }
    res->items[res->n++] = *it;
    return true;
}

/* The closure of the schedule's site that covers day, or NULL. */
static const json_t *
closure_on(const json_t *closures, int32_t day)
{
    size_t i;
    const json_t *c;

    json_array_foreach(closures, i, c)
    {
        if (json_integer_value(json_object_get(c, "from")) <= day &&
            day <= json_integer_value(json_object_get(c, "to")))
            return c;
    }
    return NULL;
}

/* A rule parsed before on this thread, by its text (a region's schedules share a few dozen
 * rules: FREQ=WEEKLY;BYDAY=TU and the like), else parsed and kept. */
static bool
rrule_parse_cached(const char *text, struct rrule *out, char *err, size_t errlen)
{
    static _Thread_local struct {
        char text[120];
        struct rrule rule;
    } memo[32];
    size_t n = strnlen(text, sizeof(memo[0].text));

    if (n == 0 || n >= sizeof(memo[0].text)) /* "" would match an empty slot */
        return rrule_parse(text, out, err, errlen);
    uint32_t h = stek_fnv1a(STEK_FNV_BASIS, text) % 32;
    if (strcmp(memo[h].text, text) == 0) {
        *out = memo[h].rule;
        return true;
    }
    if (!rrule_parse(text, out, err, errlen))
        return false;
    memcpy(memo[h].text, text, n + 1);
    memo[h].rule = *out;
    return true;
}

/* Adds the occurrences of one schedule row. */
static bool
expand_row(const struct feed_row *row, size_t ri, const struct feed_query *q, tz_lookup_fn tzf,
           struct feed_result *res, size_t *cap)
{
    struct rrule rule;
    char err[256];
    int32_t days[512];
    bool more;
    int32_t from = q->from;
    const json_t *excs = row->exceptions;
    const json_t *closures = row->closures;
    const struct tz *row_tz = row->timezone ? tzf(row->timezone) : NULL; /* once per row */

    if (row->rrule != NULL && !rrule_parse_cached(row->rrule, &rule, err, sizeof(err)))
        return true; /* cannot happen for data written through the API */
    do {
        int n = rrule_expand(row->rrule ? &rule : NULL, row->dtstart, row->until, from, q->to, days,
                             512, &more);
        for (int i = 0; i < n; i++) {
            struct feed_item it = {.row = row,
                                   .row_index = ri,
                                   .day = days[i],
                                   .status = OCC_SCHEDULED,
                                   .changed = row->changed,
                                   .site = row->site};
            const json_t *e = exception_on(excs, days[i]);
            int start = row->start_min, end = row->end_min;
            const char *tzname = NULL; /* a moved occurrence's own site's */
            bool ok = row->site_ok;
            const json_t *closed = e == NULL ? closure_on(closures, days[i]) : NULL;
            if (closed != NULL) {
                /* The site is closed that day; an explicit exception would have won. */
                it.status = OCC_CANCELLED;
                it.note = json_string_value(json_object_get(closed, "note"));
                if (json_integer_value(json_object_get(closed, "changed")) > it.changed)
                    it.changed = json_integer_value(json_object_get(closed, "changed"));
            }
            if (e != NULL) {
                const json_t *esite = json_object_get(e, "site");
                it.status = strcmp(json_string_value(json_object_get(e, "status")), "moved") == 0
                                ? OCC_MOVED
                                : OCC_CANCELLED;
                it.note = json_string_value(json_object_get(e, "note"));
                if (json_integer_value(json_object_get(e, "changed")) > it.changed)
                    it.changed = json_integer_value(json_object_get(e, "changed"));
                if (json_is_integer(json_object_get(e, "start"))) {
                    start = (int)json_integer_value(json_object_get(e, "start"));
                    end = (int)json_integer_value(json_object_get(e, "end"));
                }
                if (json_is_object(esite)) {
                    it.site = esite;
                    tzname = json_string_value(json_object_get(e, "timezone"));
                    ok = json_is_true(json_object_get(e, "ok"));
                }
            }
            if (!ok)
                continue;
            const struct tz *z = tzname ? tzf(tzname) : row_tz;
            if (z != NULL) {
                it.start = tz_local_to_utc(z, days[i], start, &it.start_off);
                it.end = tz_local_to_utc(z, days[i], end, &it.end_off);
            } else {
                it.start = (int64_t)days[i] * 86400 + start * 60;
                it.end = (int64_t)days[i] * 86400 + end * 60;
            }
            if (res->n >= FEED_MAX_ITEMS) {
                res->truncated = true;
                return true;
            }
            if (!push(res, cap, &it))
                return false;
        }
        if (n > 0)
            from = days[n - 1] + 1;
    } while (more);
    return true;
}

void
feed_localize_site(json_t *site, const char *lang)
{
    if (!json_is_object(site))
        return;
    i18n_localize(site, lang);
    json_object_del(site, "language");
    json_object_del(site, "main_language");
}

/* A note's text in lang when the record has it, its main text otherwise. */
static void
localize_note(json_t *record, const char *lang)
{
    const char *t = json_string_value(
        json_object_get(json_object_get(json_object_get(record, "translations"), lang), "note"));
    if (t != NULL)
        json_object_set_new(record, "note", json_string(t));
    json_object_del(record, "translations");
    json_object_del(record, "main_language");
}

void
feed_localize(struct feed_row *rows, size_t n, const char *lang)
{
    static const char *const fields[] = {"title", "description", "audience", "price_note", NULL};

    bool all = lang != NULL && strcmp(lang, "all") == 0;

    if (all)
        lang = NULL; /* every language of the offer's texts; sites and notes in the main one */
    for (size_t i = 0; i < n; i++) {
        struct feed_row *r = &rows[i];
        const char *main = r->main_language ? r->main_language : "nl";
        const char *texts[] = {r->title, r->description, r->audience, r->price_note};
        const char *use = i18n_record_language(r->translations, main, lang, fields, texts);
        size_t k;
        json_t *e;

        if (strcmp(use, main) != 0) { /* else the texts are the main language's already */
            r->title = i18n_text(r->translations, use, main, "title", r->title);
            r->description = i18n_text(r->translations, use, main, "description", r->description);
            r->audience = i18n_text(r->translations, use, main, "audience", r->audience);
            r->price_note = i18n_text(r->translations, use, main, "price_note", r->price_note);
        }
        r->language = all ? "all" : use;
        if (!r->site_shown)
            feed_localize_site(r->site, lang);
        json_array_foreach(r->exceptions, k, e)
        {
            localize_note(e, use);
            feed_localize_site(json_object_get(e, "site"), lang);
        }
        json_array_foreach(r->closures, k, e) localize_note(e, use);
    }
}

void
feed_rows_searched(struct feed_row *rows, size_t *n)
{
    unsigned required = 0;
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++)
        required |= rows[i].search_mask;
    for (size_t i = 0; i < *n; i++)
        if (required != 0 && (rows[i].search_mask & required) == required)
            rows[kept++] = rows[i];
    *n = kept;
}

bool
feed_open_given(const struct feed_open *o)
{
    return o->days != 0 || o->has_from || o->has_to || o->open_now;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

bool
feed_item_open(const struct feed_item *it, const struct feed_open *o)
{
    int64_t local = it->start + it->start_off;
    int64_t day = floor_div(local, 86400);
    int start_min = (int)((local - day * 86400) / 60);
    int end_min = start_min + (int)((it->end - it->start) / 60);

    if (it->status == OCC_CANCELLED)
        return false;
    if (o->days != 0 && !(o->days & (1u << (unsigned)((day % 7 + 7 + 3) % 7))))
        return false; /* 1970-01-01 was a Thursday (3 from Monday) */
    if (o->has_from && end_min <= o->from_min)
        return false;
    if (o->has_to && start_min >= o->to_min)
        return false;
    return !o->open_now || (it->start <= o->now && o->now < it->end);
}

bool
feed_build(const struct feed_row *rows, size_t nrows, const struct feed_query *q, tz_lookup_fn tz,
           struct feed_result *res)
{
    size_t cap = 0, kept = 0, first = 0;
    uint32_t *rank = calloc(nrows + 1, sizeof(*rank));
    bool ordered = true;
    int (*cmp)(const void *, const void *) = cmp_items;

    if (rank == NULL)
        abort();
    memset(res, 0, sizeof(*res));
    for (size_t i = 1; i < nrows && ordered; i++) {
        int c = strcmp(rows[i - 1].offer_id, rows[i].offer_id);
        ordered = c <= 0;
        rank[i] = rank[i - 1] + (c != 0);
    }
    if (!ordered) /* rows not by offer id (never from the model or the statement) */
        cmp = cmp_items_by_id;
    for (size_t i = 0; i < nrows && !res->truncated; i++)
        if (!expand_row(&rows[i], i, q, tz, res, &cap)) {
            free(rank);
            return false;
        }
    for (size_t i = 0; i < res->n; i++)
        res->items[i].offer_rank = rank[res->items[i].row_index];
    free(rank);
    if (res->n > 1 && ordered)
        sort_items(res);
    else if (res->n > 1)
        qsort(res->items, res->n, sizeof(*res->items), cmp);
    /* Two schedules of one offer starting at the same instant are one occurrence. Only the open
     * ones when the query asks (day, from_time, to_time, open_now). */
    bool open = feed_open_given(&q->open);
    for (size_t i = 0; i < res->n; i++) {
        if (kept > 0 && cmp(&res->items[kept - 1], &res->items[i]) == 0)
            continue;
        if (open && !feed_item_open(&res->items[i], &q->open))
            continue;
        res->items[kept++] = res->items[i];
    }
    res->n = kept;
    for (size_t i = 0; i < res->n; i++)
        if (res->items[i].changed > res->last_modified)
            res->last_modified = res->items[i].changed;
    if (q->has_cursor) {
        while (first < res->n && (res->items[first].start < q->cursor_start ||
                                  (res->items[first].start == q->cursor_start &&
                                   strcmp(res->items[first].row->offer_id, q->cursor_offer) <= 0)))
            first++;
        memmove(res->items, res->items + first, (res->n - first) * sizeof(*res->items));
        res->n -= first;
    }
    if (q->limit > 0 && res->n > (size_t)q->limit) {
        res->n = (size_t)q->limit;
        res->more = true;
    }
    for (size_t i = 0; i < res->n; i++) /* a hash each: only for the page */
        occurrence_id(res->items[i].row->offer_id, res->items[i].day, res->items[i].row->start_min,
                      res->items[i].occurrence_id);
    return true;
}

void
feed_result_clear(struct feed_result *res)
{
    free(res->items);
    memset(res, 0, sizeof(*res));
}

static const char *const status_names[] = {"scheduled", "cancelled", "moved"};

/* A JSON string as jansson writes it (JSON_COMPACT, no ASCII escaping): byte for byte. */
static void
put_string(struct strbuf *b, const char *s)
{
    const char *run = s;

    sb_put(b, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        const char *esc = NULL;
        char u[8];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_put(b, run, (size_t)(s - run));
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            snprintf(u, sizeof(u), "\\u%04X", c);
            esc = u;
        }
        sb_puts(b, esc);
        run = s + 1;
    }
    sb_put(b, run, (size_t)(s - run));
    sb_put(b, "\"", 1);
}

static void
put_opt_string(struct strbuf *b, const char *s)
{
    if (s != NULL)
        put_string(b, s);
    else
        sb_put(b, "null", 4);
}

/* JSON values shared by many items (a site, a list of names), each written once per page. */
struct dumped {
    const json_t *v;
    char *text;
};

static void
put_json(struct strbuf *b, const json_t *v, struct dumped *memo, size_t nmemo)
{
    size_t i;
    const json_t *e;

    /* A list of names (functions, categories) is written as it is, as json_dumps would. */
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) if (!json_is_string(e)) break;
        if (i == json_array_size(v)) {
            sb_put(b, "[", 1);
            json_array_foreach(v, i, e)
            {
                if (i > 0)
                    sb_put(b, ",", 1);
                put_string(b, json_string_value(e));
            }
            sb_put(b, "]", 1);
            return;
        }
    }

    for (i = 0; i < nmemo && memo[i].v != NULL; i++)
        if (memo[i].v == v) {
            sb_puts(b, memo[i].text);
            return;
        }
    char *text = json_dumps(v, FEED_DUMP_FLAGS | JSON_ENCODE_ANY);
    if (text == NULL)
        abort();
    sb_puts(b, text);
    if (i < nmemo) {
        memo[i].v = v;
        memo[i].text = text;
    } else {
        free(text);
    }
}

/* A text field: the reader's one, or every language's ({"nl": ..., "fr": ...}) for "all". */
static void
put_text(struct strbuf *b, const struct feed_row *row, bool all, const char *field,
         const char *value)
{
    if (all) {
        json_t *v = i18n_all_texts(row->translations,
                                   row->main_language ? row->main_language : "nl", field, value);
        char *text = json_dumps(v, FEED_DUMP_FLAGS | JSON_ENCODE_ANY);
        sb_puts(b, text);
        free(text);
        json_decref(v);
    } else {
        put_opt_string(b, value);
    }
}

/* The end of an item: its partner's object closed, the day its offer was last confirmed (UTC;
 * null when not known), the item closed. */
static void
put_confirmed_end(struct strbuf *b, int64_t confirmed)
{
    char day[11];
    if (confirmed <= 0) {
        sb_puts(b, "},\"confirmed_on\":null}");
        return;
    }
    date_format((int32_t)(confirmed / 86400), day);
    sb_puts(b, "},\"confirmed_on\":\"");
    sb_puts(b, day);
    sb_puts(b, "\"}");
}

char *
feed_render_json(const struct feed_result *res, size_t *len)
{
    struct strbuf b = {0};
    struct dumped memo[64] = {{0}};

    sb_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < res->n; i++) {
        const struct feed_item *it = &res->items[i];
        const struct feed_row *row = it->row;
        char start[32], end[32];
        bool all = row->language != NULL && strcmp(row->language, "all") == 0;
        const char *main = row->main_language ? row->main_language : "nl";

        format_local(it->start, it->start_off, start);
        format_local(it->end, it->end_off, end);
        sb_puts(&b, i > 0 ? ",{\"occurrence_id\":" : "{\"occurrence_id\":");
        put_string(&b, it->occurrence_id);
        sb_puts(&b, ",\"offer_id\":");
        put_string(&b, row->offer_id);
        sb_puts(&b, ",\"kind\":");
        put_string(&b, row->kind ? row->kind : "activity");
        sb_puts(&b, ",\"title\":");
        put_text(&b, row, all, "title", row->title);
        sb_puts(&b, ",\"language\":");
        put_string(&b, row->language ? row->language : main);
        sb_puts(&b, ",\"description\":");
        put_text(&b, row, all, "description", row->description);
        sb_puts(&b, ",\"functions\":");
        put_json(&b, row->functions, memo, 64);
        sb_puts(&b, ",\"categories\":");
        put_json(&b, row->categories, memo, 64);
        sb_puts(&b, row->free == FACT_UNKNOWN ? ",\"free\":null"
                    : row->free == FACT_YES   ? ",\"free\":true"
                                              : ",\"free\":false");
        sb_puts(&b, ",\"price_note\":");
        put_text(&b, row, all, "price_note", row->price_note);
        sb_puts(&b, ",\"start\":");
        put_string(&b, start);
        sb_puts(&b, ",\"end\":");
        put_string(&b, end);
        sb_puts(&b, feed_item_all_day(it) ? ",\"all_day\":true,\"status\":"
                                          : ",\"all_day\":false,\"status\":");
        put_string(&b, status_names[it->status]);
        sb_puts(&b, ",\"note\":");
        put_opt_string(&b, it->note);
        sb_puts(&b, ",\"registration\":");
        put_opt_string(&b, row->registration);
        sb_puts(&b, ",\"audience\":");
        put_text(&b, row, all, "audience", row->audience);
        sb_puts(&b, ",\"contact\":{\"email\":");
        put_opt_string(&b, row->contact_email);
        sb_puts(&b, ",\"phone\":");
        put_opt_string(&b, row->contact_phone);
        sb_puts(&b, "},\"site\":");
        if (it->site == row->site && row->site_text != NULL)
            sb_puts(&b, row->site_text);
        else
            put_json(&b, it->site, memo, 64);
        sb_puts(&b, ",\"partner\":{\"id\":");
        put_string(&b, row->partner_id);
        sb_puts(&b, ",\"name\":");
        put_string(&b, row->partner_name);
        put_confirmed_end(&b, row->confirmed);
    }
    sb_puts(&b, "],\"next_cursor\":");
    if (res->more) {
        char cursor[CURSOR_MAX], a[32];
        const struct feed_item *last = &res->items[res->n - 1];
        snprintf(a, sizeof(a), "%lld", (long long)last->start);
        cursor_encode(cursor, a, last->row->offer_id);
        put_string(&b, cursor);
    } else {
        sb_puts(&b, "null");
    }
    sb_puts(&b, "}");
    for (size_t i = 0; i < 64 && memo[i].v != NULL; i++)
        free(memo[i].text);
    return sb_steal(&b, len);
}
