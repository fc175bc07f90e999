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

#endif
