#include "internal.h"
#include "stek/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
db_key_auth_row(const PGresult *res, int row, int col, struct key_auth *out)
{
    snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, row, col));
    snprintf(out->role, sizeof(out->role), "%s", PQgetvalue(res, row, col + 1));
    snprintf(out->partner_id, sizeof(out->partner_id), "%s", PQgetvalue(res, row, col + 2));
    out->revoked = strcmp(PQgetvalue(res, row, col + 3), "t") == 0;
    out->archived = strcmp(PQgetvalue(res, row, col + 4), "t") == 0;
    out->valid_until = strtoll(PQgetvalue(res, row, col + 5), NULL, 10);
    out->replaced = strcmp(PQgetvalue(res, row, col + 6), "t") == 0;
    snprintf(out->scope, sizeof(out->scope), "%s", PQgetvalue(res, row, col + 7));
}

enum db_qs
db_auth_key(struct db_conn *c, const char *token_hash, struct key_auth *out)
{
    const char *params[] = {token_hash};
    enum db_qs qs;
    PGresult *res = db_exec(c, STMT(auth_key, params), params, &qs);

    if (res == NULL)
        return qs;
    if (qs > 0)
        db_key_auth_row(res, 0, 0, out);
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
              const char *prefix, const char *token_hash, int64_t expires_at,
              const char *municipalities, struct db_doc *out)
{
    char until[24];
    snprintf(until, sizeof(until), "%lld", (long long)expires_at);
    const char *params[] = {name, role, partner_id, prefix, token_hash, until, municipalities};
    return db_query_doc(c, STMT(insert_key, params), params, out);
}

enum db_qs
db_rotate_key(struct db_conn *c, const char *id, const char *token_hash, const char *prefix,
              int grace_hours, int64_t expires_at, struct db_doc *out)
{
    char grace[16], until[24];
    snprintf(grace, sizeof(grace), "%d", grace_hours);
    snprintf(until, sizeof(until), "%lld", (long long)expires_at);
    const char *params[] = {id, token_hash, grace, prefix, until};
    return db_query_doc(c, STMT(rotate_key, params), params, out);
}

enum db_qs
db_touch_key(struct db_conn *c, const char *id, int32_t day)
{
    char d[11];
    date_format(day, d);
    const char *params[] = {id, d};
    return db_exec_command(c, STMT(touch_key, params), params);
}

enum db_qs
db_announce_expiring_keys(struct db_conn *c)
{
    const char *const *none = NULL;
    return db_exec_command(c, STMT0(announce_expiring_keys), none);
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
