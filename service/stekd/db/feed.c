#include "internal.h"
#include "stek/search.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/feedmodel.h"
#include "stek/rrule.h"

#include <stdlib.h>
#include <string.h>

static const char *
opt(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* The columns of feed_rows in statements.def, in its order, and their names (checked against
 * every result before a row is decoded). */
static const char *const feed_col_names[] = {
    "offer_id",      "title",         "description",  "functions",
    "categories",    "free",          "price_note",   "version",
    "changed",       "partner_id",    "partner_name", "dtstart",
    "until",         "rrule",         "start_min",    "end_min",
    "timezone",      "site",          "site_ok",      "exceptions",
    "closures",      "registration",  "audience",     "contact_email",
    "contact_phone", "main_language", "translations", "kind",
    "confirmed",     "search_mask",   NULL,
};
enum feed_col {
    COL_OFFER_ID,
    COL_TITLE,
    COL_DESCRIPTION,
    COL_FUNCTIONS,
    COL_CATEGORIES,
    COL_FREE,
    COL_PRICE_NOTE,
    COL_VERSION,
    COL_CHANGED,
    COL_PARTNER_ID,
    COL_PARTNER_NAME,
    COL_DTSTART,
    COL_UNTIL,
    COL_RRULE,
    COL_START_MIN,
    COL_END_MIN,
    COL_TIMEZONE,
    COL_SITE,
    COL_SITE_OK,
    COL_EXCEPTIONS,
    COL_CLOSURES,
    COL_REGISTRATION,
    COL_AUDIENCE,
    COL_CONTACT_EMAIL,
    COL_CONTACT_PHONE,
    COL_MAIN_LANGUAGE,
    COL_TRANSLATIONS,
    COL_KIND,
    COL_CONFIRMED,
    COL_SEARCH_MASK,
    FEED_COLS
};
_Static_assert(sizeof(feed_col_names) / sizeof(feed_col_names[0]) == FEED_COLS + 1,
               "a name for each column of feed_rows");

/* Parses a JSON column once into out->json (which keeps it); NULL column: an empty array. */
static json_t *
json_col(struct db_feed *out, PGresult *res, int row, enum feed_col col)
{
    json_t *v =
        PQgetisnull(res, row, col) ? json_array() : json_loads(PQgetvalue(res, row, col), 0, NULL);
    if (v == NULL)
        v = json_null(); /* cannot happen: the statement builds it with jsonb */
    json_array_append_new(out->json, v);
    return v;
}

static long long
num(PGresult *res, int row, enum feed_col col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
flag(PGresult *res, int row, enum feed_col col)
{
    return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

enum db_qs
db_feed_rows(struct db_conn *c, const struct feed_filter *f, struct db_feed *out)
{
    const struct search_query *q = f->search;
    const char *params[] = {f->from,
                            f->to,
                            f->municipality,
                            f->postal_code,
                            f->site,
                            f->lat,
                            f->lon,
                            f->radius_km,
                            f->partner,
                            f->function,
                            f->category,
                            f->free,
                            q ? q->sql_t : NULL,
                            f->kind,
                            f->confirmed_since,
                            q ? q->sql_g : NULL,
                            q ? q->sql_w : NULL};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(feed_rows, params), params, &qs);

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return qs;
    if (!db_columns_ok(res, feed_col_names, "feed_rows")) {
        PQclear(res); /* statements.def and enum feed_col disagree: a bug, caught by any test */
        return DB_HARD_ERROR;
    }
    out->result = res;
    out->json = json_array();
    out->n = (size_t)PQntuples(res);
    out->rows = calloc(out->n + 1, sizeof(*out->rows));
    if (out->rows == NULL)
        abort();
    for (size_t i = 0; i < out->n; i++) {
        int r = (int)i;
        struct feed_row *row = &out->rows[i];
        row->offer_id = PQgetvalue(res, r, COL_OFFER_ID);
        row->title = PQgetvalue(res, r, COL_TITLE);
        row->description = opt(res, r, COL_DESCRIPTION);
        row->functions = json_col(out, res, r, COL_FUNCTIONS);
        row->categories = json_col(out, res, r, COL_CATEGORIES);
        row->free = offer_fact_of(opt(res, r, COL_FREE));
        row->price_note = opt(res, r, COL_PRICE_NOTE);
        row->version = (long)num(res, r, COL_VERSION);
        row->changed = num(res, r, COL_CHANGED);
        row->partner_id = PQgetvalue(res, r, COL_PARTNER_ID);
        row->partner_name = PQgetvalue(res, r, COL_PARTNER_NAME);
        row->dtstart = (int32_t)num(res, r, COL_DTSTART);
        row->until = opt(res, r, COL_UNTIL) ? (int32_t)num(res, r, COL_UNTIL) : DAY_NONE;
        row->rrule = opt(res, r, COL_RRULE);
        row->start_min = (int)num(res, r, COL_START_MIN);
        row->end_min = (int)num(res, r, COL_END_MIN);
        row->timezone = PQgetvalue(res, r, COL_TIMEZONE);
        row->site = json_col(out, res, r, COL_SITE);
        row->site_ok = flag(res, r, COL_SITE_OK);
        row->exceptions = json_col(out, res, r, COL_EXCEPTIONS);
        row->closures = json_col(out, res, r, COL_CLOSURES);
        row->registration = opt(res, r, COL_REGISTRATION);
        row->audience = opt(res, r, COL_AUDIENCE);
        row->contact_email = opt(res, r, COL_CONTACT_EMAIL);
        row->contact_phone = opt(res, r, COL_CONTACT_PHONE);
        row->main_language = PQgetvalue(res, r, COL_MAIN_LANGUAGE);
        row->translations = json_col(out, res, r, COL_TRANSLATIONS);
        row->kind = feed_kind(PQgetvalue(res, r, COL_KIND));
        row->confirmed = num(res, r, COL_CONFIRMED);
        row->search_mask = (unsigned)num(res, r, COL_SEARCH_MASK);
        row->language = row->main_language;
    }
    return (enum db_qs)out->n;
}

void
db_feed_clear(struct db_feed *out)
{
    if (out->result != NULL)
        PQclear(out->result);
    feed_model_release(out->model);
    json_decref(out->json);
    free(out->rows);
    memset(out, 0, sizeof(*out));
}
