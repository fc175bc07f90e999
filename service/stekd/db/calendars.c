/* Partners' calendars: their sources, what a sync reads and writes, its reports. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum db_qs
db_insert_calendar(struct db_conn *c, const struct calendar_fields *f, int first_in_s,
                   struct db_doc *out)
{
    char fn[512], cat[2048], first[16];
    snprintf(first, sizeof(first), "%d", first_in_s);
    const char *params[] = {f->id,
                            f->partner_id,
                            f->url,
                            f->url_shown,
                            f->site_id,
                            db_text_array(f->functions, fn, sizeof(fn)),
                            f->categories ? db_text_array(f->categories, cat, sizeof(cat)) : "{}",
                            f->main_language ? f->main_language : "nl",
                            first};
    return db_query_doc(c, STMT(insert_calendar, params), params, out);
}

enum db_qs
db_list_calendars(struct db_conn *c, const char *partner, const char *after_a, const char *after_b,
                  int limit, struct db_page *page)
{
    const char *params[] = {partner, after_a, after_b, NULL};
    return db_query_page(c, STMT(list_calendars, params), params, 3, limit, page);
}

enum db_qs
db_get_calendar(struct db_conn *c, const char *partner, const char *id, struct db_doc *out)
{
    const char *params[] = {partner, id};
    return db_query_doc(c, STMT(get_calendar, params), params, out);
}

enum db_qs
db_update_calendar(struct db_conn *c, const struct calendar_fields *f, const char *active,
                   struct db_doc *out)
{
    char fn[512], cat[2048];
    const char *params[] = {f->partner_id,
                            f->id,
                            f->url,
                            f->url_shown,
                            f->site_id,
                            db_text_array(f->functions, fn, sizeof(fn)),
                            db_text_array(f->categories, cat, sizeof(cat)),
                            f->main_language,
                            active};
    return db_query_doc(c, STMT(update_calendar, params), params, out);
}

enum db_qs
db_delete_calendar(struct db_conn *c, const char *partner, const char *id)
{
    const char *one[] = {id};
    const char *params[] = {partner, id};
    enum db_qs qs = db_exec_command(c, STMT(release_calendar_offers, one), one);
    return qs < 0 ? qs : db_exec_command(c, STMT(delete_calendar, params), params);
}

static void
copy(char *out, size_t len, const PGresult *res, int col)
{
    snprintf(out, len, "%s", PQgetvalue(res, 0, col));
}

enum db_qs
db_calendar_for_sync(struct db_conn *c, const char *id, struct calendar_source *out)
{
    const char *params[] = {id};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(calendar_for_sync, params), params, &qs);
    static const char *const names[] = {"url",           "partner_id", "site_id",       "timezone",
                                        "functions",     "categories", "main_language", "etag",
                                        "last_modified", NULL};

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return qs;
    if (!db_columns_ok(res, names, "calendar_for_sync")) {
        PQclear(res);
        return DB_HARD_ERROR;
    }
    if (qs > 0) {
        copy(out->url, sizeof(out->url), res, 0);
        copy(out->partner_id, sizeof(out->partner_id), res, 1);
        copy(out->site_id, sizeof(out->site_id), res, 2);
        copy(out->timezone, sizeof(out->timezone), res, 3);
        out->functions = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
        out->categories = json_loads(PQgetvalue(res, 0, 5), 0, NULL);
        copy(out->main_language, sizeof(out->main_language), res, 6);
        copy(out->etag, sizeof(out->etag), res, 7);
        copy(out->last_modified, sizeof(out->last_modified), res, 8);
    }
    PQclear(res);
    return qs;
}

void
calendar_source_clear(struct calendar_source *s)
{
    json_decref(s->functions);
    json_decref(s->categories);
    memset(s, 0, sizeof(*s));
}

enum db_qs
db_claim_calendar(struct db_conn *c, int period_s, char id[40])
{
    char period[16];
    snprintf(period, sizeof(period), "%d", period_s);
    const char *params[] = {period};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(claim_calendar, params), params, &qs);
    if (res == NULL)
        return qs;
    if (qs > 0)
        snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return qs;
}

enum db_qs
db_source_offers(struct db_conn *c, const char *calendar, struct source_offer **out, size_t *n)
{
    const char *params[] = {calendar};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(source_offers, params), params, &qs);

    *out = NULL;
    *n = 0;
    if (res == NULL)
        return qs;
    *n = (size_t)PQntuples(res);
    if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
        abort();
    for (int i = 0; i < (int)*n; i++) {
        struct source_offer *o = &(*out)[i];
        snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(res, i, 0));
        snprintf(o->uid, sizeof(o->uid), "%s", PQgetvalue(res, i, 1));
        snprintf(o->hash, sizeof(o->hash), "%s", PQgetvalue(res, i, 2));
        o->active = strcmp(PQgetvalue(res, i, 3), "t") == 0;
        o->confirm_due = strcmp(PQgetvalue(res, i, 4), "t") == 0;
    }
    PQclear(res);
    return (enum db_qs) * n;
}

enum db_qs
db_write_source_offer(struct db_conn *c, const char *id, const struct source_offer_fields *f,
                      char new_id[40])
{
    char fn[512], cat[2048];
    const char *functions = db_text_array(f->functions, fn, sizeof(fn));
    const char *categories = f->categories ? db_text_array(f->categories, cat, sizeof(cat)) : "{}";
    if (id != NULL) {
        const char *params[] = {id,        f->title,   f->description,   f->site_id,
                                functions, categories, f->main_language, f->hash};
        return db_exec_command(c, STMT(update_source_offer, params), params);
    }
    const char *params[] = {f->title,   f->description,   f->site_id,     f->partner_id, functions,
                            categories, f->main_language, f->calendar_id, f->uid,        f->hash};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(insert_source_offer, params), params, &qs);
    if (res == NULL)
        return qs;
    snprintf(new_id, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return qs;
}

enum db_qs
db_delete_offer_exceptions(struct db_conn *c, const char *offer)
{
    const char *params[] = {offer};
    return db_exec_command(c, STMT(delete_offer_exceptions, params), params);
}

enum db_qs
db_archive_source_offers(struct db_conn *c, const char *calendar, const json_t *uids,
                         char (**ids)[40], size_t *n)
{
    size_t len = 64, i;
    json_t *v;
    json_array_foreach(uids, i, v) len += 2 * json_string_length(v) + 4;
    char *list = malloc(len);
    if (list == NULL)
        abort();
    const char *params[] = {calendar, db_text_array(uids, list, len)};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(archive_source_offers, params), params, &qs);
    free(list);

    *ids = NULL;
    *n = 0;
    if (res == NULL)
        return qs;
    *n = (size_t)PQntuples(res);
    if ((*ids = calloc(*n + 1, sizeof(**ids))) == NULL)
        abort();
    for (int k = 0; k < (int)*n; k++)
        snprintf((*ids)[k], 40, "%s", PQgetvalue(res, k, 0));
    PQclear(res);
    return qs;
}

enum db_qs
db_reconfirm_source_offers(struct db_conn *c, const char *calendar)
{
    const char *params[] = {calendar};
    return db_exec_command(c, STMT(reconfirm_source_offers, params), params);
}

enum db_qs
db_finish_calendar_sync(struct db_conn *c, const char *id, bool ok, const char *etag,
                        const char *last_modified)
{
    const char *params[] = {id, ok ? "t" : "f", etag && *etag ? etag : NULL,
                            last_modified && *last_modified ? last_modified : NULL};
    return db_exec_command(c, STMT(finish_calendar_sync, params), params);
}

enum db_qs
db_insert_calendar_run(struct db_conn *c, const char *calendar, const struct calendar_report *r,
                       struct db_doc *out)
{
    char ms[16], status[16], counts[4][16];
    snprintf(ms, sizeof(ms), "%ld", r->ms);
    snprintf(status, sizeof(status), "%ld", r->http_status);
    snprintf(counts[0], 16, "%d", r->created);
    snprintf(counts[1], 16, "%d", r->updated);
    snprintf(counts[2], 16, "%d", r->unchanged);
    snprintf(counts[3], 16, "%d", r->archived);
    char *refused = json_dumps(r->refused, JSON_COMPACT);
    const char *params[] = {calendar,
                            ms,
                            r->ok ? "t" : "f",
                            r->http_status ? status : NULL,
                            r->error[0] ? r->error : NULL,
                            counts[0],
                            counts[1],
                            counts[2],
                            counts[3],
                            refused ? refused : "[]"};
    enum db_qs qs = db_query_doc(c, STMT(insert_calendar_run, params), params, out);
    free(refused);
    return qs;
}

enum db_qs
db_list_calendar_runs(struct db_conn *c, const char *calendar, const char *before, int limit,
                      struct db_page *page)
{
    const char *params[] = {calendar, before, NULL};
    return db_query_page(c, STMT(list_calendar_runs, params), params, 2, limit, page);
}

enum db_qs
db_announce_failing_calendars(struct db_conn *c)
{
    const char *const *none = NULL;
    return db_exec_command(c, STMT0(announce_failing_calendars), none);
}

long
db_count_failing_calendars(struct db_conn *c)
{
    const char *const *none = NULL;
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(count_failing_calendars), none, &qs);
    long n = res != NULL && qs > 0 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : -1;
    PQclear(res);
    return n;
}
