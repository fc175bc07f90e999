/*
 * The one route table: every path and method the daemon answers, its handler, the roles it
 * allows (http.h: R_*; deny by default: a role not named gets 403; openapi.yaml says the same
 * per operation in x-stek-roles) and how it runs (router.h: ROUTE_*). The HTTP layer matches
 * requests against it (http/router.c); unit tests check it against openapi.yaml both ways.
 */
#include "stek/handlers.h"
#include "stek/router.h"

/* Who writes the feed's records: an admin, a partner (its own), a coordinator (its places). */
#define R_WRITERS (R_ADMIN | R_PARTNER | R_COORDINATOR)

/* clang-format off */
const struct route stek_routes[] = {
    {M_GET,    "/healthz",             h_healthz,          R_PUBLIC,  0, NULL},
    {M_GET,    "/readyz",              h_readyz,           R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/openapi.json",        h_openapi,          R_PUBLIC,  0, NULL},
    {M_GET,    "/metrics",             h_metrics,          R_PUBLIC,  0, NULL},

    /* The public page and the embeddable widget (service/web/, from memory). */
    {M_GET,    "/",                    h_static,           R_PUBLIC,  0, NULL},
    {M_GET,    "/widget.js",           h_static,           R_PUBLIC,  0, NULL},
    {M_GET,    "/stats",               h_static,           R_PUBLIC,  0, NULL},
    {M_GET,    "/assets/{file}",       h_static,           R_PUBLIC,  0, NULL},
    /* The monthly calendar for the wall (A4 landscape HTML with a QR code). */
    {M_GET,    "/print/month",         h_print_month,      R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, NULL},

    {M_GET,    "/v1/partners",         h_partners_list,    R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/partners",         h_partners_create,  R_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/partners/{id}",    h_partners_get,     R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/partners/{id}",    h_partners_patch,   R_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/partners/{id}",    h_partners_delete,  R_ADMIN, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks", h_webhooks_list, R_ADMIN | R_PARTNER | R_READER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks", h_webhooks_create, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks/{wid}", h_webhooks_get, R_ADMIN | R_PARTNER | R_READER, ROUTE_DB, NULL},
    {M_PATCH,  "/v1/partners/{id}/webhooks/{wid}", h_webhooks_patch, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},
    {M_DELETE, "/v1/partners/{id}/webhooks/{wid}", h_webhooks_delete, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks/{wid}/secret", h_webhooks_rotate, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/webhooks/{wid}/deliveries", h_webhook_deliveries, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/webhooks/{wid}/deliveries/{did}/redeliver", h_webhook_redeliver, R_ADMIN | R_PARTNER, ROUTE_DB, NULL},

    {M_GET,    "/v1/partners/{id}/calendars", h_calendars_list, R_ADMIN | R_PARTNER | R_READER, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/calendars", h_calendars_create, R_ADMIN | R_PARTNER | R_COORDINATOR, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/calendars/{cid}", h_calendars_get, R_ADMIN | R_PARTNER | R_COORDINATOR | R_READER, ROUTE_DB, NULL},
    {M_PATCH,  "/v1/partners/{id}/calendars/{cid}", h_calendars_patch, R_ADMIN | R_PARTNER | R_COORDINATOR, ROUTE_DB, NULL},
    {M_DELETE, "/v1/partners/{id}/calendars/{cid}", h_calendars_delete, R_ADMIN | R_PARTNER | R_COORDINATOR, ROUTE_DB, NULL},
    {M_POST,   "/v1/partners/{id}/calendars/{cid}/sync", h_calendars_sync, R_ADMIN | R_PARTNER | R_COORDINATOR, ROUTE_DB, NULL},
    {M_GET,    "/v1/partners/{id}/calendars/{cid}/runs", h_calendars_runs, R_ADMIN | R_PARTNER | R_COORDINATOR | R_READER, ROUTE_DB, NULL},

    {M_GET,    "/v1/sites",            h_sites_list,       R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/sites",            h_sites_create,     R_ADMIN | R_COORDINATOR, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}",       h_sites_get,        R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/sites/{id}",       h_sites_patch,      R_ADMIN | R_COORDINATOR, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/sites/{id}",       h_sites_delete,     R_ADMIN | R_COORDINATOR, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}/closures", h_closures_list, R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_POST,   "/v1/sites/{id}/closures", h_closures_create, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/sites/{id}/closures/{cid}", h_closures_get, R_PUBLIC, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/sites/{id}/closures/{cid}", h_closures_patch, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/sites/{id}/closures/{cid}", h_closures_delete, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},

    {M_GET,    "/v1/offers",           h_offers_list,      R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE, NULL},
    {M_POST,   "/v1/offers",           h_offers_create,    R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}",      h_offers_get,       R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/offers/{id}",      h_offers_patch,     R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/offers/{id}",      h_offers_delete,    R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_POST,   "/v1/imports/offers",   h_offers_import,    R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_POST,   "/v1/offers/{id}/confirm", h_offers_confirm, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}/uitdatabank", h_offers_uitdatabank, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/v1/offers/{id}/exceptions", h_exceptions_list, R_PUBLIC, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_POST,   "/v1/offers/{id}/exceptions", h_exceptions_create, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_GET,    "/v1/offers/{id}/exceptions/{date}", h_exceptions_get, R_PUBLIC, ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES, NULL},
    {M_PATCH,  "/v1/offers/{id}/exceptions/{date}", h_exceptions_patch, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},
    {M_DELETE, "/v1/offers/{id}/exceptions/{date}", h_exceptions_delete, R_WRITERS, ROUTE_DB | ROUTE_FEED_WRITE, NULL},

    /* The feed answers from its cache on the I/O thread (fast) and from a worker on a miss. */
    {M_GET,    "/v1/feed",             h_feed_json,        R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, h_feed_json_cached},
    {M_GET,    "/v1/feed.ics",         h_feed_ics,         R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, h_feed_ics_cached},

    {M_GET,    "/v1/themes",           h_themes_list,      R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_LANGUAGES | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},
    {M_POST,   "/v1/themes",           h_themes_create,    R_ADMIN, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/signals",          h_signals_list,     R_ANY_KEY, ROUTE_DB, NULL},
    {M_POST,   "/v1/signals",          h_signals_create,   R_PARTNER, ROUTE_DB | ROUTE_KEY_IN_STATEMENT | ROUTE_SIGNALS_WRITE, NULL},
    {M_POST,   "/v1/signals/batch",    h_signals_batch,    R_PARTNER, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/signals/{id}",     h_signals_get,      R_ANY_KEY, ROUTE_DB, NULL},
    {M_PATCH,  "/v1/signals/{id}",     h_signals_patch,    R_ADMIN | R_COORDINATOR, ROUTE_DB | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/handoffs/{code}",  h_handoffs_get,     R_PARTNER, ROUTE_DB | ROUTE_SECRET_PATH, NULL},
    {M_POST,   "/v1/handoffs/{code}",  h_handoffs_arrive,  R_PARTNER, ROUTE_DB | ROUTE_SECRET_PATH | ROUTE_SIGNALS_WRITE, NULL},
    {M_GET,    "/v1/stats/signals",    h_stats_signals,    R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},
    {M_GET,    "/v1/stats/answers",    h_stats_answers,    R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_CACHE | ROUTE_CACHE_SIGNALS, NULL},

    {M_GET,    "/activity/{occurrence_id}", h_activity,        R_PUBLIC,  ROUTE_DB | ROUTE_READ | ROUTE_READ_FEED, NULL},
    {M_GET,    "/hsds",                h_hsds_root,        R_PUBLIC,  0, NULL},
    {M_GET,    "/hsds/",               h_hsds_root,        R_PUBLIC,  0, NULL},
    {M_GET,    "/hsds/profile",        h_static,           R_PUBLIC,  0, NULL},
    {M_GET,    "/hsds/services",       h_hsds_services,    R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/services/{id}",  h_hsds_service,     R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/service_at_locations", h_hsds_service_at_locations, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/service_at_locations/{id}", h_hsds_service_at_location, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/organizations",  h_hsds_organizations, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/organizations/{id}", h_hsds_organization, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomies",     h_hsds_taxonomies,  R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomies/{id}", h_hsds_taxonomy,   R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomy_terms", h_hsds_taxonomy_terms, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},
    {M_GET,    "/hsds/taxonomy_terms/{id}", h_hsds_taxonomy_term, R_PUBLIC, ROUTE_DB | ROUTE_READ, NULL},

    {M_GET,    "/v1/keys",             h_keys_list,        R_ADMIN | R_READER, ROUTE_DB, NULL},
    {M_POST,   "/v1/keys",             h_keys_create,      R_ADMIN, ROUTE_DB, NULL},
    {M_GET,    "/v1/keys/{id}",        h_keys_get,         R_ADMIN | R_READER, ROUTE_DB, NULL},
    {M_GET,    "/v1/me",               h_me,               R_ANY_KEY, ROUTE_DB, NULL},
    {M_DELETE, "/v1/keys/{id}",        h_keys_delete,      R_ADMIN, ROUTE_DB, NULL},
    {M_POST,   "/v1/keys/{id}/rotate", h_keys_rotate,      R_ANY_KEY, ROUTE_DB, NULL},

    {M_GET,    "/v1/search/synonyms",  h_synonyms_list,    R_PUBLIC,  ROUTE_DB | ROUTE_READ, NULL},
    {M_POST,   "/v1/search/synonyms",  h_synonyms_create,  R_ADMIN,   ROUTE_DB, NULL},
    {M_DELETE, "/v1/search/synonyms/{id}", h_synonyms_delete, R_ADMIN, ROUTE_DB, NULL},

    {M_GET,    "/v1/audit",            h_audit_list,       R_ADMIN | R_COORDINATOR | R_READER, ROUTE_DB, NULL},

    {M_OTHER,  NULL,                   NULL,               R_PUBLIC,  0, NULL},
};
/* clang-format on */
_Static_assert(sizeof(stek_routes) / sizeof(stek_routes[0]) - 1 <= STEK_ROUTES_MAX,
               "the route table outgrew STEK_ROUTES_MAX (metrics.c sizes its arrays by it)");
