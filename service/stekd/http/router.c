#include "stek/router.h"
#include "stek/handlers.h"

#include <string.h>

/* clang-format off */
const struct route stek_routes[] = {
    {M_GET,    "/healthz",             h_healthz,          ROLE_NONE,  0, NULL},
    {M_GET,    "/readyz",              h_readyz,           ROLE_NONE,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/openapi.json",        h_openapi,          ROLE_NONE,  0, NULL},
    {M_GET,    "/metrics",             h_metrics,          ROLE_NONE,  0, NULL},

    /* The public page and the embeddable widget (service/web/, from memory). */
    {M_GET,    "/",                    h_static,           ROLE_NONE,  0, NULL},
    {M_GET,    "/widget.js",           h_static,           ROLE_NONE,  0, NULL},
    {M_GET,    "/stats",               h_static,           ROLE_NONE,  0, NULL},
    {M_GET,    "/assets/{file}",       h_static,           ROLE_NONE,  0, NULL},
    /* The monthly calendar for the wall (A4 landscape HTML with a QR code). */
    {M_GET,    "/print/month",         h_print_month,      ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, NULL},

    {M_GET,    "/v1/partners",         h_partners_list,    ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/partners",         h_partners_create,  ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/partners/{id}",    h_partners_get,     ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/partners/{id}",    h_partners_patch,   ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/partners/{id}",    h_partners_delete,  ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks", h_webhooks_list, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks", h_webhooks_create, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks/{wid}", h_webhooks_get, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_PATCH,  "/v1/partners/{id}/webhooks/{wid}", h_webhooks_patch, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_DELETE, "/v1/partners/{id}/webhooks/{wid}", h_webhooks_delete, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks/{wid}/secret", h_webhooks_rotate, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks/{wid}/deliveries", h_webhook_deliveries, ROLE_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks/{wid}/deliveries/{did}/redeliver", h_webhook_redeliver, ROLE_PARTNER, ROUTE_DB, NULL},

    {M_GET,    "/v1/sites",            h_sites_list,       ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/sites",            h_sites_create,     ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}",       h_sites_get,        ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/sites/{id}",       h_sites_patch,      ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/sites/{id}",       h_sites_delete,     ROLE_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}/closures", h_closures_list, ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_POST,   "/v1/sites/{id}/closures", h_closures_create, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}/closures/{cid}", h_closures_get, ROLE_NONE, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/sites/{id}/closures/{cid}", h_closures_patch, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/sites/{id}/closures/{cid}", h_closures_delete, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},

    {M_GET,    "/v1/offers",           h_offers_list,      ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/offers",           h_offers_create,    ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}",      h_offers_get,       ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/offers/{id}",      h_offers_patch,     ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/offers/{id}",      h_offers_delete,    ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}/uitdatabank", h_offers_uitdatabank, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/v1/offers/{id}/exceptions", h_exceptions_list, ROLE_NONE, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_POST,   "/v1/offers/{id}/exceptions", h_exceptions_create, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}/exceptions/{date}", h_exceptions_get, ROLE_NONE, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/offers/{id}/exceptions/{date}", h_exceptions_patch, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/offers/{id}/exceptions/{date}", h_exceptions_delete, ROLE_PARTNER, ROUTE_DB | ROUTE_FEED_WRITE, NULL},

    /* The feed answers from its cache on the I/O thread (fast) and from a worker on a miss. */
    {M_GET,    "/v1/feed",             h_feed_json,        ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, h_feed_json_cached},
    {M_GET,    "/v1/feed.ics",         h_feed_ics,         ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, h_feed_ics_cached},

    {M_GET,    "/v1/themes",           h_themes_list,      ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},
    {M_POST,   "/v1/themes",           h_themes_create,    ROLE_ADMIN, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/signals",          h_signals_list,     ROLE_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/signals",          h_signals_create,   ROLE_PARTNER, ROUTE_DB | ROUTE_KEY_IN_STATEMENT | ROUTE_SIGNALS_WRITE, NULL},
    {M_POST,   "/v1/signals/batch",    h_signals_batch,    ROLE_PARTNER, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/signals/{id}",     h_signals_get,      ROLE_PARTNER, ROUTE_DB, NULL},
    {M_PATCH,  "/v1/signals/{id}",     h_signals_patch,    ROLE_ADMIN, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/handoffs/{code}",  h_handoffs_get,     ROLE_PARTNER, ROUTE_DB | ROUTE_SECRET_PATH, NULL},
    {M_POST,   "/v1/handoffs/{code}",  h_handoffs_arrive,  ROLE_PARTNER, ROUTE_DB | ROUTE_SECRET_PATH | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/stats/signals",    h_stats_signals,    ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},
    {M_GET,    "/v1/stats/answers",    h_stats_answers,    ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},

    {M_GET,    "/activity/{occurrence_id}", h_activity,        ROLE_NONE,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, NULL},
    {M_GET,    "/hsds",                h_hsds_root,        ROLE_NONE,  0, NULL},
    {M_GET,    "/hsds/",               h_hsds_root,        ROLE_NONE,  0, NULL},
    {M_GET,    "/hsds/profile",        h_static,           ROLE_NONE,  0, NULL},
    {M_GET,    "/hsds/services",       h_hsds_services,    ROLE_NONE,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/services/{id}",  h_hsds_service,     ROLE_NONE,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/service_at_locations", h_hsds_service_at_locations, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/service_at_locations/{id}", h_hsds_service_at_location, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/organizations",  h_hsds_organizations, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/organizations/{id}", h_hsds_organization, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomies",     h_hsds_taxonomies,  ROLE_NONE,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomies/{id}", h_hsds_taxonomy,   ROLE_NONE,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomy_terms", h_hsds_taxonomy_terms, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomy_terms/{id}", h_hsds_taxonomy_term, ROLE_NONE, ROUTE_DB | ROUTE_READ, NULL},

    {M_GET,    "/v1/keys",             h_keys_list,        ROLE_ADMIN, ROUTE_DB, NULL},
    {M_POST,   "/v1/keys",             h_keys_create,      ROLE_ADMIN, ROUTE_DB, NULL},
    {M_GET,    "/v1/keys/{id}",        h_keys_get,         ROLE_ADMIN, ROUTE_DB, NULL},
    {M_GET,    "/v1/me",               h_me,               ROLE_PARTNER, ROUTE_DB, NULL},
    {M_DELETE, "/v1/keys/{id}",        h_keys_delete,      ROLE_ADMIN, ROUTE_DB, NULL},

    {M_GET,    "/v1/audit",            h_audit_list,       ROLE_ADMIN, ROUTE_DB, NULL},

    {M_OTHER,  NULL,                   NULL,               ROLE_NONE,  0, NULL},
};
/* clang-format on */
_Static_assert(sizeof(stek_routes) / sizeof(stek_routes[0]) - 1 <= STEK_ROUTES_MAX,
               "the route table outgrew STEK_ROUTES_MAX (metrics.c sizes its arrays by it)");

static const char *const method_names[] = {
    [M_GET] = "GET",       [M_HEAD] = "HEAD", [M_POST] = "POST",       [M_PATCH] = "PATCH",
    [M_DELETE] = "DELETE", [M_PUT] = "PUT",   [M_OPTIONS] = "OPTIONS", [M_OTHER] = "OTHER",
};

const char *
method_name(enum http_method m)
{
    return method_names[m];
}

enum http_method
method_parse(const char *s)
{
    for (int m = M_GET; m < M_OTHER; m++)
        if (strcmp(s, method_names[m]) == 0)
            return (enum http_method)m;
    return M_OTHER;
}

/* Matches path segments against pattern; fills params on success. */
static bool
match(const char *pattern, char *const *segs, int nsegs, const char **params, int *nparams)
{
    const char *p = pattern;
    int i = 0, np = 0;

    while (*p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
        if (i >= nsegs)
            return false;
        if (p[1] == '{') {
            if (segs[i][0] == '\0' || np >= REQ_MAX_PARAMS)
                return false;
            params[np++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p + 1, len) != 0) {
            return false;
        }
        i++;
        p += len + 1;
    }
    if (i != nsegs)
        return false;
    *nparams = np;
    return true;
}

/* The number of literal (not "{name}") segments of a pattern. */
static int
literals(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; (p = strchr(p, '/')) != NULL; p++)
        n += p[1] != '{';
    return n;
}

enum route_match
router_find(enum http_method method, char *path_copy, const struct route **out, const char **params,
            int *nparams, char *allow, size_t allow_len)
{
    char *segs[16];
    int nsegs = 0;
    bool path_known = false;
    enum http_method want = method == M_HEAD ? M_GET : method;

    if (path_copy[0] != '/')
        return ROUTE_NO_PATH;
    for (char *s = path_copy; s != NULL && *s == '/';) {
        char *next = strchr(s + 1, '/');
        if (nsegs == 16)
            return ROUTE_NO_PATH;
        segs[nsegs++] = s + 1;
        *s = '\0';
        s = next;
    }
    allow[0] = '\0';
    /*
     * A literal segment beats a parameter: /v1/signals/batch is its own resource, not
     * /v1/signals/{id} with id "batch". Only the routes with the most literal segments
     * among those that match make up the path (its methods, its Allow).
     */
    int best = -1;
    for (const struct route *rt = stek_routes; rt->pattern != NULL; rt++) {
        const char *tmp[REQ_MAX_PARAMS];
        int ntmp = 0;
        if (match(rt->pattern, segs, nsegs, tmp, &ntmp) && literals(rt->pattern) > best)
            best = literals(rt->pattern);
    }
    for (const struct route *rt = stek_routes; rt->pattern != NULL; rt++) {
        const char *tmp[REQ_MAX_PARAMS];
        int ntmp = 0;
        if (literals(rt->pattern) != best || !match(rt->pattern, segs, nsegs, tmp, &ntmp))
            continue;
        if (rt->method == want) {
            *out = rt;
            memcpy(params, tmp, sizeof(tmp[0]) * (size_t)ntmp);
            *nparams = ntmp;
            return ROUTE_FOUND;
        }
        path_known = true;
        if (allow[0] != '\0')
            strncat(allow, ", ", allow_len - strlen(allow) - 1);
        strncat(allow, method_names[rt->method], allow_len - strlen(allow) - 1);
        if (rt->method == M_GET)
            strncat(allow, ", HEAD", allow_len - strlen(allow) - 1);
    }
    if (path_known)
        strncat(allow, ", OPTIONS", allow_len - strlen(allow) - 1);
    return path_known ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
