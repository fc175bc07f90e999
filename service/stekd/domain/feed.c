#include "stek/crypto.h"
#include "stek/cursor.h"
#include "stek/date.h"
#include "stek/feed.h"
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
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u", (unsigned)y % 10000u, m % 100u,
             d % 100u, secs / 3600 % 100u, secs / 60 % 60, secs % 60, offset < 0 ? '-' : '+',
             off / 3600, off / 60 % 60);
}

/*
 * A stable id for one occurrence: the offer, its scheduled local date and
 * start time, hashed into the shape of a UUID (version 8, RFC 9562). It stays
 * the same when the occurrence is cancelled or moved.
 */
static void
occurrence_id(const char *offer_id, int32_t day, int start_min, char out[37])
{
    char key[96], date[11], hex[STEK_SHA256_HEX_LEN + 1];

    date_format(day, date);
    snprintf(key, sizeof(key), "%s/%s/%02d:%02d", offer_id, date, start_min / 60, start_min % 60);
    stek_sha256_hex(key, strlen(key), hex);
    hex[12] = '8';
    hex[16] = "89ab"[hex[16] % 4];
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static int
cmp_items(const void *a, const void *b)
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

    if (row->rrule != NULL && !rrule_parse(row->rrule, &rule, err, sizeof(err)))
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
            const char *tzname = row->timezone;
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
            const struct tz *z = tzname ? tzf(tzname) : NULL;
            if (z != NULL) {
                it.start = tz_local_to_utc(z, days[i], start, &it.start_off);
                it.end = tz_local_to_utc(z, days[i], end, &it.end_off);
            } else {
                it.start = (int64_t)days[i] * 86400 + start * 60;
                it.end = (int64_t)days[i] * 86400 + end * 60;
            }
            occurrence_id(row->offer_id, days[i], row->start_min, it.occurrence_id);
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

        r->title = i18n_text(r->translations, use, main, "title", r->title);
        r->description = i18n_text(r->translations, use, main, "description", r->description);
        r->audience = i18n_text(r->translations, use, main, "audience", r->audience);
        r->price_note = i18n_text(r->translations, use, main, "price_note", r->price_note);
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

bool
feed_build(const struct feed_row *rows, size_t nrows, const struct feed_query *q, tz_lookup_fn tz,
           struct feed_result *res)
{
    size_t cap = 0, kept = 0, first = 0;

    memset(res, 0, sizeof(*res));
    for (size_t i = 0; i < nrows && !res->truncated; i++)
        if (!expand_row(&rows[i], i, q, tz, res, &cap))
            return false;
    if (res->n > 1)
        qsort(res->items, res->n, sizeof(*res->items), cmp_items);
    /* Two schedules of one offer starting at the same instant are one occurrence. */
    for (size_t i = 0; i < res->n; i++) {
        if (kept > 0 && cmp_items(&res->items[kept - 1], &res->items[i]) == 0)
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
    return true;
}

void
feed_result_clear(struct feed_result *res)
{
    free(res->items);
    memset(res, 0, sizeof(*res));
}

static const char *const status_names[] = {"scheduled", "cancelled", "moved"};

char *
feed_render_json(const struct feed_result *res, size_t *len)
{
    json_t *body = json_object(), *items = json_array();
    char *text;

    for (size_t i = 0; i < res->n; i++) {
        const struct feed_item *it = &res->items[i];
        const struct feed_row *row = it->row;
        char start[32], end[32];
        json_t *o = json_object();

        format_local(it->start, it->start_off, start);
        format_local(it->end, it->end_off, end);
        json_object_set_new(o, "occurrence_id", json_string(it->occurrence_id));
        json_object_set_new(o, "offer_id", json_string(row->offer_id));
        bool all = row->language != NULL && strcmp(row->language, "all") == 0;
        const char *main = row->main_language ? row->main_language : "nl";
#define TEXT_OF(field, value)                                                                      \
    (all               ? i18n_all_texts(row->translations, main, field, value)                     \
     : (value) != NULL ? json_string(value)                                                        \
                       : json_null())
        json_object_set_new(o, "title", TEXT_OF("title", row->title));
        json_object_set_new(o, "language", json_string(row->language ? row->language : main));
        json_object_set_new(o, "description", TEXT_OF("description", row->description));
        json_object_set(o, "functions", row->functions);
        json_object_set(o, "categories", row->categories);
        json_object_set_new(o, "free", json_boolean(row->free));
        json_object_set_new(o, "price_note", TEXT_OF("price_note", row->price_note));
        json_object_set_new(o, "start", json_string(start));
        json_object_set_new(o, "end", json_string(end));
        json_object_set_new(o, "status", json_string(status_names[it->status]));
        json_object_set_new(o, "note", it->note ? json_string(it->note) : json_null());
        json_object_set_new(o, "registration", json_string(row->registration));
        json_object_set_new(o, "audience", TEXT_OF("audience", row->audience));
#undef TEXT_OF
        json_object_set_new(
            o, "contact",
            json_pack("{s:o, s:o}", "email",
                      row->contact_email ? json_string(row->contact_email) : json_null(), "phone",
                      row->contact_phone ? json_string(row->contact_phone) : json_null()));
        json_object_set(o, "site", (json_t *)it->site);
        json_object_set_new(
            o, "partner",
            json_pack("{s:s, s:s}", "id", row->partner_id, "name", row->partner_name));
        json_array_append_new(items, o);
    }
    json_object_set_new(body, "items", items);
    if (res->more) {
        char cursor[CURSOR_MAX], a[32];
        const struct feed_item *last = &res->items[res->n - 1];
        snprintf(a, sizeof(a), "%lld", (long long)last->start);
        cursor_encode(cursor, a, last->row->offer_id);
        json_object_set_new(body, "next_cursor", json_string(cursor));
    } else {
        json_object_set_new(body, "next_cursor", json_null());
    }
    text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(body);
    if (text != NULL)
        *len = strlen(text);
    return text;
}
