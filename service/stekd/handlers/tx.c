#include "stek/tx.h"
#include "stek/log.h"

bool
run_tx(struct request *r, tx_fn fn, void *cls)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        enum tx_result res;

        if (db_begin(r->db) != DB_NO_ROWS) {
            reply_db_error(r);
            return false;
        }
        res = fn(r, cls);
        if (res == TX_COMMIT) {
            if (db_commit(r->db) == DB_NO_ROWS)
                return true;
            if (db_last_failure(r->db) != DB_RETRY) {
                reply_db_error(r);
                return false;
            }
            continue;
        }
        db_rollback(r->db);
        if (res == TX_REPLIED)
            return false;
        if (db_last_failure(r->db) != DB_RETRY) {
            reply_db_error(r);
            return false;
        }
        reply_clear(&r->reply);
    }
    log_event("warn", "transaction gave up after retries", "request_id", r->request_id, NULL);
    reply_problem(r, ERR_DB_UNAVAILABLE, NULL, "the database is busy; retry later");
    return false;
}

enum db_qs
audit(struct request *r, const char *action, const char *entity, const char *id,
      const json_t *fields)
{
    return db_insert_audit(r->db, r->who.authenticated ? r->who.key_id : NULL, action, entity, id,
                           fields);
}
