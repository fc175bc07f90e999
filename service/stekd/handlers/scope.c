/* A coordinator's municipalities: see scope.h. */
#include "stek/scope.h"
#include "stek/handlers.h"

#include <stdio.h>

const char *
scope_of(const struct request *r)
{
    return r->who.role == ROLE_COORDINATOR ? r->who.scope : NULL;
}

enum tx_result
scope_check(struct request *r, const char *entity, const char *id, const char *field)
{
    enum db_qs qs;

    if (r->who.role != ROLE_COORDINATOR)
        return TX_COMMIT;
    if (id == NULL)
        return TX_COMMIT; /* nothing named: the caller's own validation answers */
    if ((qs = db_in_scope(r->db, r->who.scope, entity, id)) < 0)
        return TX_DB_ERROR;
    if (qs > 0)
        return TX_COMMIT;
    char message[128];
    snprintf(message, sizeof(message), "lies outside this coordinator key's municipalities");
    reply_problem(r, ERR_FORBIDDEN,
                  field != NULL ? json_pack("[{s:s, s:s}]", "field", field, "message", message)
                                : NULL,
                  "this %s lies outside the municipalities of this coordinator key (%s)",
                  entity[0] == 'm' ? "municipality" : entity, r->who.scope);
    return TX_REPLIED;
}

bool
scope_allows(struct request *r, const char *entity, const char *id, const char *field)
{
    enum tx_result res = scope_check(r, entity, id, field);
    if (res == TX_DB_ERROR)
        reply_db_error(r);
    return res == TX_COMMIT;
}
