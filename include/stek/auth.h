/* Authentication of API keys (service/stekd/http/auth.c). */
#ifndef STEK_AUTH_H
#define STEK_AUTH_H

#include <stdbool.h>
#include <stdint.h>

struct request;
struct db_conn;

enum auth_result {
    AUTH_REFUSED,  /* replied 401, 403, 429 or 503 */
    AUTH_OK,       /* r->who is set and its role is one allow names */
    AUTH_NEEDS_DB, /* only without r->db: the in-memory keys cannot decide */
    AUTH_SYNC      /* only without r->db: unknown key; ask again after keys_sync */
};

/*
 * Authenticates the Bearer token of r and checks that its role is one of allow
 * (R_* of http.h): 403 naming the roles that may, otherwise. Missing, malformed, unknown and
 * revoked keys are decided from the listener's copy of the keys, so a failed authentication never
 * takes a database connection; only while that copy cannot be trusted (listener disconnected, a key
 * change not loaded yet) does the key need r->db. A key unknown to the copy is refused only after
 * the listener has caught up with the key changes committed so far (AUTH_SYNC, then again with
 * r->keys_synced set), so a key created elsewhere a moment ago works at once.
 */
enum auth_result auth_check(struct request *r, unsigned allow);

/* A tag of the request's bearer token (20 hex digits of its SHA-256; never the token), to
 * know a key by without asking the database; false without a well-formed token. */
bool auth_token_tag(const struct request *r, char out[24]);

/*
 * On a worker (r->db set), after auth_check: a write with any key but an admin's is
 * confirmed against the committed state of the key and its partner. False
 * after replying 401 (revoked) or 403 (partner archived).
 */
bool auth_confirm_write(struct request *r);

/*
 * On a worker, after an authenticated request: notes key_id's use on day (a key's
 * last_used_on, a day and never a time) at most once a day per key on this daemon, on the
 * primary. A failure is only logged: a request never fails for it.
 */
void auth_note_use(struct db_conn *db, const char *key_id, int32_t day);

#endif
