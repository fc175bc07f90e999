/* Site closures. */
#include "internal.h"

enum db_qs
db_insert_closure(struct db_conn *c, const char *site_id, const char *from, const char *to,
                  const char *note, const struct db_languages *l, struct db_doc *out)
{
    char *buf;
    const char *lang[2];
    db_languages_params(l, lang, &buf);
    const char *params[] = {site_id, from, to, note, lang[0], lang[1]};
    enum db_qs qs = db_query_doc(c, STMT(insert_closure, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_update_closure(struct db_conn *c, const char *site_id, const char *id, const char *from,
                  const char *to, const char *note, const struct db_languages *l,
                  struct db_doc *out)
{
    char *buf;
    const char *lang[2];
    db_languages_params(l, lang, &buf);
    const char *params[] = {site_id, id, from, to, note, lang[0], lang[1]};
    enum db_qs qs = db_query_doc(c, STMT(update_closure, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_list_closures(struct db_conn *c, const char *site_id, const char *after_day,
                 const char *after_id, int limit, struct db_page *page)
{
    const char *params[] = {site_id, after_day, after_id, NULL};
    return db_query_page(c, STMT(list_closures, params), params, 3, limit, page);
}

enum db_qs
db_get_closure(struct db_conn *c, const char *site_id, const char *id, struct db_doc *out)
{
    const char *params[] = {site_id, id};
    return db_query_doc(c, STMT(get_closure, params), params, out);
}

enum db_qs
db_delete_closure(struct db_conn *c, const char *site_id, const char *id)
{
    const char *params[] = {site_id, id};
    return db_exec_command(c, STMT(delete_closure, params), params);
}

enum db_qs
db_partner_runs_offer_at(struct db_conn *c, const char *site_id, const char *partner_id)
{
    const char *params[] = {site_id, partner_id};
    struct db_doc d = {0};
    enum db_qs qs = db_query_doc(c, STMT(partner_runs_offer_at, params), params, &d);
    db_doc_clear(&d);
    return qs;
}

enum db_qs
db_in_scope(struct db_conn *c, const char *scope, const char *entity, const char *id)
{
    const char *params[] = {scope, entity, id};
    struct db_doc d = {0};
    enum db_qs qs = db_query_doc(c, STMT(in_scope, params), params, &d);
    db_doc_clear(&d);
    return qs;
}
