/*
 * The one route table: method, path pattern, handler, the roles it allows.
 * Patterns are literal segments and "{name}" parameters.
 */
#ifndef STEK_ROUTER_H
#define STEK_ROUTER_H

#include "stek/http.h"

typedef void (*handler_fn)(struct request *r);

/*
 * An answer from memory, tried on the I/O thread before a worker is asked:
 * true when it replied (a cache hit), false to go on to the route's handler.
 * What it parsed it may leave in r->parsed for the handler.
 */
typedef bool (*fast_fn)(struct request *r);

enum route_flags {
    ROUTE_DB = 1,          /* the handler uses the database: runs on a worker (else on I/O) */
    ROUTE_SECRET_PATH = 2, /* a path parameter is a secret (a handoff code): never logged */
    /* a public read a replica may answer once it has replayed the reader's Stek-Read-After */
    ROUTE_READ = 4,
    /* ... and every change the feed's generation stands for (what the feed caches) */
    ROUTE_READ_FEED = 8,
    /* a write that changes what the feed shows (partners, sites, closures, offers, exceptions):
     * it moves the feed's generation on at once; other writes (signals, keys) leave the feed's
     * caches and in-memory model alone */
    ROUTE_FEED_WRITE = 16,
    /* the handler's own statement confirms the partner's key (auth_confirm_write's check, in
     * the same round trip): the worker does not ask before */
    ROUTE_KEY_IN_STATEMENT = 32,
    /* a public read whose anonymous answers the response cache keeps for the feed's generation
     * (cache.h: cache_public_lookup), on a daemon without replicas */
    ROUTE_CACHE = 64,
    /* ... whose answer also follows the signals: kept for this daemon's signals generation, and
     * computed again by one reader once a minute old (another daemon's signals move nothing
     * here) */
    ROUTE_CACHE_SIGNALS = 128,
    /* a write to signals or their themes: moves this daemon's signals generation on */
    ROUTE_SIGNALS_WRITE = 256,
    /* answers records with texts in languages: Content-Language and Vary: Accept-Language on
     * every answer, an empty page too (in the reader's language, else Dutch) */
    ROUTE_LANGUAGES = 512,
};

struct route {
    enum http_method method;
    const char *pattern;
    handler_fn handler;
    unsigned allow; /* the roles that may call it (R_* of http.h); R_PUBLIC: no key needed */
    unsigned flags;
    fast_fn fast; /* NULL: none */
};

/* The route table's capacity: per-route arrays (metrics.c) are sized by it; the table asserts
 * at compile time that it fits. */
#define STEK_ROUTES_MAX 128
/* The table (handlers/routes.c), terminated by an entry whose pattern is NULL. */
extern const struct route stek_routes[];

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD };

/*
 * Finds the route of method and path. On ROUTE_FOUND, *out is the route and
 * params[0..*nparams) point into path_copy (which the router splits in place).
 * HEAD matches GET routes. On ROUTE_NO_METHOD, allow receives the methods of
 * the path, comma-separated (for the Allow header).
 */
enum route_match router_find(enum http_method method, char *path_copy, const struct route **out,
                             const char **params, int *nparams, char *allow, size_t allow_len);

/* "GET", "POST", ... */
const char *method_name(enum http_method m);

/* Parses a method token; M_OTHER when unknown. */
enum http_method method_parse(const char *s);

#endif
