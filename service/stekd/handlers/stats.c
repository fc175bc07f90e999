/*
 * /v1/stats/signals: counts of signals for advocacy, public and so protected
 * (see stek/stats.h and docs/architecture.md, "Signals and privacy"). Windows are whole
 * months. The public sees closed months only: the current month is still
 * being filled, and each new signal would show. An admin or reader key (a coordinator for its
 * municipalities) may ask for the exact counts, this month included, with ?raw=true. JSON,
 * or CSV.
 */
#include "stek/config.h"
#include "stek/ids.h"
#include "stek/qspec.h"
#include "stek/clock.h"
#include "stek/date.h"
#include "stek/auth.h"
#include "stek/handlers.h"
#include "stek/scope.h"
#include "stek/hint.h"
#include "stek/rrule.h"
#include "stek/stats.h"
#include "stek/signal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A group_by list into its mask of dimensions. */
static const char *
parse_group_by(const char *v, void *out)
{
    return stats_parse_group_by(v, out);
}

/*
 * The exact counts (?raw=true) are for an admin, a reader, and a coordinator asking about its
 * own places: a coordinator's query names its municipality or a site there, and one that
 * reaches outside them is 403 (never answered filtered, which would pass for the whole).
 */
static bool
raw_allowed(struct request *r, const char *municipality, const char *site)
{
    if (auth_check(r, RAW_STATS_ROLES) != AUTH_OK)
        return false;
    if (r->who.role != ROLE_COORDINATOR)
        return true;
    if (municipality == NULL && site == NULL) {
        reply_problem(r, ERR_FORBIDDEN,
                      json_pack("[{s:s, s:s}]", "field", "municipality", "message",
                                "a coordinator's exact counts name one of its municipalities"),
                      "a coordinator key asks for the exact counts of its own municipalities "
                      "(municipality=) or of a site there (site=)");
        return false;
    }
    return scope_allows(r, "municipality", municipality, "municipality") &&
           scope_allows(r, "site", site, "site");
}

void
h_stats_signals(struct request *r)
{
    const char *municipality = NULL, *site = NULL, *raw_s = NULL, *kind = NULL, *problem;
    unsigned mask = 1u << DIM_THEME;
    int32_t from_req = DAY_NONE, to_req = DAY_NONE, from, to;
    char from_iso[11], to_iso[11];
    struct stat_cell *cells = NULL;
    struct stat_row *rows = NULL, total;
    size_t ncells = 0;
    const struct qspec spec[] = {
        QS_FN("group_by", &mask, parse_group_by),
        QS_DAY("from", &from_req),
        QS_DAY("to", &to_req),
        QS_TXT("municipality", &municipality, 100),
        QS_ID("site", &site, "a site id"),
        QS_ONEOF("kind", &kind, signal_kinds),
        QS_BOOLEAN("raw", &raw_s),
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec);
    bool raw = raw_s != NULL && strcmp(raw_s, "t") == 0;

    if ((problem = stats_window(service_today(), raw, from_req, to_req, &from, &to)) != NULL)
        field_error(errs, "to", problem);
    if (!qspec_reply(r, errs) || (raw && !raw_allowed(r, municipality, site)))
        return;
    date_format(from, from_iso);
    date_format(to, to_iso);
    if (from <= to &&
        db_signal_cells(r->db, from_iso, to_iso, municipality, site, kind, &cells, &ncells) < 0) {
        reply_db_error(r);
        return;
    }
    struct stats_answer a = {.mask = mask,
                             .k = (long)stek_config()->stats_k,
                             .raw = raw,
                             .from = from_iso,
                             .to = to_iso,
                             .total = &total};
    a.nrows = stats_group(cells, ncells, mask, a.k, &rows, &total);
    a.rows = rows;
    if (r->h_accept != NULL && strstr(r->h_accept, "text/csv") != NULL) {
        size_t len;
        char *csv = stats_render_csv(&a, &len);
        reply_raw_steal(r, 200, csv ? csv : calloc(1, 1), len, "text/csv; charset=utf-8");
        reply_header(r, "Content-Disposition", "attachment; filename=\"stek-signals.csv\"");
    } else {
        reply_json_steal(r, 200, stats_render_json(&a));
    }
    reply_header(r, "Cache-Control", raw ? "no-store" : "public, max-age=60");
    if (ncells == 0)
        reply_hint_municipality(r, municipality);
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
    struct answer_filter f = {0};
    struct qpage p = QPAGE_INIT;
    char from_iso[11], to_iso[11];
    struct db_page page;
    int32_t to = service_today(), from = DAY_NONE;
    const struct qspec spec[] = {
        QS_TXT("municipality", &f.municipality, 100),
        QS_ID("site", &f.site, "a site id"),
        QS_DAY("from", &from),
        QS_DAY("to", &to),
        QS_TXT("theme", &f.theme, 40),
        QS_PAGE(&p),
        QS_SPEC_END,
    };
    json_t *errs = qspec_check(r, spec);

    if (from == DAY_NONE)
        from = to - 365;
    if (to < from)
        field_error(errs, "to", "must not be before from");
    if (!qspec_reply(r, errs))
        return;
    date_format(from, from_iso);
    date_format(to, to_iso);
    f.from = from_iso;
    f.to = to_iso;
    f.timezone = stek_config()->timezone;
    if (db_list_public_answers(r->db, &f, qcursor_a(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    bool empty = page.n == 0 && !p.cursor.present;
    reply_page(r, &page);
    reply_header(r, "Cache-Control", "public, max-age=60");
    if (empty)
        reply_hint_municipality(r, f.municipality);
}
