#include "stek/server.h"
#include "stek/auth.h"
#include "stek/cache.h"
#include "stek/listen.h"
#include "stek/keystore.h"
#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/http.h"
#include "stek/log.h"
#include "stek/metrics.h"
#include "stek/ratelimit.h"
#include "stek/intake.h"
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

static const char cors_expose[] = "ETag, Location, Retry-After, X-Request-Id, WWW-Authenticate, "
                                  "Stek-LSN, Stek-Served-By, Stek-Primary, Stek-Hint";

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
    if (r->cache_key == NULL && cache_public_lookup(r))
        return;
    if (!(r->route->flags & ROUTE_DB)) {
        r->route->handler(r);
        return;
    }
    if (r->route->allow != R_PUBLIC && !r->authorized) {
        /* A client that failed too often gets 429 for keys that do not work (auth_check). */
        enum auth_result a = auth_check(r, r->route->allow);
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
        if (intake_begin(r, s->cfg, atomic_load(&s->draining), url, method))
            return queue_reply(s, r); /* refuse the body: the connection closes */
        /* Queue nothing on the first call: doing so disables keep-alive in libmicrohttpd. */
        return MHD_YES;
    case ST_KEYS: /* resumed by the listener: the keys are current now; dispatch again */
        r->state = ST_BODY;
        __attribute__((fallthrough));
    case ST_BODY:
        if (*upload_data_size != 0) {
            if (r->reply.status == 0)
                intake_body(r, s->cfg, upload_data, *upload_data_size);
            *upload_data_size = 0;
            if (r->body_too_large && r->drained > intake_drain_limit(s->cfg) &&
                r->reply.status == 0) {
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
    free(r->cache_key);
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
