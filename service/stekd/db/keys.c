#include "internal.h"

#include <stdio.h>
#include <string.h>

enum db_qs
db_auth_key(struct db_conn *c, const char *token_hash, struct key_auth *out)
{
    const char *params[] = {token_hash};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(auth_key, params), params, &qs);

    if (res == NULL)
        return qs;
    if (qs > 0) {
        snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
        snprintf(out->role, sizeof(out->role), "%s", PQgetvalue(res, 0, 1));
        snprintf(out->partner_id, sizeof(out->partner_id), "%s", PQgetvalue(res, 0, 2));
        out->revoked = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        out->archived = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
    }
    PQclear(res);
    return qs;
}

enum db_qs
db_key_state(struct db_conn *c, const char *key_id, bool *revoked, bool *archived)
{
    const char *params[] = {key_id};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(key_state, params), params, &qs);

    if (res == NULL)
        return qs;
    if (qs > 0) {
        *revoked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        *archived = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    }
    PQclear(res);
    return qs;
}

enum db_qs
db_insert_key(struct db_conn *c, const char *name, const char *role, const char *partner_id,
              const char *prefix, const char *token_hash, struct db_doc *out)
{
    const char *params[] = {name, role, partner_id, prefix, token_hash};
    return db_query_doc(c, STMT(insert_key, params), params, out);
}

enum db_qs
db_list_keys(struct db_conn *c, const char *after_a, const char *after_b, int limit,
             struct db_page *page)
{
    const char *params[] = {after_a, after_b, NULL};
    return db_query_page(c, STMT(list_keys, params), params, 2, limit, page);
}

enum db_qs
db_get_key(struct db_conn *c, const char *id, struct db_doc *out)
{
    const char *params[] = {id};
    return db_query_doc(c, STMT(get_key, params), params, out);
}

enum db_qs
db_revoke_key(struct db_conn *c, const char *id)
{
    const char *params[] = {id};
    return db_exec_command(c, STMT(revoke_key, params), params);
}
