/* /v1/audit: who wrote what, newest first. Admin only. */
#include "stek/handlers.h"
#include "stek/hutil.h"

#include <string.h>

static const char *const list_params[] = {"limit", "cursor", "entity", "entity_id", "key_id", NULL};

void
h_audit_list(struct request *r)
{
    int limit;
    const char *cursor, *entity, *entity_id, *key_id;
    char a[32], b[48];
    struct db_page page;

    if (!req_query_allow(r, list_params) || !req_page(r, &limit, &cursor) ||
        !req_cursor(r, cursor, a, b))
        return;
    entity = req_query(r, "entity");
    key_id = req_query(r, "key_id");
    if (entity != NULL && (strlen(entity) == 0 || strlen(entity) > 40 ||
                           strspn(entity, "abcdefghijklmnopqrstuvwxyz_") != strlen(entity))) {
        reply_bad_param(r, "entity", "must be an entity name such as partner or key");
        return;
    }
    if (!req_text(r, "entity_id", 100, &entity_id))
        return;
    if (key_id != NULL && !is_uuid(key_id)) {
        reply_bad_param(r, "key_id", "must be a UUID");
        return;
    }
    if (db_list_audit(r->db, cursor ? a : NULL, entity, entity_id, key_id, limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}
