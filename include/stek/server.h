/*
 * The HTTP server: libmicrohttpd with a small pool of I/O threads, and a
 * pool of database workers that each own one PostgreSQL connection.
 *
 * Requests that do not touch the database (/healthz, /openapi.json, errors
 * found while reading the request) are answered on the I/O thread. The rest
 * are suspended and queued; a free worker runs the handler with its own
 * connection and resumes the request. A slow query therefore blocks one
 * worker, never an I/O thread, and never a request that needs no database.
 */
#ifndef STEK_SERVER_H
#define STEK_SERVER_H

#include "stek/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;

/* Starts listening. NULL on failure, with a message in err. */
struct server *server_start(const struct stek_config *cfg, char *err, size_t errlen);

/*
 * Graceful stop: stops accepting connections, answers new requests on open
 * connections with 503, waits up to the grace period for in-flight requests,
 * then stops the workers and closes everything. Frees s.
 */
void server_stop(struct server *s);

/*
 * True when every database worker has been busy with one request for longer
 * than bound_ms: the pool makes no progress (the watchdog stops pinging).
 */
bool server_pool_stalled(struct server *s, int64_t bound_ms);

/* ---- auth.c ---- */

struct request;

enum auth_result {
    AUTH_REFUSED,  /* replied 401, 403, 429 or 503 */
    AUTH_OK,       /* r->who is set and its role is at least need */
    AUTH_NEEDS_DB, /* only without r->db: the in-memory keys cannot decide */
    AUTH_SYNC      /* only without r->db: unknown key; ask again after keys_sync */
};

/*
 * Authenticates the Bearer token of r and checks that its role is at least
 * need. Missing, malformed, unknown and revoked keys are decided from the
 * listener's copy of the keys, so a failed authentication never takes a
 * database connection; only while that copy cannot be trusted (listener
 * disconnected, a key change not loaded yet) does the key need r->db.
 * A key unknown to the copy is refused only after the listener has caught up
 * with the key changes committed so far (AUTH_SYNC, then again with
 * r->keys_synced set), so a key created elsewhere a moment ago works at once.
 */
enum auth_result auth_check(struct request *r, int need);

/*
 * On a worker (r->db set), after auth_check: a partner key's write is
 * confirmed against the committed state of the key and its partner. False
 * after replying 401 (revoked) or 403 (partner archived).
 */
bool auth_confirm_write(struct request *r);

#endif
