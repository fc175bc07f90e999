/* stekd configuration, read once from the environment at start. */
#ifndef STEK_CONFIG_H
#define STEK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stek_config {
    const char *database_url; /* borrowed from the environment */
    const char *bind;         /* STEK_BIND, default 127.0.0.1 */
    /* STEK_TRUSTED_PROXIES: peers (IPv4, comma-separated) whose X-Forwarded-For is believed */
    const char *trusted_proxies;
    /* STEK_METRICS_ALLOW: addresses and IPv4 networks that may read /metrics (default loopback) */
    const char *metrics_allow;
    /* STEK_PUBLIC_URL: the address residents reach the service at (QR codes); NULL: from Host */
    const char *public_url;
    /* STEK_WEBHOOK_ALLOW: hosts, addresses and IPv4 networks webhooks may reach although private
     * (and over http); default none */
    const char *webhook_allow;
    /* STEK_CALENDAR_ALLOW: the same syntax, for the calendars partners connect */
    const char *calendar_allow;
    /* STEK_CALENDAR_CA_FILE: a PEM file of certificates to trust for calendars; NULL: none */
    const char *calendar_ca_file;
    /* STEK_TIMEZONE: the service's own timezone (IANA name): its "today", new sites' default */
    const char *timezone;
    /* STEK_UITDATABANK_URL: UiTdatabank's Entry API the export's ids point into (default
     * https://io.uitdatabank.be; https://io-test.uitdatabank.be to try things out) */
    const char *uitdatabank_url;
    unsigned port;                 /* STEK_PORT, default 8080 */
    unsigned http_threads;         /* STEK_HTTP_THREADS: libmicrohttpd's I/O threads */
    unsigned db_workers;           /* STEK_DB_CONNECTIONS: workers, one connection each */
    unsigned max_connections;      /* STEK_MAX_CONNECTIONS */
    unsigned conn_timeout_s;       /* STEK_CONNECTION_TIMEOUT: idle seconds before close */
    size_t conn_memory;            /* STEK_CONNECTION_MEMORY: bytes per connection for headers */
    size_t body_limit;             /* STEK_BODY_LIMIT: bytes, larger bodies get 413 */
    size_t url_limit;              /* STEK_URL_LIMIT: bytes, longer URIs get 414 */
    unsigned queue_limit;          /* STEK_QUEUE_LIMIT: requests waiting for a worker */
    unsigned statement_timeout_ms; /* STEK_STATEMENT_TIMEOUT_MS */
    unsigned shutdown_grace_s;     /* STEK_SHUTDOWN_GRACE: seconds to finish in-flight work */
    unsigned stats_k;              /* STEK_STATS_K: smallest published count (never below 3) */
    /* STEK_NOTE_RETENTION_MONTHS: signal notes are erased after this many months */
    unsigned note_retention_months;
    /* STEK_AUTH_FAILURES: failed authentications one client address may make a minute */
    unsigned auth_failures;
    /* STEK_WRITES_PER_MINUTE: writes one key may make a minute (0: no limit) */
    unsigned writes_per_minute;
    /* STEK_KEY_MAX_DAYS_ADMIN, STEK_KEY_MAX_DAYS: longest key lifetimes (admin, others) */
    unsigned key_max_days_admin;
    unsigned key_max_days;
    /* STEK_KEY_ROTATION_GRACE_HOURS: how long a rotated key's old token keeps working */
    unsigned key_rotation_grace_h;
    /* STEK_CONFIRM_DAYS: an offer not confirmed for this many days is stale;
     * STEK_STALE_GRACE_DAYS: and this many days later it leaves what the public sees */
    unsigned confirm_days;
    unsigned stale_grace_days;
    /* STEK_CALENDAR_SYNC_MINUTES: how often each partner's calendar is synchronised */
    unsigned calendar_sync_minutes;
    /* STEK_HANDOFF_GUESSES: failed handoff-code lookups one key may make a minute */
    unsigned handoff_guesses;
    /* STEK_WATCHDOG_STALL: seconds all workers may be busy with one request each (watchdog) */
    unsigned watchdog_stall_s;
    /* STEK_WEBHOOK_RETRY_MS: the first retry of a webhook delivery; each next one doubles */
    unsigned webhook_retry_ms;
    /* STEK_FEED_MODEL: 1 to answer the feed from the in-memory model (feedmodel.h), following
     * changes; 2 the same, loading it whole after each change; 0 from the database */
    unsigned feed_model;
    /* STEK_SECRET_KEY_FILE: the key ring that seals secrets at rest (secrets.h); NULL: none */
    const char *secret_key_file;
    /* STEK_READ_URLS: read replicas (postgresql:// URIs separated by spaces); NULL: none */
    const char *read_urls;
    /* STEK_MAX_REPLICA_LAG: seconds a replica may lag before it leaves the rotation */
    unsigned max_replica_lag_s;
};

/*
 * Fills cfg from the environment. On an invalid value, writes a message
 * naming the variable into err and returns false.
 */
bool config_from_env(struct stek_config *cfg, char *err, size_t errlen);

/* True when addr is one of STEK_TRUSTED_PROXIES. */
bool config_trusted_proxy(const struct stek_config *cfg, const char *addr);

/* True when host (a name or an address) is in STEK_WEBHOOK_ALLOW, or addr in one of its
 * networks (addr may be NULL). */
bool config_host_allowed(const char *list, const char *host, const char *addr);

/* True when addr (the client, after trusted proxies) may read /metrics. */
bool config_metrics_allowed(const struct stek_config *cfg, const char *addr);

/* Fills cfg with every default (DATABASE_URL stays NULL). */
void config_defaults(struct stek_config *cfg);

/*
 * The configuration the daemon runs with: what config_use set, and until then
 * (unit tests, fuzzers) the defaults. Never NULL.
 */
const struct stek_config *stek_config(void);

/* Makes cfg (which must outlive its use) the configuration stek_config returns. */
void config_use(const struct stek_config *cfg);

/* Prints the variables, their defaults and meaning (for --help). */
void config_usage(void);

/*
 * Whether an offer is stale or quiet (issue 33), by days: on the service day today, an offer
 * last confirmed before offer_stale_before(today) (seconds since 1970: midnight UTC of the day
 * STEK_CONFIRM_DAYS before) is stale; before offer_quiet_before(today) (STEK_STALE_GRACE_DAYS
 * more) it is quiet: left out of the feed, the pages and HSDS until it is confirmed. The same
 * boundaries all day, for the database and the in-memory model alike.
 */
int64_t offer_stale_before(int32_t today);
int64_t offer_quiet_before(int32_t today);

#endif
