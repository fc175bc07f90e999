#include "internal.h"

enum db_qs
db_list_partners(struct db_conn *c, const char *after_a, const char *after_b, int limit,
                 const char *active, struct db_page *page)
{
    char lim[16];
    enum db_qs qs;
    PGresult *res;

    snprintf(lim, sizeof(lim), "%d", limit + 1);
    const char *params[] = {after_a, after_b, active, lim};
    res = db_exec(c, STMT_list_partners, params, &qs);
    if (res == NULL)
        return qs;
    qs = db_page_from(res, limit, page);
    PQclear(res);
    return qs;
}

enum db_qs
db_get_partner(struct db_conn *c, const char *id, bool for_update, struct db_doc *out)
{
    const char *params[] = {id};
    enum db_qs qs;
    PGresult *res =
        db_exec(c, for_update ? STMT_get_partner_for_update : STMT_get_partner, params, &qs);

    if (res == NULL)
        return qs;
    qs = db_doc_from(res, out);
    PQclear(res);
    return qs;
}

enum db_qs
db_insert_partner(struct db_conn *c, const struct partner_fields *f, struct db_doc *out)
{
    const char *params[] = {f->name,  f->kind,  f->description,       f->website,
                            f->email, f->phone, f->active ? "t" : "f"};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT_insert_partner, params, &qs);

    if (res == NULL)
        return qs;
    qs = db_doc_from(res, out);
    PQclear(res);
    return qs;
}

enum db_qs
db_update_partner(struct db_conn *c, const char *id, const struct partner_fields *f,
                  struct db_doc *out)
{
    const char *params[] = {id,         f->name,  f->kind,  f->description,
                            f->website, f->email, f->phone, f->active ? "t" : "f"};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT_update_partner, params, &qs);

    if (res == NULL)
        return qs;
    qs = db_doc_from(res, out);
    PQclear(res);
    return qs;
}

enum db_qs
db_delete_partner(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT_delete_partner, params);
}
