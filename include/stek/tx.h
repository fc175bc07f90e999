/*
 * Transactions of a handler (service/stekd/handlers/tx.c): a body run with
 * retries on serialization failures, and the audit entry of a write.
 */
#ifndef STEK_TX_H
#define STEK_TX_H

#include "stek/db.h"
#include "stek/http.h"

/*
 * A transaction body: returns TX_COMMIT to commit, TX_REPLIED when it has set
 * an error reply (rolled back), or TX_DB_ERROR after a failed statement
 * (retried when the failure was a serialization failure or deadlock).
 * It may run more than once, so it must reset what it produces on entry.
 */
enum tx_result { TX_COMMIT, TX_REPLIED, TX_DB_ERROR };
typedef enum tx_result (*tx_fn)(struct request *r, void *cls);

/* Runs fn in a transaction (up to 3 tries); true when committed. Replies on failure. */
bool run_tx(struct request *r, tx_fn fn, void *cls);

/*
 * Records a write of the authenticated key in the audit log (inside the caller's transaction).
 * fields: for an update, the names of the fields it changed (json_changed_fields: names, never
 * values, so a guarded text is not copied into the log); NULL otherwise.
 */
enum db_qs audit(struct request *r, const char *action, const char *entity, const char *id,
                 const json_t *fields);

#endif
