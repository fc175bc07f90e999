/*
 * GET /v1/offers/{id}/uitdatabank: the offer as an UiTdatabank Entry API v3 event, for an
 * administrator to push to UiTdatabank with their own credentials (no request leaves this
 * daemon). The mapping is domain/uitdatabank.c's.
 */
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/entity.h"
#include "stek/handlers.h"
#include "stek/qspec.h"
#include "stek/tz.h"
#include "stek/uitdatabank.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPORT_DAYS 365

static const char *const calendars[] = {"multiple", "periodic", NULL};

/* Reads one record; false after replying (404 names what; 503/500 for the database). */
static bool
read_doc(struct request *r, db_get_fn get, const char *id, const char *what, struct db_doc *out)
{
    enum db_qs qs = get(r->db, id, false, out);
    if (qs < 0)
        reply_db_error(r);
    else if (qs == DB_NO_ROWS)
        reply_problem(r, ERR_NOT_FOUND, NULL, "no %s with this id", what);
    return qs > 0;
}

void
h_offers_uitdatabank(struct request *r)
{
    const char *calendar = NULL;
    const struct qspec spec[] = {QS_ONEOF("calendar", &calendar, calendars), QS_SPEC_END};
    const char *id = req_id(r, "offer");
    struct db_doc offer = {0}, site = {0}, partner = {0};
    struct db_feed rows = {0};
    struct feed_result res = {0};
    struct feed_filter f = {0};
    struct feed_query q = {0};
    char from[11], to[11], why[400];
    const char *field = NULL;

    if (id == NULL || !qspec_parse(r, spec))
        return;
    if (!read_doc(r, db_get_offer, id, "offer", &offer))
        return;
    const char *site_id = json_string_value(json_object_get(offer.doc, "site_id"));
    const char *partner_id = json_string_value(json_object_get(offer.doc, "partner_id"));
    if (!read_doc(r, db_get_site, site_id, "site", &site) ||
        !read_doc(r, db_get_partner, partner_id, "partner", &partner))
        goto done;
    q.from = service_today();
    q.to = q.from + EXPORT_DAYS;
    date_format(q.from, from);
    date_format(q.to, to);
    f.from = from;
    f.to = to;
    f.partner = partner_id;
    if (db_feed_rows(r->db, &f, &rows) < 0) {
        reply_db_error(r);
        goto done;
    }
    /* The rows come by offer: this offer's are together. */
    size_t first = 0, n = 0;
    while (first < rows.n && strcasecmp(rows.rows[first].offer_id, offer.id) != 0)
        first++;
    while (first + n < rows.n && strcasecmp(rows.rows[first + n].offer_id, offer.id) == 0)
        n++;
    feed_localize(rows.rows + first, n, NULL);
    if (!feed_build(rows.rows + first, n, &q, tz_cached, &res))
        abort();
    struct uit_input in = {
        .offer = offer.doc,
        .site = site.doc,
        .partner = partner.doc,
        .occurrences = &res,
        .calendar = calendar,
        .uit_base = stek_config()->uitdatabank_url,
    };
    json_t *event = uit_export(&in, &field, why, sizeof(why));
    if (event == NULL) {
        json_t *errs = json_array();
        field_error(errs, field, why);
        reply_problem(r, ERR_NOT_EXPORTABLE, errs, "%s", why);
    } else {
        reply_json_steal(r, 200, event);
        reply_header(r, "Cache-Control", "no-cache");
    }
done:
    feed_result_clear(&res);
    db_feed_clear(&rows);
    db_doc_clear(&offer);
    db_doc_clear(&site);
    db_doc_clear(&partner);
}
