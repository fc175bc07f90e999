#include "internal.h"

#include <stdio.h>

enum db_qs
db_insert_audit(struct db_conn *c, const char *key_id, const char *action, const char *entity,
                const char *entity_id, const json_t *fields)
{
    char buf[2048];
    const char *params[] = {key_id, action, entity, entity_id,
                            fields != NULL ? db_text_array(fields, buf, sizeof(buf)) : NULL};
    return db_exec_command(c, STMT(insert_audit, params), params);
}

enum db_qs
db_list_audit(struct db_conn *c, const char *before_seq, const char *entity, const char *entity_id,
              const char *key_id, const char *scope, int limit, struct db_page *page)
{
    const char *params[] = {before_seq, entity, entity_id, key_id, NULL, scope};
    return db_query_page(c, STMT(list_audit, params), params, 4, limit, page);
}
