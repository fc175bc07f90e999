/*
 * Prometheus metrics (service/stekd/metrics.c): lock-free counters updated by
 * every thread, rendered as text at /metrics.
 */
#ifndef STEK_METRICS_H
#define STEK_METRICS_H

#include <stddef.h>

/* The event counters of metrics.def: M_FEED_CACHE_HIT, ... */
enum metric_counter {
#define COUNTER(id, name, help) M_##id,
#define GAUGE(id, name, help)
#define TOTAL(id, name, help)
#define SUMMARY(id, name, help)
#include "stek/metrics.def"
#undef COUNTER
#undef GAUGE
#undef TOTAL
#undef SUMMARY
    M_COUNTER_COUNT
};

/* Counts one event. */
void metric_inc(enum metric_counter c);

/* One finished request: its route (index in stek_routes, or -1), status and duration. */
void metric_request(int route, unsigned status, double seconds);

/* The database pool: workers busy with a request, and requests waiting for one. */
void metric_pool(int busy_delta, int waiting_delta);

/* The number of database workers. */
void metric_pool_size(int n);
/* The webhook outbox: events waiting, and the age of the oldest (gauges). */
void metric_outbox(long depth, long oldest_s);

/* Open HTTP connections (a gauge). */
void metric_connections(int delta);

/* Renders every metric; a malloc'd string. */
char *metrics_render(size_t *len);

/* The partners' calendars failing for 3 days (the calendar job counts them each minute). */
void metric_calendars_failing(long n);

#endif
