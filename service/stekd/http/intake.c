/*
 * Reading a request off its connection: the request id, the client behind
 * trusted proxies, the headers checked for request-smuggling shapes, the
 * query (NUL-free UTF-8), the route, and the body within its limit.
 */
#include "stek/intake.h"
#include "stek/crypto.h"
#include "stek/router.h"
#include "stek/strbuf.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include "stek/replicas.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char cors_allow_headers[] =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id, "
    "Stek-Read-After";

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
    /* A parameter given twice is refused, but for those that take several values that way too
     * (qspec.h: QS_FN_MULTI): day=mo&day=we as day=mo,we. */
    static const char *const multi[] = {"day", NULL};
    bool may_repeat = false;
    for (int i = 0; multi[i] != NULL && !may_repeat; i++)
        may_repeat = strcmp(multi[i], key) == 0;
    for (int i = 0; i < r->nquery && !may_repeat; i++) {
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

size_t
intake_drain_limit(const struct stek_config *cfg)
{
    size_t four = 4 * cfg->body_limit;
    return four > ((size_t)16 << 20) ? four : ((size_t)16 << 20);
}

/* Who sent the request (the peer, or the client a trusted proxy names), its id and method, and
 * the headers the layers read. */
static void
read_identity(struct request *r, const struct stek_config *cfg, const char *url, const char *method)
{
    const char *rid = header(r, "X-Request-Id");

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
    if (config_trusted_proxy(cfg, r->client))
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
    r->h_accept_language = header(r, "Accept-Language");
    r->watchdog_probe = header(r, "X-Stek-Watchdog") != NULL;
}

/*
 * Request smuggling shapes and bodies where none belongs: a proxy and we must never disagree on
 * where a request ends. Replies 400 and returns false on the first found.
 */
static bool
framing_ok(struct request *r, const char *method)
{
    struct header_scan hs = {0};
    const char *te, *cl;

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &hs);
    const char *why =
        hs.content_length > 1 || (hs.content_length > 0 && hs.transfer_encoding > 0)
            ? "conflicting Content-Length / Transfer-Encoding headers"
        : hs.folded ? "a header is folded over two lines (obsolete line folding, RFC 9112 5.2)"
        : hs.spaced != NULL ? "a header name has whitespace before its colon (RFC 9112 5.1)"
                            : NULL;
    if (why != NULL) {
        reply_problem(r, ERR_BAD_REQUEST, NULL, "%s", why);
        return false;
    }
    if (hs.twice != NULL) {
        reply_problem(r, ERR_BAD_REQUEST, NULL, "the header %s is sent more than once", hs.twice);
        return false;
    }
    /* Only "chunked" is a transfer coding we read; anything else would hang or desync. */
    te = header(r, "Transfer-Encoding");
    if (te != NULL && strcasecmp(te, "chunked") != 0) {
        reply_problem(
            r, ERR_BAD_REQUEST, NULL,
            "Transfer-Encoding must be exactly chunked (other codings are not supported)");
        return false;
    }
    /* A body where the method takes none (GET, HEAD, DELETE, OPTIONS): refuse it and close,
     * rather than read bytes that a proxy may have sent as the next request. */
    cl = header(r, "Content-Length");
    if ((r->method == M_GET || r->method == M_HEAD || r->method == M_DELETE ||
         r->method == M_OPTIONS) &&
        (te != NULL || (cl != NULL && strtoull(cl, NULL, 10) > 0))) {
        reply_problem(r, ERR_BAD_REQUEST, NULL, "a %s request carries no body", method);
        return false;
    }
    return true;
}

/* The route of the request; OPTIONS answered (CORS preflight), 404 and 405 replied. */
static void
find_route(struct request *r)
{
    char allow[128];
    enum route_match m = router_find(r->method, r->path_copy, &r->route, r->params, &r->nparams,
                                     allow, sizeof(allow));

    if (r->method == M_OPTIONS && m == ROUTE_NO_METHOD) {
        /* CORS preflight: any origin may call; bearer tokens, never cookies. */
        reply_empty(r, 204);
        reply_header(r, "Allow", allow);
        reply_header(r, "Access-Control-Allow-Methods", allow);
        reply_header(r, "Access-Control-Allow-Headers", cors_allow_headers);
        reply_header(r, "Access-Control-Max-Age", "86400");
        r->route = NULL;
    } else if (m == ROUTE_NO_PATH) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no such path; see /openapi.json");
        r->route = NULL;
    } else if (m == ROUTE_NO_METHOD) {
        reply_problem(r, ERR_METHOD_NOT_ALLOWED, NULL, "this path allows %s", allow);
        reply_header(r, "Allow", allow);
        r->route = NULL;
    }
}

bool
intake_begin(struct request *r, const struct stek_config *cfg, bool draining, const char *url,
             const char *method)
{
    const char *cl;

    read_identity(r, cfg, url, method);
    /* A write's Stek-LSN sent back: reads wait for a replica that has it (replicas.h). */
    const char *read_after = header(r, "Stek-Read-After");
    r->read_after = lsn_parse(read_after);
    if (read_after != NULL && r->read_after == 0) {
        /* ignored, it could let a reader miss its own write without knowing */
        reply_problem(r, ERR_BAD_REQUEST,
                      json_pack("[{s:s, s:s}]", "field", "Stek-Read-After", "message",
                                "must be a Stek-LSN as a write answered it, e.g. 0/3A1C2B8"),
                      "the Stek-Read-After header is not a write's position");
        return true;
    }
    if (r->uri_len > cfg->url_limit) {
        reply_problem(r, ERR_URI_TOO_LONG, NULL, "the URI is longer than %zu bytes",
                      cfg->url_limit);
        return true;
    }
    if (!framing_ok(r, method))
        return true;
    cl = header(r, "Content-Length");
    if (cl != NULL && strtoull(cl, NULL, 10) > cfg->body_limit) {
        /*
         * RFC 9112 9.6: a client still writing its body when the server answers and closes
         * gets a reset, not the 413 (Node's fetch fails with EPIPE). Up to drain_limit the
         * body is read and discarded, then the 413 is sent on a connection that is still in
         * step; beyond that the answer goes at once and the connection closes.
         */
        if (strtoull(cl, NULL, 10) <= intake_drain_limit(cfg)) {
            r->body_too_large = true;
        } else {
            reply_problem(r, ERR_BODY_TOO_LARGE, NULL, "the body is larger than %zu bytes",
                          cfg->body_limit);
            return true;
        }
    }
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, collect_query, r);
    if (draining) {
        reply_problem(r, ERR_OVERLOADED, NULL, "the service is shutting down");
        reply_header(r, "Connection", "close");
        return false;
    }
    find_route(r);
    return false;
}

void
intake_body(struct request *r, const struct stek_config *cfg, const char *data, size_t len)
{
    if (r->body_too_large) {
        r->drained += len;
        return;
    }
    if (r->body_len + len > cfg->body_limit) {
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
