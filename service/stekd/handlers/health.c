/* Liveness, readiness and the API description. */
#include "stek/embedded.h"
#include "stek/handlers.h"
#include "stek/config.h"
#include "stek/metrics.h"
#include "stek/replicas.h"

#include <string.h>

static const char ok_body[] = "{\"status\":\"ok\"}";
static const char ready_body[] = "{\"status\":\"ready\"}";

void
h_healthz(struct request *r)
{
    reply_static(r, 200, ok_body, sizeof(ok_body) - 1, "application/json");
}

void
h_readyz(struct request *r)
{
    char missing[512], ahead[128];
    int n = db_schema_missing(r->db, missing, sizeof(missing), ahead, sizeof(ahead));

    if (n < 0) {
        reply_db_error(r);
        return;
    }
    if (n > 0) {
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL,
                      "the database schema is behind; missing migrations: %s", missing);
        return;
    }
    if (ahead[0] != '\0') {
        reply_problem(r, ERR_DB_UNAVAILABLE, NULL,
                      "the database schema is ahead of this daemon: %s is not marked compatible",
                      ahead);
        return;
    }
    if (replicas_count() == 0) {
        reply_static(r, 200, ready_body, sizeof(ready_body) - 1, "application/json");
        return;
    }
    /* With replicas: reads go on while the primary is away; the status says so. */
    json_t *body = replicas_status();
    json_object_set_new(body, "status", json_string(primary_available() ? "ready" : "read_only"));
    reply_json_steal(r, 200, body);
}

void
h_openapi(struct request *r)
{
    if (req_if_none_match(r, stek_openapi_etag)) {
        reply_empty(r, 304);
    } else {
        reply_static(r, 200, stek_openapi_json, stek_openapi_json_len, "application/json");
    }
    reply_header(r, "ETag", stek_openapi_etag);
    reply_header(r, "Cache-Control", "public, max-age=300");
}

/*
 * /metrics counts signal posts and arrivals as they happen, below any k: it is
 * served only to STEK_METRICS_ALLOW (loopback by default), and never through a
 * proxy that is not trusted to name the client (the client is unknown then).
 */
void
h_metrics(struct request *r)
{
    size_t len;

    if (r->proxied_unknown || !config_metrics_allowed(stek_config(), r->client)) {
        reply_problem(r, ERR_FORBIDDEN, NULL,
                      "metrics are served only to the addresses in STEK_METRICS_ALLOW");
        return;
    }
    char *text = metrics_render(&len);
    reply_raw_steal(r, 200, text, len, "text/plain; version=0.0.4; charset=utf-8");
}
