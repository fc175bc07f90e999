/*
 * Rate limits (service/stekd/http/ratelimit.c): fixed one-minute windows per
 * kind and key (an API key id or a client address), in memory, per daemon.
 */
#ifndef STEK_RATELIMIT_H
#define STEK_RATELIMIT_H

#include "stek/http.h"

#include <stdbool.h>

enum rl_kind { RL_AUTH_FAILURE, RL_WRITE, RL_HANDOFF, RL_KIND_COUNT };

/*
 * Seconds to wait when key has used up limit events of kind in this minute,
 * 0 when it may go on; with count, this event is counted. limit 0: no limit.
 * *remaining receives what is left.
 */
int ratelimit_check(enum rl_kind kind, const char *key, unsigned limit, bool count,
                    unsigned *remaining);

/* Replies 429 with Retry-After and the RateLimit-* headers. */
void reply_rate_limited(struct request *r, int wait, unsigned limit, const char *what);

/* Adds the RateLimit-* headers to the reply being built. */
void ratelimit_headers(struct request *r, unsigned limit, unsigned remaining);

#endif
