/*
 * GET /print/month: the monthly calendar a STEK hangs on the wall, for one site
 * or one municipality, as an A4 landscape HTML page (domain/month.c) with a QR
 * code (domain/qr.c) that leads to the public page of the same place.
 */
#include "stek/config.h"
#include "stek/ids.h"
#include "stek/qspec.h"
#include "stek/clock.h"
#include "stek/date.h"
#include "stek/tz.h"
#include "stek/handlers.h"
#include "stek/hint.h"
#include "stek/i18n.h"
#include "stek/month.h"
#include "stek/qr.h"
#include "stek/rrule.h"
#include "stek/strbuf.h"
#include "stek/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const langs[] = {"nl", "fr", "en", "de", NULL};

static const char print_csp[] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/* Appends s percent-encoded for a query value (whole, however long). */
static void
url_encode(struct strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            sb_put(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_put(b, e, 3);
        }
    }
}

/* What a printable month is asked for: a site or a municipality, the month, the language. */
struct print_query {
    const char *site, *municipality, *lang;
    int32_t month;
};

/* Reads and checks the query; replies 400 (the parameter named) or 404 (a municipality that
 * names no site, with the closest known ones) and returns false otherwise. */
static bool
read_query(struct request *r, struct print_query *pq)
{
    const struct qspec spec[] = {
        QS_ID("site", &pq->site, "a site id"),
        QS_TXT("municipality", &pq->municipality, 100),
        QS_MON("month", &pq->month),
        QS_ONEOF("lang", &pq->lang, langs),
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec), *suggestions;

    if (req_query(r, "site") != NULL && req_query(r, "municipality") != NULL)
        field_error(errs, "municipality", "must not be given with site: give one of the two");
    else if (req_query(r, "site") == NULL && req_query(r, "municipality") == NULL)
        field_error(errs, "site",
                    "is required unless municipality is given: give a site's id, "
                    "or a municipality");
    if (!qspec_reply(r, errs))
        return false;
    if (municipality_unknown(r, pq->municipality, &suggestions, NULL)) {
        /* A calendar of nothing would be printed and pinned up: say what is known instead. */
        json_t *e = json_pack("[{s:s, s:s, s:o}]", "field", "municipality", "message",
                              json_array_size(suggestions) > 0
                                  ? "names no site; did you mean one of suggestions?"
                                  : "names no site, and no known municipality is close",
                              "suggestions", suggestions);
        reply_problem(r, ERR_NOT_FOUND, e, "no site in this municipality");
        return false;
    }
    /* ?lang=, else the reader's Accept-Language, else Dutch. */
    if (pq->lang == NULL)
        pq->lang = req_first_language(r);
    if (pq->lang == NULL)
        pq->lang = "nl";
    return true;
}

/* The page's heading, address and the address its QR code leads to (the site's or the
 * municipality's public page); false after a 404 or a database failure. doc keeps the site. */
static bool
page_heading(struct request *r, const struct print_query *pq, struct month_page *page,
             struct db_doc *doc, struct strbuf *url, struct strbuf *address)
{
    char base[256];

    req_public_base(r, base, sizeof(base));
    if (pq->site != NULL) {
        if (!reply_found(r, db_get_site(r->db, pq->site, false, doc), "site"))
            return false;
        i18n_localize(doc->doc, page->lang); /* the site's name in the page's language */
        sb_address_line(address, json_object_get(doc->doc, "address"));
        page->heading = json_string_value(json_object_get(doc->doc, "name"));
        page->address = sb_str(address);
        sb_printf(url, "%s/?site=%s", base, pq->site);
    } else {
        page->heading = pq->municipality;
        page->show_site = true;
        sb_printf(url, "%s/?municipality=", base);
        url_encode(url, pq->municipality);
    }
    if (strcmp(page->lang, "nl") != 0)
        sb_printf(url, "&lang=%s", page->lang);
    page->url = sb_str(url);
    return true;
}

void
h_print_month(struct request *r)
{
    struct print_query pq = {.month = service_today()};
    struct month_page page = {0};
    struct feed_filter f = {0};
    struct feed_query q = {0};
    struct db_feed rows = {0};
    struct feed_result res = {0};
    struct db_doc doc = {0};
    char from[11], to[11], since[24];
    struct strbuf url = {0}, address = {0}; /* user text: whole, never cut */
    char *html = NULL;
    size_t len = 0;
    int y;
    unsigned m, d;

    if (!read_query(r, &pq))
        return;
    civil_from_days(pq.month, &y, &m, &d);
    page.year = y;
    page.month = m;
    page.lang = pq.lang;
    if (!page_heading(r, &pq, &page, &doc, &url, &address))
        goto out;
    q.from = days_from_civil(y, m, 1);
    q.to = first_of_next_month(y, m) - 1;
    date_format(q.from, from);
    date_format(q.to, to);
    f = (struct feed_filter){
        .from = from, .to = to, .site = pq.site, .municipality = pq.municipality};
    feed_filter_public(&f, since);
    if (db_feed_rows(r->db, &f, &rows) < 0) {
        reply_db_error(r);
        goto out;
    }
    feed_localize(rows.rows, rows.n, page.lang);
    if (!feed_build(rows.rows, rows.n, &q, tz_cached, &res))
        abort();
    page.feed = &res;
    page.qr_svg = qr_svg(page.url, word("qr_caption", page.lang));
    html = month_render_html(&page, &len);
    free((char *)page.qr_svg);
    reply_raw_steal(r, 200, html, len, "text/html; charset=utf-8");
    reply_header(r, "Content-Security-Policy", print_csp);
    reply_header(r, "Cache-Control", "no-cache");
    reply_header(r, "Referrer-Policy", "no-referrer");
    reply_header(r, "Content-Language", page.lang);
    reply_header(r, "Vary", "Accept-Language");
out:
    feed_result_clear(&res);
    db_feed_clear(&rows);
    db_doc_clear(&doc);
    sb_free(&url);
    sb_free(&address);
}
