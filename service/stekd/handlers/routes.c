/*
 * The one route table: every path and method the daemon answers, its handler, the role it
 * needs and how it runs (router.h: ROUTE_*). The HTTP layer matches requests against it
 * (http/router.c); unit tests check it against openapi.yaml both ways.
 */
#include "stek/handlers.h"
#include "stek/router.h"

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
    {M_POST,   "/v1/keys/{id}/rotate", h_keys_rotate,      ROLE_PARTNER, ROUTE_DB, NULL},

    {M_GET,    "/v1/audit",            h_audit_list,       ROLE_ADMIN, ROUTE_DB, NULL},

    {M_OTHER,  NULL,                   NULL,               ROLE_NONE,  0, NULL},
};
/* clang-format on */
_Static_assert(sizeof(stek_routes) / sizeof(stek_routes[0]) - 1 <= STEK_ROUTES_MAX,
               "the route table outgrew STEK_ROUTES_MAX (metrics.c sizes its arrays by it)");
