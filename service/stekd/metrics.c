#include "stek/metrics.h"
#include "stek/keystore.h"
#include "stek/listen.h"
#include "stek/feedmodel.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/router.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows by route index; row MAX_ROUTES counts requests that matched no route. */
#define MAX_ROUTES STEK_ROUTES_MAX
static const unsigned statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
                                    412, 413, 414, 415, 422, 429, 500, 503, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

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

/* The metrics of metrics.def after the per-route ones, in its order. */
enum metric_id {
#define COUNTER(id, name, help) X_##id,
#define GAUGE(id, name, help) X_##id,
#define TOTAL(id, name, help) X_##id,
#define SUMMARY(id, name, help) X_##id,
#include "stek/metrics.def"
#undef COUNTER
#undef GAUGE
#undef TOTAL
#undef SUMMARY
    X_COUNT
};

enum metric_kind { K_COUNTER, K_GAUGE, K_TOTAL, K_SUMMARY };

static const struct metric_def {
    enum metric_kind kind;
    int counter; /* M_* for K_COUNTER, else -1 */
    const char *name, *help;
} metric_defs[X_COUNT] = {
#define COUNTER(id, name, help) [X_##id] = {K_COUNTER, M_##id, #name, help},
#define GAUGE(id, name, help) [X_##id] = {K_GAUGE, -1, #name, help},
#define TOTAL(id, name, help) [X_##id] = {K_TOTAL, -1, #name, help},
#define SUMMARY(id, name, help) [X_##id] = {K_SUMMARY, -1, #name, help},
#include "stek/metrics.def"
#undef COUNTER
#undef GAUGE
#undef TOTAL
#undef SUMMARY
};

/* A gauge's, total's or summary's sum (*count for a summary), read now. */
static atomic_long calendars_failing;

void
metric_calendars_failing(long n)
{
    atomic_store(&calendars_failing, n);
}

static double
value_of(enum metric_id id, const struct feed_model_stats *fm, double *count)
{
    switch (id) {
    case X_DB_POOL_BUSY:
        return (double)atomic_load(&pool_busy);
    case X_DB_POOL_IDLE:
        return (double)(atomic_load(&pool_size) - atomic_load(&pool_busy));
    case X_DB_POOL_WAITING:
        return (double)atomic_load(&pool_waiting);
    case X_HTTP_CONNECTIONS_OPEN:
        return (double)atomic_load(&connections);
    case X_WEBHOOK_OUTBOX_PENDING:
        return (double)atomic_load(&outbox_depth);
    case X_WEBHOOK_OUTBOX_OLDEST:
        return (double)atomic_load(&outbox_oldest);
    case X_KEYS_EXPIRING:
        return (double)keys_ending_within((int64_t)time(NULL), 14 * 86400);
    case X_CALENDARS_FAILING:
        return (double)atomic_load(&calendars_failing);
    case X_OFFERS_STALE:
    case X_OFFERS_STALE_SHARE: {
        struct feed_model *m = feed_model_acquire(0, 0);
        size_t stale = feed_model_confirmed_before(m, offer_stale_before(service_today()));
        size_t all = m != NULL ? m->active_offers : 0;
        feed_model_release(m);
        return id == X_OFFERS_STALE ? (double)stale : all ? (double)stale / (double)all : 0.0;
    }
    case X_FEED_MODEL_OFFERS:
        return (double)fm->offers;
    case X_FEED_MODEL_SCHEDULES:
        return (double)fm->schedules;
    case X_FEED_MODEL_LOAD_SECONDS:
        return fm->load_seconds;
    case X_FEED_MODEL_LOADS:
        return (double)fm->loads;
    case X_FEED_MODEL_REPLICA_LOADS:
        return (double)fm->replica_loads;
    case X_FEED_MODEL_CHANGES:
        return (double)fm->changes_applied;
    case X_FEED_MODEL_CHANGED_RECORDS:
        return (double)fm->entities_applied;
    case X_FEED_MODEL_APPLY:
        *count = (double)fm->changes_applied;
        return fm->apply_seconds_sum;
    case X_FEED_MODEL_APPLY_MAX:
        return fm->apply_seconds_max;
    case X_FEED_GENERATION:
        return (double)feed_generation();
    case X_FEED_MODEL_CHANGE_SEQ:
        return (double)fm->change_seq;
    default:
        return 0; /* counters are read from their array */
    }
}

/* The request counts and latency histograms by route, method and status. */
static void
render_routes(struct out *o)
{
    size_t nroutes = 0;
    char labels[160];

    while (stek_routes[nroutes].pattern != NULL)
        nroutes++;
    add(o, "# HELP stek_http_requests_total HTTP requests by route, method and status.\n"
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
                add(o, "stek_http_requests_total{%s,status=\"%u\"} %lu\n", labels, statuses[s], v);
            else
                add(o, "stek_http_requests_total{%s,status=\"other\"} %lu\n", labels, v);
        }
    }
    add(o, "# HELP stek_http_request_duration_seconds Time from request to response.\n"
           "# TYPE stek_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r >= nroutes && r != MAX_ROUTES)
            continue;
        unsigned long cum = 0;
        route_labels(r, labels, sizeof(labels));
        for (size_t b = 0; b <= NBUCKETS; b++) {
            cum += atomic_load(&latency[r][b]);
            if (b < NBUCKETS)
                add(o, "stek_http_request_duration_seconds_bucket{%s,le=\"%g\"} %lu\n", labels,
                    buckets[b], cum);
            else
                add(o, "stek_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %lu\n", labels,
                    cum);
        }
        add(o, "stek_http_request_duration_seconds_sum{%s} %.6f\n", labels,
            (double)atomic_load(&latency_sum_us[r]) / 1e6);
        add(o, "stek_http_request_duration_seconds_count{%s} %lu\n", labels, cum);
    }
}

char *
metrics_render(size_t *len)
{
    static const char *const types[] = {[K_COUNTER] = "counter",
                                        [K_GAUGE] = "gauge",
                                        [K_TOTAL] = "counter",
                                        [K_SUMMARY] = "summary"};
    struct out o = {malloc(16384), 0, 16384};
    struct feed_model_stats fm;

    if (o.p == NULL)
        abort();
    render_routes(&o);
    feed_model_stats(&fm);
    for (int i = 0; i < X_COUNT; i++) {
        const struct metric_def *d = &metric_defs[i];
        double count = 0, v = d->kind == K_COUNTER ? (double)atomic_load(&counters[d->counter])
                                                   : value_of((enum metric_id)i, &fm, &count);
        add(&o, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name, types[d->kind]);
        if (d->kind == K_SUMMARY)
            add(&o, "%s_sum %.6f\n%s_count %.0f\n", d->name, v, d->name, count);
        else if (v == (double)(long long)v) /* a count: every digit */
            add(&o, "%s %lld\n", d->name, (long long)v);
        else
            add(&o, "%s %.9g\n", d->name, v);
    }
    *len = o.len;
    return o.p;
}
