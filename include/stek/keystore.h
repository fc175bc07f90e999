/*
 * The in-memory copy of the API keys (service/stekd/db/keystore.c), loaded
 * and kept current by the listener (listen.c).
 */
#ifndef STEK_KEYSTORE_H
#define STEK_KEYSTORE_H

#include "stek/db.h"

#include <stdbool.h>

/*
 * The listener also keeps every API key (active and revoked) in memory,
 * reloaded on each NOTIFY stek_keys, so authentication needs no worker.
 * Returns 1 and fills out for a known key, 0 for an unknown one, or -1 when
 * the copy cannot be trusted (listener disconnected, or a change not loaded yet).
 */
int keys_lookup(const char *token_hash, struct key_auth *out);

/*
 * Asks the listener to catch up with every key change committed so far (one
 * round trip on its own connection, shared by all callers waiting at that
 * moment), then calls done(arg) from the listener thread. A key unknown to
 * the in-memory copy is looked up again after that, so a key created a moment
 * ago elsewhere works at once, while a flood of bad keys costs no worker.
 * Returns false (done is not called) when the listener cannot take it.
 */
bool keys_sync(void (*done)(void *arg), void *arg);

/* Keys (neither revoked nor replaced tokens) whose end is after now and within seconds of
 * it, from the copy as last loaded (0 before the first load). */
unsigned keys_ending_within(int64_t now, int64_t seconds);

/* Moves on with every change to api_keys (NOTIFY stek_keys, heard by the listener) and every
 * reconnect of the listener. */
uint64_t keys_generation(void);
/* Moves the keys generation on at once, for a change made by this daemon (or heard). */
void keys_changed_here(void);

#endif
