#include "stek/server.h"
#include "stek/auth.h"
#include "stek/listen.h"
#include "stek/keystore.h"
#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/http.h"
#include "stek/log.h"
#include "stek/metrics.h"
#include "stek/ratelimit.h"
#include "stek/pool.h"
#include "stek/router.h"
#include "stek/config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

enum req_state { ST_NEW, ST_BODY, ST_WAIT, ST_KEYS, ST_DONE };

struct server {
    const struct stek_config *cfg;
    struct MHD_Daemon *daemon;

    struct pool *pool; /* the database workers */

    atomic_int in_flight;
    atomic_bool draining;

    unsigned conn_limit;    /* STEK_MAX_CONNECTIONS, as the fd limit allows */
    atomic_uint open_conns; /* counted by notify_connection_cb */
    atomic_bool refusing;   /* the limit was hit and logged; cleared well below it */
};

static const char cors_expose[] = "ETag, Location, Retry-After, X-Request-Id, WWW-Authenticate";
static const char cors_allow_headers[] =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id";

/* ---- per-request setup ---- */

static void *
uri_log_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct server *s = cls;
    struct request *r = calloc(1, sizeof(*r));

    if (r == NULL)
        abort();
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->conn = con;
    r->uri_len = strlen(uri);
    atomic_fetch_add(&s->in_flight, 1);
    return r;
}

/*
 * The path the access log shows: the route pattern where a path parameter is
 * a secret (/v1/handoffs/{code}: the code would sit next to the key id), and
 * only the first two segments of a path no route serves (it may hold anything).
 */
static const char *
log_path(const struct request *r, char *buf, size_t len)
{
    if (r->route != NULL && (r->route->flags & ROUTE_SECRET_PATH))
        return r->route->pattern;
    if (r->path == NULL)
        return "";
    if (r->route != NULL)
        return r->path;
    const char *p = r->path;
    for (int seg = 0; seg < 2 && p != NULL; seg++)
        p = strchr(p + 1, '/');
    if (p == NULL)
        return r->path;
    snprintf(buf, len, "%.*s/...", (int)(p - r->path < 48 ? p - r->path : 48), r->path);
    return buf;
}

/*
 * A client's X-Request-Id is echoed and logged: only a short opaque token is
 * taken ([A-Za-z0-9._-]{1,64}), never free text that could carry a name or a
 * number; anything else gets an id of our own.
 */
static bool
valid_request_id(const char *v)
{
    size_t n = strlen(v);
    return n >= 1 && n <= 64 &&
           strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static const char *
header(struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/*
 * Behind a trusted proxy the client is the last address in X-Forwarded-For
 * (the one the proxy appended: earlier ones are whatever the client sent).
 */
static void
forwarded_client(struct request *r)
{
    const char *xff = header(r, "X-Forwarded-For"), *last;
    char one[INET6_ADDRSTRLEN];
    unsigned char bin[sizeof(struct in6_addr)];
    size_t n;

    if (xff == NULL)
        return;
    last = strrchr(xff, ',');
    last = last != NULL ? last + 1 : xff;
    last += strspn(last, " \t");
    n = strcspn(last, " \t");
    if (n == 0 || n >= sizeof(one))
        return;
    memcpy(one, last, n);
    one[n] = '\0';
    if (inet_pton(AF_INET, one, bin) == 1 || inet_pton(AF_INET6, one, bin) == 1)
        snprintf(r->client, sizeof(r->client), "%s", one);
}

/* Headers that may appear once: a second one is a 400, never "the first wins". */
static const char *const singletons[] = {"Content-Length", "Content-Type",      "Authorization",
                                         "If-Match",       "If-None-Match",     "Idempotency-Key",
                                         "Host",           "Transfer-Encoding", NULL};

struct header_scan {
    int content_length;
    int transfer_encoding;
    bool folded;
    const char *spaced; /* a header name with whitespace in it ("Content-Length : 5") */
    const char *twice;  /* a singleton header sent twice */
    int seen[sizeof(singletons) / sizeof(singletons[0])];
};

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct header_scan *h = cls;
    (void)kind;
    /*
     * libmicrohttpd 0.9.75 parses "Name: value" in place, so a value always
     * starts after its name. It accepts obsolete line folding (a line that
     * begins with a space or tab) by copying the name, joined with the
     * continuation, elsewhere in its pool: a value that does not follow its
     * name betrays the fold, which a proxy in front may have read differently.
     */
    if (value != NULL && (uintptr_t)value <= (uintptr_t)key + strlen(key))
        h->folded = true;
    /*
     * RFC 9112 5.1: no whitespace between a field name and the colon. libmicrohttpd keeps it
     * in the name, so "Content-Length : 5" would not be the Content-Length it reads, while a
     * proxy in front may have read it as one: refuse, and close.
     */
    if (key[strcspn(key, " \t")] != '\0' && h->spaced == NULL)
        h->spaced = key;
    if (strcasecmp(key, "Content-Length") == 0)
        h->content_length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0)
        h->transfer_encoding++;
    for (int i = 0; singletons[i] != NULL; i++)
        if (strcasecmp(key, singletons[i]) == 0 && ++h->seen[i] == 2 && h->twice == NULL)
            h->twice = singletons[i];
    return MHD_YES;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/*
 * Query arguments as libmicrohttpd decoded them, with their lengths: a %00
 * would cut a C string short ("limit=5%00" read as 5), and bytes that are not
 * UTF-8 would reach the database or a JSON reply; both are a 400 naming the
 * parameter (req_query_allow), never silently accepted.
 */
static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
              const char *value, size_t value_size)
{
    struct request *r = cls;
    (void)kind;
    if (r->query_problem == NULL) {
        bool nul = strlen(key) != key_size || (value != NULL && strlen(value) != value_size);
        bool bad = !utf8_valid((const unsigned char *)key, key_size) ||
                   (value != NULL && !utf8_valid((const unsigned char *)value, value_size));
        if (nul || bad) {
            r->query_problem = key;
            r->query_problem_msg =
                nul ? "must not contain a NUL character (%00)" : "must be UTF-8 text";
            return MHD_YES;
        }
    }
    for (int i = 0; i < r->nquery; i++) {
        if (strcmp(r->query[i].key, key) == 0) {
            if (r->query_problem == NULL)
                r->query_problem = r->query[i].key;
            return MHD_YES;
        }
    }
    if (r->nquery == REQ_MAX_QUERY) {
        if (r->query_problem == NULL)
            r->query_problem = "(too many parameters)";
        return MHD_YES;
    }
    r->query[r->nquery].key = key;
    r->query[r->nquery].value = value;
    r->nquery++;
    return MHD_YES;
}

/* How much of a too-large body is read and discarded before the 413 (then: close). */
static size_t
drain_limit(const struct server *s)
{
    size_t four = 4 * s->cfg->body_limit;
    return four > ((size_t)16 << 20) ? four : ((size_t)16 << 20);
}

/*
 * First call of the access handler: the headers are complete. Decides the
 * route, or an early error reply. Returns true when the reply must be sent
 * at once without reading a body (the connection then closes).
 */
static bool
begin(struct server *s, struct request *r, const char *url, const char *method)
{
    const char *rid = header(r, "X-Request-Id");
    const char *cl;
    struct header_scan hs = {0};
    const char *te;
    char allow[128];
    enum route_match m;

    if (rid != NULL && valid_request_id(rid))
        snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
    else if (!stek_random_hex(r->request_id, 16))
        snprintf(r->request_id, sizeof(r->request_id), "unknown");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                  r->client, sizeof(r->client));
    else if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
                  r->client, sizeof(r->client));
    if (config_trusted_proxy(s->cfg, r->client))
        forwarded_client(r);
    else
        r->proxied_unknown = header(r, "X-Forwarded-For") != NULL || header(r, "Forwarded") != NULL;
    r->method_str = method;
    r->method = method_parse(method);
    r->path = strdup(url);
    r->path_copy = strdup(url);
    if (r->path == NULL || r->path_copy == NULL)
        abort();
    r->h_authorization = header(r, "Authorization");
    r->h_content_type = header(r, "Content-Type");
    r->h_if_match = header(r, "If-Match");
    r->h_if_none_match = header(r, "If-None-Match");
    r->h_origin = header(r, "Origin");
    r->h_accept_encoding = header(r, "Accept-Encoding");
    r->h_accept = header(r, "Accept");
    r->h_idempotency_key = header(r, "Idempotency-Key");
    r->h_if_modified_since = header(r, "If-Modified-Since");
    r->h_host = header(r, "Host");
    r->watchdog_probe = header(r, "X-Stek-Watchdog") != NULL;

    if (r->uri_len > s->cfg->url_limit) {
        reply_problem(r, ERR_URI_TOO_LONG, NULL, "the URI is longer than %zu bytes",
                      s->cfg->url_limit);
        return true;
    }
    /* Request smuggling shapes: a proxy and we must never disagree on the body length. */
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &hs);
    if (hs.content_length > 1 || (hs.content_length > 0 && hs.transfer_encoding > 0)) {
        reply_problem(r, ERR_BAD_REQUEST, NULL,
                      "conflicting Content-Length / Transfer-Encoding headers");
        return true;
    }
    if (hs.folded) {
        reply_problem(r, ERR_BAD_REQUEST, NULL,
                      "a header is folded over two lines (obsolete line folding, RFC 9112 5.2)");
        return true;
    }
    if (hs.spaced != NULL) {
        reply_problem(r, ERR_BAD_REQUEST, NULL,
                      "a header name has whitespace before its colon (RFC 9112 5.1)");
        return true;
    }
    if (hs.twice != NULL) {
        reply_problem(r, ERR_BAD_REQUEST, NULL, "the header %s is sent more than once", hs.twice);
        return true;
    }
    /* Only "chunked" is a transfer coding we read; anything else would hang or desync. */
    te = header(r, "Transfer-Encoding");
    if (te != NULL && strcasecmp(te, "chunked") != 0) {
        reply_problem(
            r, ERR_BAD_REQUEST, NULL,
            "Transfer-Encoding must be exactly chunked (other codings are not supported)");
        return true;
    }
    /* A body where the method takes none (GET, HEAD, DELETE, OPTIONS): refuse it and close,
     * rather than read bytes that a proxy may have sent as the next request. */
    cl = header(r, "Content-Length");
    if ((r->method == M_GET || r->method == M_HEAD || r->method == M_DELETE ||
         r->method == M_OPTIONS) &&
        (te != NULL || (cl != NULL && strtoull(cl, NULL, 10) > 0))) {
        reply_problem(r, ERR_BAD_REQUEST, NULL, "a %s request carries no body", method);
        return true;
    }
    if (cl != NULL && strtoull(cl, NULL, 10) > s->cfg->body_limit) {
        /*
         * RFC 9112 9.6: a client still writing its body when the server answers and closes
         * gets a reset, not the 413 (Node's fetch fails with EPIPE). Up to drain_limit the
         * body is read and discarded, then the 413 is sent on a connection that is still in
         * step; beyond that the answer goes at once and the connection closes.
         */
        if (strtoull(cl, NULL, 10) <= drain_limit(s)) {
            r->body_too_large = true;
        } else {
            reply_problem(r, ERR_BODY_TOO_LARGE, NULL, "the body is larger than %zu bytes",
                          s->cfg->body_limit);
            return true;
        }
    }
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, collect_query, r);
    if (atomic_load(&s->draining)) {
        reply_problem(r, ERR_OVERLOADED, NULL, "the service is shutting down");
        reply_header(r, "Connection", "close");
        return false;
    }
    m = router_find(r->method, r->path_copy, &r->route, r->params, &r->nparams, allow,
                    sizeof(allow));
    if (r->method == M_OPTIONS && m == ROUTE_NO_METHOD) {
        /* CORS preflight: any origin may call; bearer tokens, never cookies. */
        reply_empty(r, 204);
        reply_header(r, "Allow", allow);
        reply_header(r, "Access-Control-Allow-Methods", allow);
        reply_header(r, "Access-Control-Allow-Headers", cors_allow_headers);
        reply_header(r, "Access-Control-Max-Age", "86400");
        r->route = NULL;
        return false;
    }
    if (m == ROUTE_NO_PATH) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no such path; see /openapi.json");
        r->route = NULL;
    } else if (m == ROUTE_NO_METHOD) {
        reply_problem(r, ERR_METHOD_NOT_ALLOWED, NULL, "this path allows %s", allow);
        reply_header(r, "Allow", allow);
        r->route = NULL;
    }
    return false;
}

static void
append_body(struct server *s, struct request *r, const char *data, size_t len)
{
    if (r->body_too_large) {
        r->drained += len;
        return;
    }
    if (r->body_len + len > s->cfg->body_limit) {
        r->body_too_large = true;
        free(r->body);
        r->body = NULL;
        r->body_len = r->body_cap = 0;
        return;
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 1024;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        char *nb = realloc(r->body, cap);
        if (nb == NULL)
            abort();
        r->body = nb;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

/* ---- replies ---- */

static enum MHD_Result
queue_reply(struct server *s, struct request *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    bool has_cache = false;

    if (r->reply.status == 0)
        reply_problem(r, ERR_INTERNAL, NULL, "no reply was produced");
    if (r->reply.release != NULL)
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            r->reply.len, r->reply.body, r->reply.release, r->reply.release_cls);
    else
        resp = MHD_create_response_from_buffer(r->reply.len, r->reply.body,
                                               r->reply.body_static ? MHD_RESPMEM_PERSISTENT
                                                                    : MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        return MHD_NO;
    /* libmicrohttpd owns an owned or shared body from now on. */
    if (!r->reply.body_static || r->reply.release != NULL) {
        r->reply.body = NULL;
        r->reply.body_static = true;
        r->reply.release = NULL;
    }
    if (r->reply.ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->reply.ctype);
    for (int i = 0; i < r->reply.nheaders; i++) {
        MHD_add_response_header(resp, r->reply.headers[i].name, r->reply.headers[i].value);
        has_cache = has_cache || strcmp(r->reply.headers[i].name, "Cache-Control") == 0;
    }
    if (!has_cache)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", cors_expose);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(r->conn, r->reply.status, resp);
    MHD_destroy_response(resp);
    r->state = ST_DONE;
    return ret;
}

static void
keys_synced_cb(void *arg)
{
    struct request *r = arg;
    MHD_resume_connection(r->conn);
}

/* Suspends r before the worker can see it, so its resume never comes first. */
static void
suspend_for_worker(struct request *r)
{
    r->state = ST_WAIT;
    MHD_suspend_connection(r->conn);
}

/* A worker finished r: libmicrohttpd sends the reply. */
static void
worker_done(struct request *r)
{
    MHD_resume_connection(r->conn);
}

/*
 * Answers r from memory when its route can (a fast path, or a route without
 * the database), or hands it to a database worker.
 */
static void
dispatch(struct server *s, struct request *r)
{
    if (r->body_too_large) {
        reply_problem(r, ERR_BODY_TOO_LARGE, NULL, "the body is larger than %zu bytes",
                      s->cfg->body_limit);
        return;
    }
    if (r->route->fast != NULL && r->reply.status == 0 && r->parsed == NULL && r->route->fast(r))
        return;
    if (!(r->route->flags & ROUTE_DB)) {
        r->route->handler(r);
        return;
    }
    if (r->route->role != ROLE_NONE && !r->authorized) {
        /* A client that failed too often gets 429 for keys that do not work (auth_check). */
        enum auth_result a = auth_check(r, r->route->role);
        if (a == AUTH_REFUSED)
            return;
        if (a == AUTH_SYNC) {
            /* Suspended before the listener can resume it; dispatched again then. */
            r->keys_synced = true;
            r->state = ST_KEYS;
            MHD_suspend_connection(r->conn);
            if (!keys_sync(keys_synced_cb, r))
                MHD_resume_connection(r->conn);
            return;
        }
        r->authorized = a == AUTH_OK;
    }
    if (!pool_submit(s->pool, r, suspend_for_worker))
        reply_problem(r, ERR_OVERLOADED, NULL, "too many requests are waiting; retry later");
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *con, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct request *r = *con_cls;
    (void)version;
    (void)con;

    if (r == NULL)
        return MHD_NO;
    switch (r->state) {
    case ST_NEW:
        r->state = ST_BODY;
        if (begin(s, r, url, method))
            return queue_reply(s, r); /* refuse the body: the connection closes */
        /* Queue nothing on the first call: doing so disables keep-alive in libmicrohttpd. */
        return MHD_YES;
    case ST_KEYS: /* resumed by the listener: the keys are current now; dispatch again */
        r->state = ST_BODY;
        __attribute__((fallthrough));
    case ST_BODY:
        if (*upload_data_size != 0) {
            if (r->reply.status == 0)
                append_body(s, r, upload_data, *upload_data_size);
            *upload_data_size = 0;
            if (r->body_too_large && r->drained > drain_limit(s) && r->reply.status == 0) {
                /* A chunked body without end: answer now, and the connection closes. */
                reply_problem(r, ERR_BODY_TOO_LARGE, NULL, "the body is larger than %zu bytes",
                              s->cfg->body_limit);
                return queue_reply(s, r);
            }
            return MHD_YES;
        }
        if (r->reply.status == 0)
            dispatch(s, r);
        if (r->state == ST_WAIT || r->state == ST_KEYS)
            return MHD_YES;
        return queue_reply(s, r);
    case ST_WAIT:
        return queue_reply(s, r); /* resumed by the worker */
    case ST_DONE:
    default:
        return MHD_YES;
    }
}

static void
completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *r = *con_cls;
    struct timespec t1;
    (void)con;
    (void)toe;

    if (r == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r->method_str != NULL)
        metric_request(r->route ? (int)(r->route - stek_routes) : -1, r->reply.status,
                       (double)(t1.tv_sec - r->t0.tv_sec) +
                           (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9);
    char logged[64];
    /* The watchdog's own probe (from loopback) would log a line every few seconds. */
    bool quiet = r->watchdog_probe && r->route != NULL &&
                 strcmp(r->route->pattern, "/healthz") == 0 &&
                 (strcmp(r->client, "127.0.0.1") == 0 || strcmp(r->client, "::1") == 0);
    if (r->method_str != NULL && !quiet)
        log_access(r->method_str, log_path(r, logged, sizeof(logged)), r->reply.status,
                   (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 +
                       (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6,
                   r->request_id, r->who.key_id);
    reply_clear(&r->reply);
    json_decref(r->json);
    if (r->parsed_free != NULL)
        r->parsed_free(r->parsed);
    free(r->body);
    free(r->path);
    free(r->path_copy);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

bool
server_pool_stalled(struct server *s, int64_t bound_ms)
{
    return pool_stalled(s->pool, bound_ms);
}

static void log_mhd(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
log_mhd(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_event("warn", "libmicrohttpd", "detail", msg, NULL);
}

/*
 * The connection limit is kept here rather than by libmicrohttpd: at its own
 * limit, 0.9.75 stops watching the listening socket and, once connections close,
 * can leave the backlog unserved for a long time (90 s in a test). Here a
 * connection over the limit is accepted and closed at once, so a flood is
 * refused visibly and service resumes as soon as connections close.
 */
static enum MHD_Result
accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct server *s = cls;
    (void)addr;
    (void)addrlen;

    if (atomic_load(&s->open_conns) < s->conn_limit)
        return MHD_YES;
    metric_inc(M_CONNECTIONS_REFUSED);
    if (!atomic_exchange(&s->refusing, true))
        log_event("warn", "connection limit reached; refusing new connections", NULL);
    return MHD_NO;
}

static void
notify_connection_cb(void *cls, struct MHD_Connection *con, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
    struct server *s = cls;
    (void)con;
    (void)socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->open_conns, 1);
        metric_connections(1);
    } else {
        unsigned left = atomic_fetch_sub(&s->open_conns, 1) - 1;
        metric_connections(-1);
        if (left < s->conn_limit / 2 && atomic_load(&s->refusing) &&
            atomic_exchange(&s->refusing, false))
            log_event("info", "connections below the limit again", NULL);
    }
}

/*
 * The connection limit that the process's file descriptors allow: the soft
 * limit is raised towards the hard one (Debian's soft default of 1024 would
 * otherwise make accept() fail long before STEK_MAX_CONNECTIONS), and what
 * cannot be had is taken off the limit, with a warning.
 */
#define CONN_SLACK 64 /* libmicrohttpd's own limit, above ours, is never reached */

static unsigned
connection_limit(const struct stek_config *cfg)
{
    /* database workers, the listener, logs, epoll and pipes: generously */
    rlim_t reserve = (rlim_t)cfg->db_workers + 64 + CONN_SLACK,
           want = (rlim_t)cfg->max_connections + reserve;
    struct rlimit rl;
    char have[24];

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return cfg->max_connections;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= want)
        return cfg->max_connections;
    unsigned fit = rl.rlim_cur > reserve + 4 ? (unsigned)(rl.rlim_cur - reserve) : 4u;
    snprintf(have, sizeof(have), "%u", fit);
    log_event("warn", "file descriptor limit lowers STEK_MAX_CONNECTIONS", "max_connections", have,
              NULL);
    return fit;
}

struct server *
server_start(const struct stek_config *cfg, char *err, size_t errlen)
{
    struct server *s = calloc(1, sizeof(*s));
    struct sockaddr_in addr;

    if (s == NULL)
        abort();
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "STEK_BIND must be an IPv4 address such as 127.0.0.1, not '%s'",
                 cfg->bind);
        free(s);
        return NULL;
    }
    s->cfg = cfg;
    s->conn_limit = connection_limit(cfg);
    s->pool = pool_start(cfg, worker_done);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        (uint16_t)cfg->port, accept_cb, s, access_cb, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT, s->conn_limit + CONN_SLACK,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        cfg->conn_memory, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
        completed_cb, s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection_cb, s,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%u (in use, or not allowed)", cfg->bind,
                 cfg->port);
        s->daemon = NULL;
        server_stop(s);
        return NULL;
    }
    return s;
}

void
server_stop(struct server *s)
{
    if (s->daemon != NULL) {
        MHD_socket fd = MHD_quiesce_daemon(s->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
        atomic_store(&s->draining, true);
        /* In-flight requests get the grace period to finish; idle connections do not count. */
        for (unsigned i = 0; i < s->cfg->shutdown_grace_s * 20; i++) {
            if (atomic_load(&s->in_flight) == 0)
                break;
            usleep(50000);
        }
    }
    pool_stop(s->pool); /* the queue is finished first: no request stays suspended */
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    free(s);
}
