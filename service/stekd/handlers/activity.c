/*
 * GET /activity/{occurrence_id}: the public page of one occurrence, with schema.org JSON-LD
 * (domain/activity.c). The id is the feed's: a hash of the offer, the scheduled date and the
 * start time, so the page finds it by expanding each schedule of the window (from 31 days ago
 * to a year ahead) until one occurrence has that id; the feed's in-memory model answers when it
 * is current, else the database.
 */
#include "stek/activity.h"
#include "stek/clock.h"
#include "stek/date.h"
#include "stek/embedded.h"
#include "stek/feedmodel.h"
#include "stek/handlers.h"
#include "stek/i18n.h"
#include "stek/ids.h"
#include "stek/listen.h"
#include "stek/qspec.h"
#include "stek/tz.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAST_DAYS 31
#define FUTURE_DAYS 366
#define MODEL_WAIT_MS 1000

static const char activity_csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                   "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
static const char *const langs[] = {"nl", "fr", "en", "de", NULL};

static const char *
page_css(void)
{
    for (const struct stek_asset *a = stek_assets; a->name != NULL; a++)
        if (strcmp(a->name, "page.css") == 0)
            return a->versioned;
    return "/assets/page.css";
}

/* Expands one row in the window; true (and *out kept) when it holds the occurrence id. */
static bool
find_in_row(const struct feed_row *row, const struct feed_query *q, const char *id,
            struct feed_result *out, size_t *index)
{
    if (!feed_build(row, 1, q, tz_cached, out))
        abort();
    for (size_t k = 0; k < out->n; k++)
        if (strcmp(out->items[k].occurrence_id, id) == 0) {
            *index = k;
            return true;
        }
    feed_result_clear(out);
    return false;
}

void
h_activity(struct request *r)
{
    const char *lang = NULL;
    const struct qspec spec[] = {QS_ONEOF("lang", &lang, langs), QS_SPEC_END};
    char id[37], from[11], to[11], base[256], since[24];
    struct feed_filter f = {0};
    struct feed_query q = {0};
    struct db_feed rows = {0};
    struct feed_result res = {0};
    size_t found = 0;
    bool hit = false;

    if (!qspec_parse(r, spec))
        return;
    feed_filter_public(&f, since); /* a quiet offer's page is gone with it */
    if (r->nparams < 1 || !is_uuid(r->params[0])) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no activity with this id");
        return;
    }
    for (int i = 0; i < 36; i++)
        id[i] = (char)tolower((unsigned char)r->params[0][i]);
    id[36] = '\0';
    if (lang == NULL)
        lang = req_first_language(r);
    q.from = service_today() - PAST_DAYS;
    q.to = service_today() + FUTURE_DAYS;
    date_format(q.from, from);
    date_format(q.to, to);
    f.from = from;
    f.to = to;

    struct feed_model *m = feed_model_acquire(feed_generation(), MODEL_WAIT_MS);
    if (m == NULL || !feed_model_query(m, &f, q.from, q.to, lang, &rows)) {
        feed_model_release(m);
        if (db_feed_rows(r->db, &f, &rows) < 0) {
            reply_db_error(r);
            return;
        }
    }
    feed_localize(rows.rows, rows.n, lang);
    for (size_t i = 0; i < rows.n && !hit; i++)
        hit = find_in_row(&rows.rows[i], &q, id, &res, &found);
    if (!hit) {
        db_feed_clear(&rows);
        reply_problem(r, ERR_NOT_FOUND, NULL,
                      "no activity with this id (between 31 days ago and a year ahead)");
        return;
    }
    req_public_base(r, base, sizeof(base));
    struct activity_page page = {
        .item = &res.items[found],
        .rows = rows.rows,
        .nrows = rows.n,
        .base = base,
        .lang = lang ? lang : "nl",
        .css = page_css(),
        .tz = tz_cached,
    };
    size_t len = 0;
    char *html = activity_render_html(&page, &len);
    const char *shown = res.items[found].row->language;
    char content_language[8];
    snprintf(content_language, sizeof(content_language), "%s",
             shown != NULL && strcmp(shown, "all") != 0 ? shown : page.lang);
    feed_result_clear(&res);
    db_feed_clear(&rows);
    reply_raw_steal(r, 200, html, len, "text/html; charset=utf-8");
    reply_header(r, "Content-Security-Policy", activity_csp);
    reply_header(r, "Cache-Control", "public, max-age=300");
    reply_header(r, "Content-Language", content_language);
    reply_header(r, "Vary", "Accept-Language");
    reply_header(r, "Referrer-Policy", "no-referrer");
}
