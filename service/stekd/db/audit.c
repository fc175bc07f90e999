#include "internal.h"

#include <stdio.h>

enum db_qs
db_insert_audit(struct db_conn *c, const char *key_id, const char *action, const char *entity,
                const char *entity_id)
{
    const char *params[] = {key_id, action, entity, entity_id};
    return db_exec_command(c, STMT_insert_audit, params);
}

enum db_qs
db_list_audit(struct db_conn *c, const char *before_seq, const char *entity, const char *entity_id,
              const char *key_id, int limit, struct db_page *page)
{
    char lim[16];
    enum db_qs qs;
    PGresult *res;

    snprintf(lim, sizeof(lim), "%d", limit + 1);
    const char *params[] = {before_seq, entity, entity_id, key_id, lim};
    res = db_exec(c, STMT_list_audit, params, &qs);
    if (res == NULL)
        return qs;
    qs = db_page_from(res, limit, page);
    PQclear(res);
    return qs;
}
