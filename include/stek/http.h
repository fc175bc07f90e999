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

enum stek_err {
#define X(name, status, slug, title) ERR_##name,
#include "stek/errors.def"
#undef X
    ERR_COUNT
};

enum http_method { M_GET, M_HEAD, M_POST, M_PATCH, M_DELETE, M_PUT, M_OPTIONS, M_OTHER };

enum role { ROLE_NONE = 0, ROLE_PARTNER = 1, ROLE_ADMIN = 2 };

#define REQ_MAX_QUERY 32
#define REQ_MAX_PARAMS 4
#define REPLY_MAX_HEADERS 12
#define UUID_LEN 36

struct principal {
    bool authenticated;
    enum role role;
    char key_id[UUID_LEN + 1];
    char partner_id[UUID_LEN + 1]; /* "" unless role is partner */
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
    bool watchdog_probe; /* X-Stek-Watchdog: the daemon's own health probe (not logged) */

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
     * Set by a handler that runs without the database first (routes without
     * ROUTE_DB) when it finds it needs it after all: the request then goes to a
     * worker, which calls the handler again with db set.
     */
    bool want_db;

    struct principal who;
    bool authorized;    /* who was decided on the I/O thread, before any worker */
    bool keys_synced;   /* an unknown key was looked up again after keys_sync */
    struct db_conn *db; /* borrowed from the worker while the handler runs */

    int state; /* private to the HTTP layer */
    struct reply reply;
};

/* ---- replies (reply.c) ---- */

/* Sets a JSON reply; takes ownership of body (json_decref'd). */
void reply_json_steal(struct request *r, unsigned status, json_t *body);

/* Sets a reply with an already-rendered body; takes ownership of body (free()). */
void reply_raw_steal(struct request *r, unsigned status, char *body, size_t len, const char *ctype);

/* Sets a reply whose body is static and never freed. */
void reply_static(struct request *r, unsigned status, const char *body, size_t len,
                  const char *ctype);

/*
 * Sets a reply whose body is shared with others (a cached feed): no copy is
 * made; release(cls) is called when the body is no longer needed.
 */
void reply_shared(struct request *r, unsigned status, const char *body, size_t len,
                  const char *ctype, void (*release)(void *cls), void *cls);

/* Sets an empty reply (204, 304). */
void reply_empty(struct request *r, unsigned status);

/*
 * Sets a problem+json reply from the error table. detail may be NULL;
 * errors (an array of {field, message}) is stolen and may be NULL.
 */
void reply_problem(struct request *r, enum stek_err err, json_t *errors, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a header to the reply being built; value is copied. */
void reply_header(struct request *r, const char *name, const char *value);

/* Frees what the reply owns and clears it. */
void reply_clear(struct reply *rep);

/* The HTTP status of an error in the table. */
unsigned stek_err_status(enum stek_err err);

/* ---- request helpers (request.c) ---- */

/* The decoded value of a query parameter, or NULL when absent. */
const char *req_query(const struct request *r, const char *key);

/*
 * Checks that every query parameter is in allowed (NULL-terminated) and none
 * is repeated. Replies 400 naming the parameter and returns false otherwise.
 */
bool req_query_allow(struct request *r, const char *const *allowed);

/*
 * Parses ?limit= (default 50, 1..500) and ?cursor= (opaque; *cursor is NULL
 * when absent). Replies 400 and returns false when one is invalid.
 */
bool req_page(struct request *r, int *limit, const char **cursor);

/*
 * Parses the body as a JSON object into r->json (checks the content type
 * against JSON, or also merge-patch+json when merge_patch is true). Replies
 * 415/400/422 and returns false on failure.
 */
bool req_json_body(struct request *r, bool merge_patch);

/* True when s is a canonical lower- or upper-case UUID string. */
bool is_uuid(const char *s);

/*
 * If-Match handling: true when the request may proceed given the current
 * ETag (no If-Match, "*", or a match). Otherwise replies 412 and returns false.
 */
bool req_if_match(struct request *r, const char *etag);

/* True if If-None-Match lists etag (the caller then replies 304). */
bool req_if_none_match(const struct request *r, const char *etag);

/* True when Accept-Encoding lists gzip (or *) without q=0. */
bool req_accepts_gzip(const struct request *r);

/* Formats the strong ETag of a versioned entity: "<id>.<version>" in quotes. */
void make_etag(char *out, size_t len, const char *id, long version);

#endif
