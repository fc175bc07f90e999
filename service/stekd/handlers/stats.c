/*
 * /v1/stats/signals: counts of signals for advocacy, public and so protected
 * (see stek/stats.h and README "Signals and privacy"). Windows are whole
 * months. The public sees closed months only: the current month is still
 * being filled, and each new signal would show. An admin key may ask for the
 * exact counts, this month included, with ?raw=true. JSON, or CSV.
 */
#include "stek/config.h"
#include "stek/handlers.h"
#include "stek/hutil.h"
#include "stek/rrule.h"
#include "stek/server.h"
#include "stek/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const params[] = {"group_by", "from", "to",  "municipality",
                                     "site",     "kind", "raw", NULL};
static const char *const kinds[] = {"referral", "barrier", NULL};
#define DIMS_LIST "theme, site, municipality, month, kind, partner, status, raised_with"

/* Parses "theme,month" into a mask; false (after replying 400) on an unknown dimension. */
static bool
parse_group_by(struct request *r, const char *v, unsigned *mask)
{
    char buf[128], *save = NULL;

    *mask = 0;
    if (v == NULL) {
        *mask = 1u << DIM_THEME;
        return true;
    }
    if (strlen(v) >= sizeof(buf) || *v == '\0') {
        reply_bad_param(r, "group_by", "must list " DIMS_LIST);
        return false;
    }
    strcpy(buf, v);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int d = 0;
        while (d < DIM_COUNT && strcmp(stat_dim_names[d], t) != 0)
            d++;
        if (d == DIM_COUNT) {
            reply_bad_param(r, "group_by", "must list " DIMS_LIST);
            return false;
        }
        *mask |= 1u << d;
    }
    return true;
}

static void
csv_field(char **buf, size_t *len, size_t *cap, const char *s, bool last)
{
    size_t need = *len + 2 * strlen(s) + 4;
    if (need > *cap) {
        while (*cap < need)
            *cap = *cap ? *cap * 2 : 4096;
        char *nb = realloc(*buf, *cap);
        if (nb == NULL)
            abort();
        *buf = nb;
    }
    char *o = *buf + *len;
    bool quote = strpbrk(s, ",\"\n\r;") != NULL;
    if (quote)
        *o++ = '"';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    if (quote)
        *o++ = '"';
    *o++ = last ? '\r' : ',';
    if (last)
        *o++ = '\n';
    *len = (size_t)(o - *buf);
}

void
h_stats_signals(struct request *r)
{
    const char *from_s = req_query(r, "from"), *to_s = req_query(r, "to");
    const char *municipality = req_query(r, "municipality"), *site = req_query(r, "site");
    const char *raw_s = req_query(r, "raw"), *kind = NULL;
    unsigned mask;
    long k = stek_cfg ? (long)stek_cfg->stats_k : 5;
    int32_t from, to, today = service_today(), last;
    int y;
    unsigned m, d;
    char from_iso[11], to_iso[11];
    struct stat_cell *cells = NULL;
    struct stat_row *rows = NULL, total;
    size_t ncells = 0, nrows;

    if (!req_query_allow(r, params) || !parse_group_by(r, req_query(r, "group_by"), &mask) ||
        !req_bool(r, "raw", &raw_s) || !req_choice(r, "kind", kinds, &kind))
        return;
    bool raw = raw_s != NULL && strcmp(raw_s, "t") == 0;
    if (raw && auth_check(r, ROLE_ADMIN) != AUTH_OK)
        return;
    /* The last day that may be published: the end of this month (raw), or of the last one. */
    civil_from_days(today, &y, &m, &d);
    last = days_from_civil(y, m, 1) - 1;
    if (raw)
        last = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) - 1;
    to = last;
    if (to_s != NULL && !date_parse(to_s, &to)) {
        reply_bad_param(r, "to", "must be a date YYYY-MM-DD");
        return;
    }
    /* Default: the twelve whole months up to to. */
    civil_from_days(to, &y, &m, &d);
    to = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) - 1;
    from = days_from_civil(m == 12 ? y : y - 1, m == 12 ? 1 : m + 1, 1);
    if (from_s != NULL && !date_parse(from_s, &from)) {
        reply_bad_param(r, "from", "must be a date YYYY-MM-DD");
        return;
    }
    civil_from_days(from, &y, &m, &d);
    from = days_from_civil(y, m, 1);
    if (to_s != NULL && to < from) {
        reply_bad_param(r, "to", "must not be before from");
        return;
    }
    if (to > last)
        to = last; /* from > to now: an empty answer, nothing of this month */
    if (!req_text(r, "municipality", 100, &municipality))
        return;
    if (site != NULL && !is_uuid(site)) {
        reply_bad_param(r, "site", "must be a site id (UUID)");
        return;
    }
    date_format(from, from_iso);
    date_format(to, to_iso);
    if (from <= to &&
        db_signal_cells(r->db, from_iso, to_iso, municipality, site, kind, &cells, &ncells) < 0) {
        reply_db_error(r);
        return;
    }
    nrows = stats_group(cells, ncells, mask, k, &rows, &total);
    struct stat_value tv = stats_publish(&total, k, raw);

    if (r->h_accept != NULL && strstr(r->h_accept, "text/csv") != NULL) {
        char *buf = NULL, num[32];
        size_t len = 0, cap = 0;
        for (int dd = 0; dd < DIM_COUNT; dd++)
            if (mask & (1u << dd))
                csv_field(&buf, &len, &cap, stat_dim_fields[dd], false);
        csv_field(&buf, &len, &cap, "count", false);
        csv_field(&buf, &len, &cap, "suppressed", false);
        csv_field(&buf, &len, &cap, "arrived_share", true);
        for (size_t i = 0; i < nrows; i++) {
            struct stat_value v = stats_publish(&rows[i], k, raw);
            for (int dd = 0; dd < DIM_COUNT; dd++)
                if (mask & (1u << dd))
                    csv_field(&buf, &len, &cap, rows[i].key[dd], false);
            snprintf(num, sizeof(num), "%ld", v.count);
            csv_field(&buf, &len, &cap, v.suppressed ? "" : num, false);
            csv_field(&buf, &len, &cap, v.suppressed ? "true" : "false", false);
            snprintf(num, sizeof(num), "%.1f", v.share);
            csv_field(&buf, &len, &cap, v.has_share ? num : "", true);
        }
        reply_raw_steal(r, 200, buf ? buf : calloc(1, 1), len, "text/csv; charset=utf-8");
        reply_header(r, "Content-Disposition", "attachment; filename=\"stek-signals.csv\"");
    } else {
        json_t *out = json_object(), *list = json_array(), *by = json_array();
        for (int dd = 0; dd < DIM_COUNT; dd++)
            if (mask & (1u << dd))
                json_array_append_new(by, json_string(stat_dim_names[dd]));
        for (size_t i = 0; i < nrows; i++) {
            struct stat_value v = stats_publish(&rows[i], k, raw);
            json_t *row = json_object();
            for (int dd = 0; dd < DIM_COUNT; dd++)
                if (mask & (1u << dd))
                    json_object_set_new(row, stat_dim_fields[dd],
                                        rows[i].key[dd][0] != '\0' ? json_string(rows[i].key[dd])
                                                                   : json_null());
            if (v.suppressed) {
                json_object_set_new(row, "count", json_null());
                json_object_set_new(row, "suppressed", json_true());
            } else {
                json_object_set_new(row, "count", json_integer(v.count));
            }
            if (v.has_share)
                json_object_set_new(row, "arrived_share", json_real(v.share));
            json_array_append_new(list, row);
        }
        json_object_set_new(out, "k", raw ? json_null() : json_integer(k));
        json_object_set_new(out, "noise_bound", json_integer(raw ? 0 : STATS_NOISE_BOUND));
        json_object_set_new(out, "from", json_string(from_iso));
        json_object_set_new(out, "to", json_string(to_iso));
        json_object_set_new(out, "group_by", by);
        json_object_set_new(out, "rows", list);
        json_object_set_new(out, "total",
                            tv.suppressed ? json_pack("{s:n, s:b}", "count", "suppressed", 1)
                                          : json_pack("{s:I}", "count", (json_int_t)tv.count));
        reply_json_steal(r, 200, out);
    }
    reply_header(r, "Cache-Control", raw ? "no-store" : "public, max-age=60");
    free(rows);
    stat_cells_free(cells, ncells);
}

/*
 * GET /v1/stats/answers: the answers to barriers that an admin marked public,
 * each distinct answer once per theme with the month it was last given. No
 * signal, no note, no site, no count: a list of what policy makers answered.
 */
void
h_stats_answers(struct request *r)
{
    static const char *const aparams[] = {"municipality", "site",  "from",   "to",
                                          "theme",        "limit", "cursor", NULL};
    struct answer_filter f = {0};
    const char *from_s = req_query(r, "from"), *to_s = req_query(r, "to"), *cursor;
    char from_iso[11], to_iso[11], a[32], b[48];
    struct db_page page;
    int32_t from, to;
    int limit;

    if (!req_query_allow(r, aparams) || !req_page(r, &limit, &cursor) ||
        !req_cursor(r, cursor, a, b) || !req_text(r, "municipality", 100, &f.municipality) ||
        !req_text(r, "theme", 40, &f.theme))
        return;
    f.site = req_query(r, "site");
    if (f.site != NULL && !is_uuid(f.site)) {
        reply_bad_param(r, "site", "must be a site id (UUID)");
        return;
    }
    to = service_today();
    if (to_s != NULL && !date_parse(to_s, &to)) {
        reply_bad_param(r, "to", "must be a date YYYY-MM-DD");
        return;
    }
    from = to - 365;
    if (from_s != NULL && !date_parse(from_s, &from)) {
        reply_bad_param(r, "from", "must be a date YYYY-MM-DD");
        return;
    }
    if (to < from) {
        reply_bad_param(r, "to", "must not be before from");
        return;
    }
    date_format(from, from_iso);
    date_format(to, to_iso);
    f.from = from_iso;
    f.to = to_iso;
    if (db_list_public_answers(r->db, &f, cursor ? a : NULL, limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
    reply_header(r, "Cache-Control", "public, max-age=60");
}
