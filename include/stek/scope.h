/*
 * What a coordinator key may touch (service/stekd/handlers/scope.c): the records whose places
 * (sites, and through them municipalities) all lie among its municipalities. The route table
 * says which roles may call a route at all; these checks say where, for the coordinator.
 */
#ifndef STEK_SCOPE_H
#define STEK_SCOPE_H

#include "stek/tx.h"

/*
 * For a coordinator key: TX_COMMIT when every place of the record (entity and id as the audit
 * trail names them: site, offer, site_closure, offer_exception, signal; or "municipality" and
 * a name) lies among its municipalities; otherwise replies 403 (naming field in its errors,
 * when not NULL) and returns TX_REPLIED; TX_DB_ERROR when the database could not say. Other
 * keys: TX_COMMIT (what they may touch is checked where they are).
 */
enum tx_result scope_check(struct request *r, const char *entity, const char *id,
                           const char *field);

/* The same outside a transaction: true when allowed; false after replying (403 or 503). */
bool scope_allows(struct request *r, const char *entity, const char *id, const char *field);

/* r's key's municipalities (an array literal) when it is a coordinator's, else NULL: what
 * lists and the audit trail are limited to. */
const char *scope_of(const struct request *r);

#endif
