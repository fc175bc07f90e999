/*
 * Rate limits (service/stekd/http/ratelimit.c): fixed one-minute windows per
 * kind and key (an API key id or a client address), counted in memory and
 * shared with the other daemons on the same database about once a second
 * (db_rate_sync, run by the maintenance thread): a client that spreads its
 * requests over N daemons gets one budget, not N, give or take a second.
 */
#ifndef STEK_RATELIMIT_H
#define STEK_RATELIMIT_H

#include "stek/db.h"
#include "stek/http.h"

#include <stdbool.h>

enum rl_kind { RL_AUTH_FAILURE, RL_WRITE, RL_HANDOFF, RL_KIND_COUNT };

/* The table's size: at most this many (kind, key) counts in a minute. */
#define RATELIMIT_SLOTS 8192

/*
 * Seconds to wait when key has used up limit events of kind in this minute,
 * 0 when it may go on; with count, this event is counted. limit 0: no limit.
 * *remaining receives what is left.
 */
int ratelimit_check(enum rl_kind kind, const char *key, unsigned limit, bool count,
                    unsigned *remaining);

/* The current minute (since 1970): the window shared with the other daemons. */
long long ratelimit_minute(void);

/* This daemon's non-zero counts of minute into out (keys copied into keys; both hold
 * max, RATELIMIT_SLOTS for all of them); how many. */
size_t ratelimit_counts(long long minute, struct db_rate_count *out, char (*keys)[48], size_t max);

/* db_rate_fn for db_rate_sync (arg: the minute): what the other daemons counted. */
void ratelimit_others(int kind, const char *key, unsigned count, void *arg);

/* Replies 429 with Retry-After and the RateLimit-* headers. */
void reply_rate_limited(struct request *r, int wait, unsigned limit, const char *what);

/* Adds the RateLimit-* headers to the reply being built. */
void ratelimit_headers(struct request *r, unsigned limit, unsigned remaining);

#endif
