#include "internal.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/rrule.h"

#include <stdlib.h>
#include <string.h>

static const char *
opt(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

enum db_qs
db_feed_rows(struct db_conn *c, const struct feed_filter *f, struct db_feed *out)
{
    const char *params[] = {
        f->from,      f->to,      f->municipality, f->postal_code, f->site, f->lat, f->lon,
        f->radius_km, f->partner, f->function,     f->category,    f->free, f->q};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(feed_rows, params), params, &qs);

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return qs;
    out->result = res;
    out->n = (size_t)PQntuples(res);
    out->rows = calloc(out->n + 1, sizeof(*out->rows));
    if (out->rows == NULL)
        abort();
    for (size_t i = 0; i < out->n; i++) {
        int r = (int)i;
        struct feed_row *row = &out->rows[i];
        row->offer_id = PQgetvalue(res, r, 0);
        row->title = PQgetvalue(res, r, 1);
        row->description = opt(res, r, 2);
        row->functions = PQgetvalue(res, r, 3);
        row->categories = PQgetvalue(res, r, 4);
        row->free = strcmp(PQgetvalue(res, r, 5), "t") == 0;
        row->price_note = opt(res, r, 6);
        row->version = strtol(PQgetvalue(res, r, 7), NULL, 10);
        row->changed = strtoll(PQgetvalue(res, r, 8), NULL, 10);
        row->partner_id = PQgetvalue(res, r, 9);
        row->partner_name = PQgetvalue(res, r, 10);
        row->dtstart = (int32_t)strtol(PQgetvalue(res, r, 11), NULL, 10);
        row->until = opt(res, r, 12) ? (int32_t)strtol(PQgetvalue(res, r, 12), NULL, 10) : DAY_NONE;
        row->rrule = opt(res, r, 13);
        row->start_min = (int)strtol(PQgetvalue(res, r, 14), NULL, 10);
        row->end_min = (int)strtol(PQgetvalue(res, r, 15), NULL, 10);
        row->timezone = PQgetvalue(res, r, 16);
        row->site_json = PQgetvalue(res, r, 17);
        row->site_ok = strcmp(PQgetvalue(res, r, 18), "t") == 0;
        row->exceptions = opt(res, r, 19);
        row->closures = opt(res, r, 20);
        row->registration = PQgetvalue(res, r, 21);
        row->audience = opt(res, r, 22);
        row->contact_email = opt(res, r, 23);
        row->contact_phone = opt(res, r, 24);
    }
    return (enum db_qs)out->n;
}

void
db_feed_clear(struct db_feed *out)
{
    if (out->result != NULL)
        PQclear(out->result);
    free(out->rows);
    memset(out, 0, sizeof(*out));
}
