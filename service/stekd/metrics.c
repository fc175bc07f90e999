#include "stek/metrics.h"
#include "stek/listen.h"
#include "stek/feedmodel.h"
#include "stek/router.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 64
static const unsigned statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
                                    412, 413, 414, 415, 422, 429, 500, 503, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* Row MAX_ROUTES holds requests that matched no route. */
static atomic_ulong requests[MAX_ROUTES + 1][NSTATUS];
static atomic_ulong latency[MAX_ROUTES + 1][NBUCKETS + 1];
static atomic_ulong latency_sum_us[MAX_ROUTES + 1];
static atomic_ulong counters[M_COUNTER_COUNT];
static atomic_long pool_busy, pool_waiting, pool_size, connections, outbox_depth, outbox_oldest;

void
metric_pool_size(int n)
{
    atomic_store(&pool_size, n);
}

void
metric_outbox(long depth, long oldest_s)
{
    atomic_store(&outbox_depth, depth);
    atomic_store(&outbox_oldest, oldest_s);
}

void
metric_connections(int delta)
{
    atomic_fetch_add(&connections, delta);
}

void
metric_inc(enum metric_counter c)
{
    atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

void
metric_pool(int busy_delta, int waiting_delta)
{
    atomic_fetch_add(&pool_busy, busy_delta);
    atomic_fetch_add(&pool_waiting, waiting_delta);
}

void
metric_request(int route, unsigned status, double seconds)
{
    size_t row = route >= 0 && route < MAX_ROUTES ? (size_t)route : MAX_ROUTES;
    size_t s = 0, b = 0;

    while (statuses[s] != 0 && statuses[s] != status)
        s++;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&requests[row][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency[row][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us[row], (unsigned long)(seconds * 1e6),
                              memory_order_relaxed);
}

struct out {
    char *p;
    size_t len, cap;
};

static void add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void
add(struct out *o, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && o->len + (size_t)n < o->cap) {
            o->len += (size_t)n;
            return;
        }
        o->cap = o->cap * 2 + (size_t)n + 1;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL)
            abort();
    }
}

static void
route_labels(size_t row, char *out, size_t len)
{
    if (row == MAX_ROUTES)
        snprintf(out, len, "route=\"unmatched\",method=\"\"");
    else
        snprintf(out, len, "route=\"%s\",method=\"%s\"", stek_routes[row].pattern,
                 method_name(stek_routes[row].method));
}

char *
metrics_render(size_t *len)
{
    struct out o = {malloc(16384), 0, 16384};
    size_t nroutes = 0;
    char labels[160];
    static const char *const names[M_COUNTER_COUNT][2] = {
        {"stek_feed_cache_hits_total", "Feed answers served from the cache."},
        {"stek_feed_cache_misses_total", "Feed answers computed (not from the cache)."},
        {"stek_feed_model_answers_total",
         "Feed answers computed from the in-memory model, without the database."},
        {"stek_public_cache_hits_total",
         "Anonymous answers of public lists and statistics served from the cache."},
        {"stek_public_cache_misses_total",
         "Anonymous answers of public lists and statistics computed (then kept)."},
        {"stek_signals_accepted_total", "Signals stored."},
        {"stek_signals_replayed_total", "Signals answered again for a repeated Idempotency-Key."},
        {"stek_signals_refused_privacy_total", "Signals refused for personal data in a note."},
        {"stek_texts_refused_privacy_total",
         "Stored texts of any field refused for personal data."},
        {"stek_rate_limited_total", "Requests refused with 429."},
        {"stek_db_waits_total", "Requests that waited for a database worker."},
        {"stek_webhook_deliveries_delivered_total", "Webhook events delivered."},
        {"stek_webhook_deliveries_retried_total",
         "Webhook delivery attempts that failed and will be retried."},
        {"stek_webhook_deliveries_failed_total", "Webhook events given up on."},
        {"stek_http_connections_refused_total",
         "Connections closed at once because STEK_MAX_CONNECTIONS were open."},
    };

    if (o.p == NULL)
        abort();
    while (stek_routes[nroutes].pattern != NULL && nroutes < MAX_ROUTES)
        nroutes++;
    add(&o, "# HELP stek_http_requests_total HTTP requests by route, method and status.\n"
            "# TYPE stek_http_requests_total counter\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r >= nroutes && r != MAX_ROUTES)
            continue;
        route_labels(r, labels, sizeof(labels));
        for (size_t s = 0; s < NSTATUS; s++) {
            unsigned long v = atomic_load(&requests[r][s]);
            if (v == 0)
                continue;
            if (statuses[s] != 0)
                add(&o, "stek_http_requests_total{%s,status=\"%u\"} %lu\n", labels, statuses[s], v);
            else
                add(&o, "stek_http_requests_total{%s,status=\"other\"} %lu\n", labels, v);
        }
    }
    add(&o, "# HELP stek_http_request_duration_seconds Time from request to response.\n"
            "# TYPE stek_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r >= nroutes && r != MAX_ROUTES)
            continue;
        unsigned long cum = 0;
        route_labels(r, labels, sizeof(labels));
        for (size_t b = 0; b <= NBUCKETS; b++) {
            cum += atomic_load(&latency[r][b]);
            if (b < NBUCKETS)
                add(&o, "stek_http_request_duration_seconds_bucket{%s,le=\"%g\"} %lu\n", labels,
                    buckets[b], cum);
            else
                add(&o, "stek_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %lu\n", labels,
                    cum);
        }
        add(&o, "stek_http_request_duration_seconds_sum{%s} %.6f\n", labels,
            (double)atomic_load(&latency_sum_us[r]) / 1e6);
        add(&o, "stek_http_request_duration_seconds_count{%s} %lu\n", labels, cum);
    }
    for (int c = 0; c < M_COUNTER_COUNT; c++)
        add(&o, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", names[c][0], names[c][1], names[c][0],
            names[c][0], atomic_load(&counters[c]));
    add(&o,
        "# HELP stek_db_pool_busy Database workers busy with a request.\n"
        "# TYPE stek_db_pool_busy gauge\nstek_db_pool_busy %ld\n",
        atomic_load(&pool_busy));
    add(&o,
        "# HELP stek_db_pool_idle Database workers free for a request.\n"
        "# TYPE stek_db_pool_idle gauge\nstek_db_pool_idle %ld\n",
        atomic_load(&pool_size) - atomic_load(&pool_busy));
    add(&o,
        "# HELP stek_db_pool_waiting Requests waiting for a database worker.\n"
        "# TYPE stek_db_pool_waiting gauge\nstek_db_pool_waiting %ld\n",
        atomic_load(&pool_waiting));
    add(&o,
        "# HELP stek_http_connections_open Open HTTP connections.\n"
        "# TYPE stek_http_connections_open gauge\nstek_http_connections_open %ld\n",
        atomic_load(&connections));
    add(&o,
        "# HELP stek_webhook_outbox_pending Webhook events waiting for delivery.\n"
        "# TYPE stek_webhook_outbox_pending gauge\nstek_webhook_outbox_pending %ld\n"
        "# HELP stek_webhook_outbox_oldest_seconds Age of the oldest waiting webhook event.\n"
        "# TYPE stek_webhook_outbox_oldest_seconds gauge\nstek_webhook_outbox_oldest_seconds %ld\n",
        atomic_load(&outbox_depth), atomic_load(&outbox_oldest));
    struct feed_model_stats fm;
    feed_model_stats(&fm);
    add(&o,
        "# HELP stek_feed_model_offers Active offers in the feed's in-memory model.\n"
        "# TYPE stek_feed_model_offers gauge\nstek_feed_model_offers %zu\n"
        "# HELP stek_feed_model_schedules Schedules in the feed's in-memory model.\n"
        "# TYPE stek_feed_model_schedules gauge\nstek_feed_model_schedules %zu\n"
        "# HELP stek_feed_model_load_seconds Duration of the model's last full load.\n"
        "# TYPE stek_feed_model_load_seconds gauge\nstek_feed_model_load_seconds %.6f\n"
        "# HELP stek_feed_model_loads_total Full loads of the model (at start, after a gap the"
        " change log cannot bridge, once a day).\n"
        "# TYPE stek_feed_model_loads_total counter\nstek_feed_model_loads_total %llu\n"
        "# HELP stek_feed_model_replica_loads_total Full loads and change sets read from a read"
        " replica.\n"
        "# TYPE stek_feed_model_replica_loads_total counter\n"
        "stek_feed_model_replica_loads_total %llu\n",
        fm.offers, fm.schedules, fm.load_seconds, (unsigned long long)fm.loads,
        (unsigned long long)fm.replica_loads);
    add(&o,
        "# HELP stek_feed_model_changes_total Change sets applied to the model without a full"
        " load.\n"
        "# TYPE stek_feed_model_changes_total counter\nstek_feed_model_changes_total %llu\n"
        "# HELP stek_feed_model_changed_records_total Records read again for them.\n"
        "# TYPE stek_feed_model_changed_records_total counter\n"
        "stek_feed_model_changed_records_total %llu\n"
        "# HELP stek_feed_model_apply_seconds Time from noticing a change to publishing the"
        " version that holds it.\n"
        "# TYPE stek_feed_model_apply_seconds summary\n"
        "stek_feed_model_apply_seconds_sum %.6f\nstek_feed_model_apply_seconds_count %llu\n"
        "# HELP stek_feed_model_apply_seconds_max The longest of them since start.\n"
        "# TYPE stek_feed_model_apply_seconds_max gauge\nstek_feed_model_apply_seconds_max %.6f\n"
        "# HELP stek_feed_generation Changes to feed data this daemon has heard of (its own"
        " writes, notifications, reconnects).\n"
        "# TYPE stek_feed_generation counter\nstek_feed_generation %llu\n"
        "# HELP stek_feed_model_change_seq The last change log entry the model holds.\n"
        "# TYPE stek_feed_model_change_seq gauge\nstek_feed_model_change_seq %llu\n",
        (unsigned long long)fm.changes_applied, (unsigned long long)fm.entities_applied,
        fm.apply_seconds_sum, (unsigned long long)fm.changes_applied, fm.apply_seconds_max,
        (unsigned long long)feed_generation(), (unsigned long long)fm.change_seq);
    *len = o.len;
    return o.p;
}
