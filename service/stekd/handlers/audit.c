/* /v1/audit: who wrote what under which scope, newest first. An admin and a reader read every
 * entry, a coordinator the entries of its municipalities (their places all among them). */
#include "stek/handlers.h"
#include "stek/scope.h"
#include "stek/ids.h"
#include "stek/qspec.h"

#include <string.h>

/* An entity name as the audit log records it: partner, offer_exception, ... */
static const char *
parse_entity(const char *v, void *out)
{
    if (strlen(v) == 0 || strlen(v) > 40 || strspn(v, "abcdefghijklmnopqrstuvwxyz_") != strlen(v))
        return "must be an entity name such as partner or key";
    *(const char **)out = v;
    return NULL;
}

void
h_audit_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    const char *entity = NULL, *entity_id = NULL, *key_id = NULL;
    struct db_page page;
    const struct qspec spec[] = {
        QS_PAGE(&p),
        QS_FN("entity", &entity, parse_entity),
        QS_TXT("entity_id", &entity_id, 100),
        QS_ID("key_id", &key_id, "a key id"),
        QS_SPEC_END,
    };

    if (!qspec_parse(r, spec))
        return;
    /* A coordinator asking for the trail of one record elsewhere: 403, never an empty page
     * that would pass for "nothing happened there". */
    if (entity != NULL && entity_id != NULL && !scope_allows(r, entity, entity_id, "entity_id"))
        return;
    if (db_list_audit(r->db, qcursor_a(&p.cursor), entity, entity_id, key_id, scope_of(r), p.limit,
                      &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}
