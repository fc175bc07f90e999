#include "internal.h"
#include "stek/search.h"

#include <string.h>

#include <stdio.h>

enum db_qs
db_list_offers(struct db_conn *c, const char *after_a, const char *after_b,
               const struct offer_filter *f, int limit, struct db_page *page)
{
    const struct search_query *q = f->search;
    const char *params[] = {
        after_a,     after_b,     f->site,         f->partner,          f->municipality,
        f->function, f->category, f->free,         f->active,           q ? q->sql_t : NULL,
        NULL,        f->stale,    f->stale_before, q ? q->sql_g : NULL, q ? q->sql_w : NULL,
        f->open_ids};
    return db_query_page(c, q ? STMT(search_offers, params) : STMT(list_offers, params), params, 10,
                         limit, page);
}

enum db_qs
db_get_offer(struct db_conn *c, const char *id, bool for_update, struct db_doc *out)
{
    const char *params[] = {id};
    return db_query_doc(
        c, for_update ? STMT(get_offer_for_update, params) : STMT(get_offer, params), params, out);
}

static enum db_qs
returning_id(struct db_conn *c, enum db_stmt s, const char *const *params, char *id_out)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, s, params, &qs);

    if (res == NULL)
        return qs;
    if (qs > 0 && id_out != NULL)
        snprintf(id_out, UUID_LEN_TEXT, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return qs;
}

/* An offer's fields as the 15 parameters insert_offer and update_offer take (after the id). */
#define OFFER_NPARAMS 16
struct offer_arrays {
    char functions[256], categories[2048];
    char *translations; /* malloc'd */
};
static void
offer_params(const struct offer_fields *f, struct offer_arrays *a, const char **p)
{
    const char *lang[2];
    db_languages_params(&f->lang, lang, &a->translations);
    const char *v[OFFER_NPARAMS] = {
        f->title,
        f->description,
        f->site_id,
        f->partner_id,
        db_text_array(f->functions, a->functions, sizeof(a->functions)),
        f->categories ? db_text_array(f->categories, a->categories, sizeof(a->categories)) : "{}",
        f->audience,
        f->free == FACT_UNKNOWN ? NULL
        : f->free == FACT_YES   ? "t"
                                : "f",
        f->price_note,
        f->registration,
        f->email,
        f->phone,
        f->active ? "t" : "f",
        lang[0],
        lang[1],
        f->kind != NULL ? f->kind : "activity"};
    memcpy(p, v, sizeof(v));
}

enum db_qs
db_insert_offer(struct db_conn *c, const struct offer_fields *f, char *id_out)
{
    struct offer_arrays a;
    const char *params[OFFER_NPARAMS];
    offer_params(f, &a, params);
    enum db_qs qs = returning_id(c, STMT(insert_offer, params), params, id_out);
    db_languages_free(a.translations);
    return qs;
}

enum db_qs
db_update_offer(struct db_conn *c, const char *id, const struct offer_fields *f)
{
    struct offer_arrays a;
    const char *params[1 + OFFER_NPARAMS] = {id};
    offer_params(f, &a, params + 1);
    enum db_qs qs = returning_id(c, STMT(update_offer, params), params, NULL);
    db_languages_free(a.translations);
    return qs;
}

enum db_qs
db_replace_schedules(struct db_conn *c, const char *offer_id, const struct schedule_fields *s,
                     int n)
{
    const char *del[] = {offer_id};
    enum db_qs qs = db_exec_command(c, STMT(delete_schedules, del), del);

    if (qs < 0)
        return qs;
    for (int i = 0; i < n; i++) {
        char pos[16];
        snprintf(pos, sizeof(pos), "%d", i);
        const char *params[] = {offer_id,   pos,        s[i].site_id,    s[i].dtstart,
                                s[i].until, s[i].rrule, s[i].start_time, s[i].end_time};
        if ((qs = db_exec_command(c, STMT(insert_schedule, params), params)) < 0)
            return qs;
    }
    return (enum db_qs)n;
}

enum db_qs
db_delete_offer(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT(delete_offer, params), params);
}

enum db_qs
db_list_exceptions(struct db_conn *c, const char *offer_id, const char *after_day, int limit,
                   struct db_page *page)
{
    const char *params[] = {offer_id, after_day, NULL};
    return db_query_page(c, STMT(list_exceptions, params), params, 2, limit, page);
}

enum db_qs
db_upsert_exception(struct db_conn *c, const char *offer_id, const struct exception_fields *f,
                    struct db_doc *out)
{
    char *buf;
    const char *lang[2];
    db_languages_params(&f->lang, lang, &buf);
    const char *params[] = {offer_id,   f->date, f->status, f->start_time, f->end_time,
                            f->site_id, f->note, lang[0],   lang[1]};
    enum db_qs qs = db_query_doc(c, STMT(upsert_exception, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_get_exception(struct db_conn *c, const char *offer_id, const char *date, struct db_doc *out)
{
    const char *params[] = {offer_id, date};
    return db_query_doc(c, STMT(get_exception, params), params, out);
}

enum db_qs
db_delete_exception(struct db_conn *c, const char *offer_id, const char *date)
{
    const char *params[] = {offer_id, date};
    return db_exec_command(c, STMT(delete_exception, params), params);
}

enum db_qs
db_confirm_offer(struct db_conn *c, const char *id, struct db_doc *out)
{
    const char *params[] = {id};
    return db_query_doc(c, STMT(confirm_offer, params), params, out);
}

enum db_qs
db_remind_confirmations(struct db_conn *c, int64_t due_before, unsigned confirm_days,
                        unsigned grace_days)
{
    char before[24], days[16], grace[16];
    snprintf(before, sizeof(before), "%lld", (long long)due_before);
    snprintf(days, sizeof(days), "%u", confirm_days);
    snprintf(grace, sizeof(grace), "%u", grace_days);
    const char *params[] = {before, days, grace};
    return db_exec_command(c, STMT(remind_confirmations, params), params);
}

enum db_qs
db_resolve(struct db_conn *c, bool site, const char *name, char id[40])
{
    const char *params[] = {name};
    enum db_qs qs;
    PGresult *res = site ? db_exec(c, STMT(resolve_site, params), params, &qs)
                         : db_exec(c, STMT(resolve_partner, params), params, &qs);
    if (res == NULL)
        return qs;
    if (qs == 1)
        snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return qs;
}
