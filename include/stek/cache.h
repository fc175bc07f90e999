/*
 * A cache of rendered answers (service/stekd/http/cache.c), used by the feed:
 * each answer is kept by its key for one data generation, with its gzip form,
 * strong ETags per encoding and Last-Modified. A hit is answered without a
 * copy: the body is shared, refcounted, with the responses that send it. The
 * cache has a fixed number of slots and a byte budget that bounds memory.
 */
#ifndef STEK_CACHE_H
#define STEK_CACHE_H

#include "stek/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Replies from the cache when key holds an answer of generation (or of any
 * generation with allow_stale); true on a hit. Conditional requests
 * (If-None-Match, If-Modified-Since) get 304.
 */
bool cache_reply(struct request *r, const char *key, uint64_t generation, bool allow_stale);

/* What a rendered answer is. */
/* The longest Stek-Hint a kept answer carries (hint.h makes them). */
#define CACHE_HINT_MAX 320

struct cache_answer {
    const char *ctype;
    int64_t last_modified; /* seconds since 1970 */
    const char *cache_control;
    const char *content_language; /* NULL: none; copied */
    const char *vary;             /* static string; NULL: Accept-Encoding, Accept-Language */
    const char *hint;             /* Stek-Hint (hint.h), or NULL: none; copied */
};

/*
 * Replies with body (malloc'd, taken) as a new answer of generation and keeps
 * it under key when it fits the budget.
 */
void cache_store_reply(struct request *r, const char *key, uint64_t generation, char *body,
                       size_t len, const struct cache_answer *a);

/*
 * Public reads (routes with ROUTE_CACHE): an anonymous GET without Stek-Read-After is
 * answered from the cache when it holds the answer of the same path, query, language and
 * Accept for the current generation (true: replied). Else, for such a request, the key is
 * left in r->cache_key and cache_public_keep keeps the handler's 200 answer under it.
 * Authenticated requests, Stek-Read-After and errors never touch the cache; nor does a daemon
 * with replicas (STEK_READ_URLS): its public reads scale on them and say which answered.
 */
bool cache_public_lookup(struct request *r);
void cache_public_keep(struct request *r);

/* A signal (or a theme) was written here: ROUTE_CACHE_SIGNALS answers are computed again. */
void cache_signals_changed(void);

/* Drops every answer (at shutdown). */
void cache_free(void);

/*
 * The generation a cached answer of a query stands for (issue 29): for a query limited to one
 * municipality, the latest change in that municipality (listen.h's scope marks), so that a
 * write elsewhere leaves it cached; else every change to feed data (feed_generation). Sets
 * *may_serve to false while a change is waiting to be applied to the model (its places are
 * not known yet): then no cached answer is served, but a computed one is kept at the returned
 * generation.
 */
uint64_t cache_generation_for(const char *municipality, bool *may_serve);

/*
 * On a worker, before an answer is computed whose lookup found the model behind: waits (at
 * most a second) until the model holds every change heard of, then returns the generation to
 * keep the answer at. Read before the answer is computed, so the answer holds at least what
 * the generation stands for (a later change moves it on).
 */
uint64_t cache_generation_settled(const char *municipality);

/* The same for a public list's answer (r->cache_unsettled): settles r->cache_gen, and answers
 * from the cache when the kept answer stands at it (true: replied, run no handler). */
bool cache_public_settle(struct request *r);

#endif
