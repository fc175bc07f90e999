/*
 * The per-request context and the reply helpers.
 *
 * Threading: a request is created and finished by a libmicrohttpd thread.
 * Requests that need the database are suspended and handed to one database
 * worker, which runs the handler and then resumes the connection; at any
 * moment exactly one thread touches a request. Handlers never call
 * libmicrohttpd: they fill r->reply, and the HTTP thread queues it.
 */
#ifndef STEK_HTTP_H
#define STEK_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "stek/ids.h"

enum stek_err {
#define X(name, status, slug, title) ERR_##name,
#include "stek/errors.def"
#undef X
    ERR_COUNT
};

enum http_method { M_GET, M_HEAD, M_POST, M_PATCH, M_DELETE, M_PUT, M_OPTIONS, M_OTHER };

/*
 * The roles of API keys. A route allows a set of them (R_*: a bit per role; R_PUBLIC needs no
 * key); what a role may do within a route (its partner's records, its municipalities) the
 * handler checks (handlers/scope.c).
 */
enum role { ROLE_NONE = 0, ROLE_ADMIN, ROLE_PARTNER, ROLE_COORDINATOR, ROLE_READER, ROLE_COUNT };
#define R_PUBLIC 0u
#define R_ADMIN (1u << ROLE_ADMIN)
#define R_PARTNER (1u << ROLE_PARTNER)
#define R_COORDINATOR (1u << ROLE_COORDINATOR)
#define R_READER (1u << ROLE_READER)
#define R_ANY_KEY (R_ADMIN | R_PARTNER | R_COORDINATOR | R_READER)
/* "admin", "partner", "coordinator", "reader" by role ("" for ROLE_NONE). */
extern const char *const role_names[ROLE_COUNT];

#define REQ_MAX_QUERY 32
#define REQ_MAX_PARAMS 4
#define REPLY_MAX_HEADERS 12

struct principal {
    bool authenticated;
    enum role role;
    char key_id[UUID_LEN + 1];
    char partner_id[UUID_LEN + 1]; /* "" unless role is partner */
    char scope[SCOPE_MAX];         /* "" unless role is coordinator: its municipalities */
};

struct reply_header {
    const char *name; /* static string */
    char *value;      /* owned */
};

struct reply {
    unsigned status; /* 0 until a reply is set */
    char *body;      /* owned unless body_static */
    size_t len;
    bool body_static;
    /* A shared body (body_static set): release(release_cls) once it is sent or dropped. */
    void (*release)(void *cls);
    void *release_cls;
    const char *ctype; /* static string */
    struct reply_header headers[REPLY_MAX_HEADERS];
    int nheaders;
};

struct route;
struct db_conn;

struct request {
    void *conn; /* struct MHD_Connection *, only used by the HTTP layer */
    const struct route *route;
    enum http_method method;
    const char *method_str; /* borrowed from libmicrohttpd */
    char *path;             /* owned: path without the query string */
    size_t uri_len;
    struct timespec t0;
    char request_id[72];
    char client[48]; /* the peer's address, for per-client limits */
    /* X-Forwarded-For came from a peer not in STEK_TRUSTED_PROXIES: the real client is unknown */
    bool proxied_unknown;

    /* Headers captured on the first call; borrowed, valid until completion. */
    const char *h_authorization;
    const char *h_content_type;
    const char *h_if_match;
    const char *h_if_none_match;
    const char *h_origin;
    const char *h_accept_encoding;
    const char *h_accept;
    const char *h_idempotency_key;
    const char *h_if_modified_since;
    const char *h_host;
    const char *h_accept_language;
    char lang_prefs[16]; /* req_language's answer, once asked */
    bool lang_known;
    const char *lang;
    bool watchdog_probe; /* X-Stek-Watchdog: the daemon's own health probe (not logged) */
    uint64_t read_after; /* Stek-Read-After: the WAL position a read must see (0: none) */

    /* Query arguments, decoded; borrowed. A key given twice is flagged. */
    struct {
        const char *key;
        const char *value; /* NULL for "?flag" */
    } query[REQ_MAX_QUERY];
    int nquery;
    const char *query_problem; /* name of a duplicated or malformed parameter, or "(too many)" */
    const char *query_problem_msg; /* what is wrong with it; NULL: given more than once */

    /* Path parameters in route order; point into path_copy. */
    char *path_copy; /* owned */
    const char *params[REQ_MAX_PARAMS];
    int nparams;

    /* Body: accumulated up to the configured limit. */
    char *body; /* owned */
    size_t body_len;
    size_t body_cap;
    bool body_too_large;
    size_t drained; /* bytes of a too-large body read and discarded */
    json_t *json;   /* owned: the parsed body, when the handler asked for it */

    /*
     * What a route's fast path parsed on the I/O thread, carried to its
     * handler on a worker so that nothing is parsed twice; freed with
     * parsed_free when the request ends.
     */
    void *parsed;
    void (*parsed_free)(void *parsed);

    /* A public read the response cache did not hold: the key and generation its answer is kept
     * under once computed (cache_public_keep); owned. */
    char *cache_key;
    uint64_t cache_gen;
    /* The municipality a public answer is limited to (borrowed from the query; NULL: none),
     * and whether its cache generation must be settled on the worker (cache.h). */
    const char *cache_scope;
    bool cache_unsettled;

    struct principal who;
    bool authorized;    /* who was decided on the I/O thread, before any worker */
    bool keys_synced;   /* an unknown key was looked up again after keys_sync */
    struct db_conn *db; /* borrowed from the worker while the handler runs */

    int state; /* private to the HTTP layer */
    struct reply reply;
};

/* The layer's functions, one header per module. */
#include "stek/reply.h"
#include "stek/request.h"
#include "stek/answer.h"

#endif
