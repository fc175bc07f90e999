#include "internal.h"

#include <string.h>

enum db_qs
db_list_partners(struct db_conn *c, const char *after_a, const char *after_b, int limit,
                 const char *active, struct db_page *page)
{
    const char *params[] = {after_a, after_b, active, NULL};
    return db_query_page(c, STMT(list_partners, params), params, 3, limit, page);
}

enum db_qs
db_get_partner(struct db_conn *c, const char *id, bool for_update, struct db_doc *out)
{
    const char *params[] = {id};
    return db_query_doc(
        c, for_update ? STMT(get_partner_for_update, params) : STMT(get_partner, params), params,
        out);
}

/* A partner's writable fields as the insert and update statements take them, in their order. */
#define PARTNER_NPARAMS 10
static void
partner_params(const struct partner_fields *f, const char **p, char **buf)
{
    const char *lang[2];
    db_languages_params(&f->lang, lang, buf);
    const char *v[PARTNER_NPARAMS] = {f->name,
                                      f->kind,
                                      f->description,
                                      f->website,
                                      f->email,
                                      f->phone,
                                      f->active ? "t" : "f",
                                      lang[0],
                                      lang[1],
                                      f->uitdatabank_organizer_id};
    memcpy(p, v, sizeof(v));
}

enum db_qs
db_insert_partner(struct db_conn *c, const struct partner_fields *f, struct db_doc *out)
{
    const char *params[PARTNER_NPARAMS];
    char *buf;
    partner_params(f, params, &buf);
    enum db_qs qs = db_query_doc(c, STMT(insert_partner, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_update_partner(struct db_conn *c, const char *id, const struct partner_fields *f,
                  struct db_doc *out)
{
    const char *params[1 + PARTNER_NPARAMS] = {id};
    char *buf;
    partner_params(f, params + 1, &buf);
    enum db_qs qs = db_query_doc(c, STMT(update_partner, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_delete_partner(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT(delete_partner, params), params);
}
