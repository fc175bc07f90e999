#include "internal.h"
#include "stek/search.h"

#include <string.h>

enum db_qs
db_list_sites(struct db_conn *c, const char *after_a, const char *after_b,
              const struct site_filter *f, int limit, struct db_page *page)
{
    const struct search_query *q = f->search;
#define T (q ? q->sql_t : NULL)
#define G (q ? q->sql_g : NULL)
#define W (q ? q->sql_w : NULL)
    if (f->near_lat != NULL) {
        const char *params[] = {
            after_a,     after_b,     f->municipality, f->postal_code, f->model, f->active, T,
            f->near_lat, f->near_lon, f->radius_km,    NULL,           G,        W};
        return db_query_page(c, STMT(list_sites_near, params), params, 10, limit, page);
    }
    const char *params[] = {
        after_a, after_b, f->municipality, f->postal_code, f->model, f->active, T, NULL, G, W};
    return db_query_page(c, STMT(list_sites, params), params, 7, limit, page);
#undef T
#undef G
#undef W
}

enum db_qs
db_get_site(struct db_conn *c, const char *id, bool for_update, struct db_doc *out)
{
    const char *params[] = {id};
    return db_query_doc(c, for_update ? STMT(get_site_for_update, params) : STMT(get_site, params),
                        params, out);
}

/* The 18 parameters of a site's fields, in the order insert_site and update_site take them. */
#define SITE_NPARAMS 19
static void
site_params(const struct site_fields *f, const char **p, char **buf)
{
    const char *lang[2];
    db_languages_params(&f->lang, lang, buf);
    const char *v[SITE_NPARAMS] = {f->name,
                                   f->kind,
                                   f->model,
                                   f->description,
                                   f->street,
                                   f->postal_code,
                                   f->municipality,
                                   f->country,
                                   f->lat,
                                   f->lon,
                                   f->timezone,
                                   f->email,
                                   f->phone,
                                   f->accessibility,
                                   f->coordinator_partner_id,
                                   f->active ? "t" : "f",
                                   lang[0],
                                   lang[1],
                                   f->uitdatabank_place_id};
    memcpy(p, v, sizeof(v));
}

enum db_qs
db_insert_site(struct db_conn *c, const struct site_fields *f, struct db_doc *out)
{
    const char *params[SITE_NPARAMS];
    char *buf;
    site_params(f, params, &buf);
    enum db_qs qs = db_query_doc(c, STMT(insert_site, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_update_site(struct db_conn *c, const char *id, const struct site_fields *f, struct db_doc *out)
{
    const char *params[1 + SITE_NPARAMS] = {id};
    char *buf;
    site_params(f, params + 1, &buf);
    enum db_qs qs = db_query_doc(c, STMT(update_site, params), params, out);
    db_languages_free(buf);
    return qs;
}

enum db_qs
db_delete_site(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT(delete_site, params), params);
}

enum db_qs
db_known_municipalities(struct db_conn *c, json_t **out)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT0(known_municipalities), NULL, &qs);
    int n;

    *out = NULL;
    if (res == NULL)
        return qs;
    n = PQntuples(res);
    *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(*out, json_string(PQgetvalue(res, i, 0)));
    PQclear(res);
    return n > 0 ? (enum db_qs)n : DB_NO_ROWS;
}
