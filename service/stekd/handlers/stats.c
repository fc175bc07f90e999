/*
 * /v1/stats/signals: counts of signals for advocacy, public and so suppressed
 * (see domain/stats.c). Windows are whole months, so that two windows never
 * differ by a few days whose counts could be subtracted. An admin key may ask
 * for the raw counts with ?raw=true. JSON, or CSV for a spreadsheet.
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

static const char *const params[] = {"group_by", "from", "to", "municipality", "site", "raw", NULL};

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
        reply_bad_param(r, "group_by", "must list theme, site, municipality, month, kind, partner");
        return false;
    }
    strcpy(buf, v);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int d = 0;
        while (d < DIM_COUNT && strcmp(stat_dim_names[d], t) != 0)
            d++;
        if (d == DIM_COUNT) {
            reply_bad_param(r, "group_by",
                            "must list theme, site, municipality, month, kind, partner");
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
    const char *raw = req_query(r, "raw");
    unsigned mask;
    long k = stek_cfg ? (long)stek_cfg->stats_k : 5;
    int32_t from, to;
    int y;
    unsigned m, d;
    char from_iso[11], to_iso[11];
    struct stat_cell *cells = NULL;
    struct stat_row *rows = NULL;
    size_t ncells, nrows;

    if (!req_query_allow(r, params) || !parse_group_by(r, req_query(r, "group_by"), &mask))
        return;
    if (raw != NULL && strcmp(raw, "true") != 0 && strcmp(raw, "false") != 0) {
        reply_bad_param(r, "raw", "must be true or false");
        return;
    }
    bool unsuppressed = raw != NULL && strcmp(raw, "true") == 0;
    if (unsuppressed && auth_check(r, ROLE_ADMIN) != AUTH_OK)
        return;
    /* Default: the last twelve whole months up to this one. */
    to = service_today();
    if (to_s != NULL && !date_parse(to_s, &to)) {
        reply_bad_param(r, "to", "must be a date YYYY-MM-DD");
        return;
    }
    civil_from_days(to, &y, &m, &d);
    to = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) - 1;
    from = days_from_civil(m == 12 ? y : y - 1, m == 12 ? 1 : m + 1, 1);
    if (from_s != NULL && !date_parse(from_s, &from)) {
        reply_bad_param(r, "from", "must be a date YYYY-MM-DD");
        return;
    }
    civil_from_days(from, &y, &m, &d);
    from = days_from_civil(y, m, 1);
    if (to < from) {
        reply_bad_param(r, "to", "must not be before from");
        return;
    }
    if (!req_text(r, "municipality", 100, &municipality))
        return;
    if (site != NULL && !is_uuid(site)) {
        reply_bad_param(r, "site", "must be a site id (UUID)");
        return;
    }
    date_format(from, from_iso);
    date_format(to, to_iso);
    if (db_signal_cells(r->db, from_iso, to_iso, municipality, site, &cells, &ncells) < 0) {
        reply_db_error(r);
        return;
    }
    nrows = stats_group(cells, ncells, mask, &rows);
    bool total_hidden = unsuppressed ? false : stats_suppress(rows, nrows, mask, k);
    long total = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (unsuppressed)
            rows[i].suppressed = false;
        total += rows[i].count;
    }

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
            for (int dd = 0; dd < DIM_COUNT; dd++)
                if (mask & (1u << dd))
                    csv_field(&buf, &len, &cap, rows[i].key[dd], false);
            snprintf(num, sizeof(num), "%ld", rows[i].count);
            csv_field(&buf, &len, &cap, rows[i].suppressed ? "" : num, false);
            csv_field(&buf, &len, &cap, rows[i].suppressed ? "true" : "false", false);
            snprintf(num, sizeof(num), "%.1f",
                     rows[i].referrals ? (double)rows[i].arrived / (double)rows[i].referrals : 0);
            csv_field(&buf, &len, &cap, rows[i].suppressed || !rows[i].referrals ? "" : num, true);
        }
        reply_raw_steal(r, 200, buf ? buf : calloc(1, 1), len, "text/csv; charset=utf-8");
        reply_header(r, "Content-Disposition", "attachment; filename=\"stek-signals.csv\"");
    } else {
        json_t *out = json_object(), *list = json_array(), *by = json_array();
        for (int dd = 0; dd < DIM_COUNT; dd++)
            if (mask & (1u << dd))
                json_array_append_new(by, json_string(stat_dim_names[dd]));
        for (size_t i = 0; i < nrows; i++) {
            json_t *row = json_object();
            for (int dd = 0; dd < DIM_COUNT; dd++)
                if (mask & (1u << dd))
                    json_object_set_new(row, stat_dim_fields[dd], json_string(rows[i].key[dd]));
            if (rows[i].suppressed) {
                json_object_set_new(row, "count", json_null());
                json_object_set_new(row, "suppressed", json_true());
            } else {
                json_object_set_new(row, "count", json_integer(rows[i].count));
                /* Rounded to a tenth: the share must not give back a small count. */
                if (rows[i].referrals > 0)
                    json_object_set_new(row, "arrived_share",
                                        json_real((double)(long)(10.0 * (double)rows[i].arrived /
                                                                     (double)rows[i].referrals +
                                                                 0.5) /
                                                  10.0));
            }
            json_array_append_new(list, row);
        }
        json_object_set_new(out, "k", unsuppressed ? json_null() : json_integer(k));
        json_object_set_new(out, "from", json_string(from_iso));
        json_object_set_new(out, "to", json_string(to_iso));
        json_object_set_new(out, "group_by", by);
        json_object_set_new(out, "rows", list);
        json_object_set_new(out, "total",
                            total_hidden ? json_pack("{s:n, s:b}", "count", "suppressed", 1)
                                         : json_pack("{s:I}", "count", (json_int_t)total));
        reply_json_steal(r, 200, out);
    }
    reply_header(r, "Cache-Control", unsuppressed ? "no-store" : "public, max-age=60");
    free(rows);
    free(cells);
}
