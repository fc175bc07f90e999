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

void
h_print_month(struct request *r)
{
    const char *site = NULL, *municipality = NULL, *lang = NULL;
    int32_t month = service_today();
    struct month_page page = {0};
    struct feed_filter f = {0};
    struct feed_query q = {0};
    struct db_feed rows = {0};
    struct feed_result res = {0};
    struct db_doc doc = {0};
    char from[11], to[11], base[256];
    struct strbuf url = {0}, address = {0}; /* user text: whole, never cut */
    int y;
    unsigned m, d;
    const struct qspec spec[] = {
        QS_ID("site", &site, "a site id"),
        QS_TXT("municipality", &municipality, 100),
        QS_MON("month", &month),
        QS_ONEOF("lang", &lang, langs),
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec);

    if (req_query(r, "site") != NULL && req_query(r, "municipality") != NULL)
        field_error(errs, "municipality", "must not be given with site: give one of the two");
    else if (req_query(r, "site") == NULL && req_query(r, "municipality") == NULL)
        field_error(errs, "site",
                    "is required unless municipality is given: give a site's id, "
                    "or a municipality");
    if (!qspec_reply(r, errs))
        return;
    json_t *suggestions;
    if (municipality_unknown(r, municipality, &suggestions, NULL)) {
        /* A calendar of nothing would be printed and pinned up: say what is known instead. */
        json_t *e = json_pack("[{s:s, s:s, s:o}]", "field", "municipality", "message",
                              json_array_size(suggestions) > 0
                                  ? "names no site; did you mean one of suggestions?"
                                  : "names no site, and no known municipality is close",
                              "suggestions", suggestions);
        reply_problem(r, ERR_NOT_FOUND, e, "no site in this municipality");
        return;
    }
    civil_from_days(month, &y, &m, &d);
    page.year = y;
    page.month = m;
    /* ?lang=, else the reader's Accept-Language, else Dutch. */
    if (lang == NULL)
        lang = req_first_language(r);
    page.lang = lang ? lang : "nl";
    req_public_base(r, base, sizeof(base));
    if (site != NULL) {
        enum db_qs qs = db_get_site(r->db, site, false, &doc);
        if (!reply_found(r, qs, "site"))
            return;
        i18n_localize(doc.doc, page.lang); /* the site's name in the page's language */
        const json_t *a = json_object_get(doc.doc, "address");
        sb_address_line(&address, a);
        page.heading = json_string_value(json_object_get(doc.doc, "name"));
        page.address = sb_str(&address);
        sb_printf(&url, "%s/?site=%s", base, site);
    } else {
        page.heading = municipality;
        page.show_site = true;
        sb_printf(&url, "%s/?municipality=", base);
        url_encode(&url, municipality);
    }
    if (strcmp(page.lang, "nl") != 0)
        sb_printf(&url, "&lang=%s", page.lang);
    q.from = days_from_civil(y, m, 1);
    q.to = first_of_next_month(y, m) - 1;
    date_format(q.from, from);
    date_format(q.to, to);
    f.from = from;
    f.to = to;
    f.site = site;
    f.municipality = municipality;
    if (db_feed_rows(r->db, &f, &rows) < 0) {
        db_doc_clear(&doc);
        sb_free(&url);
        sb_free(&address);
        reply_db_error(r);
        return;
    }
    feed_localize(rows.rows, rows.n, page.lang);
    if (!feed_build(rows.rows, rows.n, &q, tz_cached, &res))
        abort();
    page.feed = &res;
    page.url = sb_str(&url);
    char *svg = qr_svg(page.url, word("qr_caption", page.lang));
    page.qr_svg = svg;
    size_t len = 0;
    char *html = month_render_html(&page, &len);
    free(svg);
    feed_result_clear(&res);
    db_feed_clear(&rows);
    db_doc_clear(&doc);
    sb_free(&url);
    sb_free(&address);
    if (html == NULL)
        abort();
    reply_raw_steal(r, 200, html, len, "text/html; charset=utf-8");
    reply_header(r, "Content-Security-Policy", print_csp);
    reply_header(r, "Cache-Control", "no-cache");
    reply_header(r, "Referrer-Policy", "no-referrer");
    reply_header(r, "Content-Language", page.lang);
    reply_header(r, "Vary", "Accept-Language");
}
