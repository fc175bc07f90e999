/*
 * The rules of signals (service/stekd/domain/signal.c): what a signal may
 * say, the canonical hash of a request that makes one (idempotency), and
 * the advocacy workflow of a barrier. Pure: no database, no HTTP.
 */
#ifndef STEK_SIGNAL_H
#define STEK_SIGNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HANDOFF_DAYS 90 /* a referral's handoff code works this many days */

/* referral, barrier (NULL-ended) */
extern const char *const signal_kinds[];
/* A barrier's advocacy statuses in their order: new ... closed (NULL-ended). */
extern const char *const signal_statuses[];

/* An Idempotency-Key: 1-255 printable ASCII characters without spaces. */
bool idempotency_key_valid(const char *k);

/* The SHA-256 (hex, 65 bytes) of the body as sent, canonical, without its idempotency_key. */
void signal_body_hash(const json_t *body, char out[65]);

/* NULL when a signal may have happened on day (not in the future, within a year), else why not. */
const char *signal_occurred_on_problem(int32_t day, int32_t today);

/*
 * NULL when a barrier may move from status from to status to, else why not.
 * has_raised_with / has_answer: given with the change or stored already.
 * from NULL: the signal is a referral, which has no advocacy status.
 */
const char *signal_transition_problem(const char *from, const char *to, bool has_raised_with,
                                      bool has_answer);

#endif
