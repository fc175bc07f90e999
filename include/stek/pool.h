/*
 * The database workers (service/stekd/http/pool.c): a queue of requests and a
 * pool of threads that each own one PostgreSQL connection. A worker runs a
 * request's authentication (when the I/O thread could not decide it) and its
 * handler with the connection, then hands the request back through done.
 * The pool never calls libmicrohttpd: the server suspends and resumes.
 */
#ifndef STEK_POOL_H
#define STEK_POOL_H

#include "stek/config.h"
#include "stek/http.h"

#include <stdbool.h>
#include <stdint.h>

struct pool;

/* Starts cfg->db_workers workers; done(r) is called on a worker after each request. */
struct pool *pool_start(const struct stek_config *cfg, void (*done)(struct request *r));

/*
 * Queues r. before(r) runs first, under the queue's lock (the server suspends
 * the connection there, so the worker's done never comes first). False when
 * the queue is full or the pool is stopping: then before is not called.
 */
bool pool_submit(struct pool *p, struct request *r, void (*before)(struct request *r));

/*
 * True when every worker has been busy with one request for longer than
 * bound_ms: the pool makes no progress (the watchdog stops pinging).
 */
bool pool_stalled(struct pool *p, int64_t bound_ms);

/* Lets the workers finish the queue, joins them, closes their connections, frees p. */
void pool_stop(struct pool *p);

#endif
