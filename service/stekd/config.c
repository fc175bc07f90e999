#include "stek/config.h"
#include "stek/clock.h"
#include "stek/tz.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    unsigned long dflt, min, max;
    size_t offset;
    bool is_size;
    const char *help;
} numbers[] = {
    {"STEK_PORT", 8080, 1, 65535, offsetof(struct stek_config, port), false, "TCP port"},
    {"STEK_HTTP_THREADS", 2, 1, 64, offsetof(struct stek_config, http_threads), false,
     "HTTP I/O threads (libmicrohttpd thread pool)"},
    {"STEK_DB_CONNECTIONS", 8, 1, 256, offsetof(struct stek_config, db_workers), false,
     "database workers, each with its own connection"},
    {"STEK_MAX_CONNECTIONS", 4096, 4, 100000, offsetof(struct stek_config, max_connections), false,
     "open HTTP connections at most"},
    {"STEK_CONNECTION_TIMEOUT", 30, 1, 3600, offsetof(struct stek_config, conn_timeout_s), false,
     "seconds an idle or stalled connection is kept"},
    {"STEK_CONNECTION_MEMORY", 16384, 8192, 1048576, offsetof(struct stek_config, conn_memory),
     true, "bytes per connection for the request line and headers"},
    {"STEK_BODY_LIMIT", 1048576, 1024, 67108864, offsetof(struct stek_config, body_limit), true,
     "largest request body in bytes (larger: 413)"},
    {"STEK_URL_LIMIT", 8192, 256, 65536, offsetof(struct stek_config, url_limit), true,
     "longest request URI in bytes (longer: 414)"},
    {"STEK_QUEUE_LIMIT", 512, 1, 100000, offsetof(struct stek_config, queue_limit), false,
     "requests waiting for a database worker at most (more: 503)"},
    {"STEK_STATEMENT_TIMEOUT_MS", 5000, 100, 600000,
     offsetof(struct stek_config, statement_timeout_ms), false,
     "longest time one SQL statement may run"},
    {"STEK_SHUTDOWN_GRACE", 10, 0, 300, offsetof(struct stek_config, shutdown_grace_s), false,
     "seconds in-flight requests get to finish on SIGTERM"},
    {"STEK_STATS_K", 5, 3, 1000, offsetof(struct stek_config, stats_k), false,
     "published signal counts below this are suppressed"},
    {"STEK_NOTE_RETENTION_MONTHS", 24, 1, 120, offsetof(struct stek_config, note_retention_months),
     false, "months after which signal notes are erased (counts stay)"},
    {"STEK_AUTH_FAILURES", 30, 1, 100000, offsetof(struct stek_config, auth_failures), false,
     "failed authentications one client address may make per minute (then 429)"},
    {"STEK_WRITES_PER_MINUTE", 600, 0, 10000000, offsetof(struct stek_config, writes_per_minute),
     false, "writes one API key may make per minute, 0 for no limit (then 429)"},
    {"STEK_KEY_MAX_DAYS_ADMIN", 90, 1, 3650, offsetof(struct stek_config, key_max_days_admin),
     false, "longest lifetime of an admin key in days (a key made without expires_at gets it)"},
    {"STEK_KEY_MAX_DAYS", 365, 1, 3650, offsetof(struct stek_config, key_max_days), false,
     "longest lifetime of any other key in days (a key made without expires_at gets it)"},
    {"STEK_KEY_ROTATION_GRACE_HOURS", 24, 0, 720,
     offsetof(struct stek_config, key_rotation_grace_h), false,
     "hours a rotated key's old token keeps working unless the rotation asks otherwise"},
    {"STEK_CONFIRM_DAYS", 120, 7, 3650, offsetof(struct stek_config, confirm_days), false,
     "days after which an offer nobody confirmed (edit, calendar sync, POST .../confirm) is"
     " stale"},
    {"STEK_STALE_GRACE_DAYS", 14, 0, 365, offsetof(struct stek_config, stale_grace_days), false,
     "days a stale offer stays public before it leaves the feed, the pages and HSDS"},
    {"STEK_CALENDAR_SYNC_MINUTES", 30, 1, 1440, offsetof(struct stek_config, calendar_sync_minutes),
     false, "minutes between two syncs of a partner's calendar"},
    {"STEK_WATCHDOG_STALL", 3, 1, 3600, offsetof(struct stek_config, watchdog_stall_s), false,
     "seconds every database worker may be busy with one request before the systemd watchdog"
     " stops pinging (keep it below the statement timeout)"},
    {"STEK_WEBHOOK_RETRY_MS", 10000, 50, 3600000, offsetof(struct stek_config, webhook_retry_ms),
     false, "first retry of a failed webhook delivery in ms (doubles each time, at most 1 h)"},
    {"STEK_FEED_MODEL", 1, 0, 2, offsetof(struct stek_config, feed_model), false,
     "1: answer feed queries from the feed's data held in memory, following each change as it"
     " comes (only the records it names are read again); 2: the same, but reading everything"
     " again after each change (slow while data changes: for comparison); 0: ask the database"
     " for each"},
    {"STEK_HANDOFF_GUESSES", 10, 1, 1000, offsetof(struct stek_config, handoff_guesses), false,
     "failed handoff-code lookups one key may make per minute (more: 429)"},
    {"STEK_MAX_REPLICA_LAG", 5, 1, 3600, offsetof(struct stek_config, max_replica_lag_s), false,
     "seconds a read replica may lag behind the primary before it leaves the rotation"},
};

static const struct stek_config *current;
static struct stek_config defaults;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void
make_defaults(void)
{
    config_defaults(&defaults);
}

const struct stek_config *
stek_config(void)
{
    if (current != NULL)
        return current;
    pthread_once(&defaults_once, make_defaults);
    return &defaults;
}

void
config_use(const struct stek_config *cfg)
{
    current = cfg;
    service_set_timezone(cfg->timezone);
}

/*
 * Walks a comma-separated list of IPv4 addresses: false if one is not an
 * address, or (with match) true as soon as one equals match.
 */
static bool
proxy_list_each(const char *list, const char *match)
{
    for (const char *p = list; *p != '\0'; p += *p == ',') {
        size_t n = strcspn(p, ",");
        char one[INET_ADDRSTRLEN];
        struct in_addr a;

        if (n >= sizeof(one))
            return false;
        memcpy(one, p, n);
        one[n] = '\0';
        p += n;
        if (inet_pton(AF_INET, one, &a) != 1)
            return false;
        if (match != NULL && strcmp(one, match) == 0)
            return true;
    }
    return match == NULL;
}

bool
config_trusted_proxy(const struct stek_config *cfg, const char *addr)
{
    return cfg->trusted_proxies[0] != '\0' && proxy_list_each(cfg->trusted_proxies, addr);
}

/*
 * Walks STEK_METRICS_ALLOW: IPv4 addresses, IPv4 networks (a.b.c.d/n) and
 * IPv6 addresses, comma-separated. False if an entry is malformed, or (with
 * match) true as soon as match is in one.
 */
static bool
allow_list_each(const char *list, const char *match)
{
    struct in_addr m4;
    unsigned char m6[16], a6[16];
    bool is4 = match != NULL && inet_pton(AF_INET, match, &m4) == 1;
    bool is6 = match != NULL && !is4 && inet_pton(AF_INET6, match, m6) == 1;

    for (const char *p = list; *p != '\0'; p += *p == ',') {
        size_t n = strcspn(p, ",");
        char one[INET6_ADDRSTRLEN + 4], *slash;
        struct in_addr a;
        long bits = 32;

        if (n == 0 || n >= sizeof(one))
            return false;
        memcpy(one, p, n);
        one[n] = '\0';
        p += n;
        if ((slash = strchr(one, '/')) != NULL) {
            char *end;
            *slash = '\0';
            bits = strtol(slash + 1, &end, 10);
            if (*end != '\0' || end == slash + 1 || bits < 0 || bits > 32)
                return false;
        }
        if (inet_pton(AF_INET, one, &a) == 1) {
            uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
            if (is4 && (ntohl(a.s_addr) & mask) == (ntohl(m4.s_addr) & mask))
                return true;
        } else if (slash == NULL && inet_pton(AF_INET6, one, a6) == 1) {
            if (is6 && memcmp(a6, m6, sizeof(a6)) == 0)
                return true;
        } else {
            return false;
        }
    }
    return match == NULL;
}

bool
config_host_allowed(const char *list, const char *host, const char *addr)
{
    for (const char *p = list; p != NULL && *p != '\0'; p += *p == ',') {
        size_t n = strcspn(p, ",");
        if (strlen(host) == n && strncasecmp(p, host, n) == 0)
            return true;
        p += n;
    }
    /* Addresses and networks: the same rules as STEK_METRICS_ALLOW (names there are skipped). */
    if (addr == NULL || list == NULL || *list == '\0')
        return false;
    char one[INET6_ADDRSTRLEN + 4];
    for (const char *p = list; *p != '\0'; p += *p == ',') {
        size_t n = strcspn(p, ",");
        if (n < sizeof(one)) {
            memcpy(one, p, n);
            one[n] = '\0';
            if (allow_list_each(one, NULL) && allow_list_each(one, addr))
                return true;
        }
        p += n;
    }
    return false;
}

bool
config_metrics_allowed(const struct stek_config *cfg, const char *addr)
{
    return addr != NULL && *addr != '\0' && allow_list_each(cfg->metrics_allow, addr);
}

void
config_usage(void)
{
    printf("environment:\n"
           "  DATABASE_URL                 libpq URI or conninfo string (required)\n"
           "  STEK_BIND                    address to listen on (default 127.0.0.1)\n"
           "  STEK_TRUSTED_PROXIES         proxies whose X-Forwarded-For names the client\n"
           "  STEK_PUBLIC_URL              public address for QR codes (default: http:// + Host)\n"
           "  STEK_WEBHOOK_ALLOW           hosts, addresses, networks webhooks may reach although\n"
           "                               private, also over http (default none)\n"
           "  STEK_CALENDAR_ALLOW          the same for partners' calendars (default none)\n"
           "  STEK_CALENDAR_CA_FILE        certificates (PEM) calendars' servers are checked\n"
           "                               against instead of the system's (a private CA)\n"
           "  STEK_METRICS_ALLOW           addresses and networks that may read /metrics\n"
           "                               (default 127.0.0.0/8,::1)\n"
           "  STEK_TIMEZONE                the service's timezone: its today, new sites' default\n"
           "                               (default Europe/Brussels)\n"
           "  STEK_UITDATABANK_URL         UiTdatabank's Entry API the export's ids point into\n"
           "                               (default https://io.uitdatabank.be)\n"
           "  STEK_READ_URLS               read replicas for public reads (postgresql:// URIs\n"
           "                               separated by spaces; default none)\n"
           "  STEK_SECRET_KEY_FILE         owner-only file of keys that seal webhook secrets at\n"
           "                               rest (default none: stored as they are)\n");
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        printf("  %-28s %s (default %lu)\n", numbers[i].name, numbers[i].help, numbers[i].dflt);
}

static void
set_number(struct stek_config *cfg, size_t i, unsigned long val)
{
    char *field = (char *)cfg + numbers[i].offset;
    if (numbers[i].is_size)
        *(size_t *)(void *)field = val;
    else
        *(unsigned *)(void *)field = (unsigned)val;
}

void
config_defaults(struct stek_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bind = "127.0.0.1";
    cfg->trusted_proxies = "";
    cfg->webhook_allow = "";
    cfg->metrics_allow = "127.0.0.0/8,::1";
    cfg->timezone = "Europe/Brussels";
    cfg->uitdatabank_url = "https://io.uitdatabank.be";
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        set_number(cfg, i, numbers[i].dflt);
}

/* A string variable: its value, or the default when unset or empty (empty_ok: when unset). */
static const char *
env_or(const char *name, const char *dflt, bool empty_ok)
{
    const char *v = getenv(name);
    return v == NULL || (*v == '\0' && !empty_ok) ? dflt : v;
}

/* The numeric variables of the table numbers (each within its bounds). */
static bool
read_numbers(struct stek_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const char *v = getenv(numbers[i].name);
        unsigned long val = numbers[i].dflt;
        if (v != NULL && *v != '\0') {
            char *end;
            errno = 0;
            val = strtoul(v, &end, 10);
            if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 || val < numbers[i].min ||
                val > numbers[i].max) {
                snprintf(err, errlen, "%s must be a whole number from %lu to %lu, not '%s'",
                         numbers[i].name, numbers[i].min, numbers[i].max, v);
                return false;
            }
        }
        set_number(cfg, i, val);
    }
    return true;
}

bool
config_from_env(struct stek_config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    cfg->database_url = getenv("DATABASE_URL");
    if (cfg->database_url == NULL || *cfg->database_url == '\0') {
        snprintf(err, errlen,
                 "DATABASE_URL is not set; set it to a libpq URI such as "
                 "postgresql://stek@localhost:5432/stek");
        return false;
    }
    cfg->bind = env_or("STEK_BIND", cfg->bind, false);
    cfg->trusted_proxies = env_or("STEK_TRUSTED_PROXIES", cfg->trusted_proxies, true);
    if (!proxy_list_each(cfg->trusted_proxies, NULL)) {
        snprintf(err, errlen,
                 "STEK_TRUSTED_PROXIES must be IPv4 addresses separated by commas, not '%s'",
                 cfg->trusted_proxies);
        return false;
    }
    cfg->public_url = getenv("STEK_PUBLIC_URL");
    if (cfg->public_url != NULL && *cfg->public_url != '\0' &&
        (strncmp(cfg->public_url, "https://", 8) != 0 &&
         strncmp(cfg->public_url, "http://", 7) != 0)) {
        snprintf(err, errlen, "STEK_PUBLIC_URL must start with https:// or http://, not '%s'",
                 cfg->public_url);
        return false;
    }
    cfg->secret_key_file = env_or("STEK_SECRET_KEY_FILE", NULL, false);
    cfg->read_urls = env_or("STEK_READ_URLS", NULL, false);
    for (const char *u = cfg->read_urls; u != NULL && *u != '\0';) {
        size_t len = strcspn(u, " \t\n");
        if (len > 0 && strncmp(u, "postgresql://", 13) != 0 && strncmp(u, "postgres://", 11) != 0) {
            snprintf(err, errlen,
                     "STEK_READ_URLS must be postgresql:// URIs separated by spaces, not '%.*s'",
                     (int)len, u);
            return false;
        }
        u += len + (u[len] != '\0');
    }
    cfg->uitdatabank_url = env_or("STEK_UITDATABANK_URL", cfg->uitdatabank_url, false);
    if (strncmp(cfg->uitdatabank_url, "https://", 8) != 0 || strlen(cfg->uitdatabank_url) > 200 ||
        strcspn(cfg->uitdatabank_url, " \"\\<>") != strlen(cfg->uitdatabank_url)) {
        snprintf(err, errlen,
                 "STEK_UITDATABANK_URL must be an https:// address of at most 200 bytes, not '%s'",
                 cfg->uitdatabank_url);
        return false;
    }
    cfg->webhook_allow = env_or("STEK_WEBHOOK_ALLOW", cfg->webhook_allow, true);
    cfg->calendar_allow = env_or("STEK_CALENDAR_ALLOW", "", true);
    cfg->calendar_ca_file = env_or("STEK_CALENDAR_CA_FILE", NULL, false);
    cfg->metrics_allow = env_or("STEK_METRICS_ALLOW", cfg->metrics_allow, false);
    cfg->timezone = env_or("STEK_TIMEZONE", cfg->timezone, false);
    if (!allow_list_each(cfg->metrics_allow, NULL)) {
        snprintf(err, errlen,
                 "STEK_METRICS_ALLOW must be addresses or IPv4 networks (10.0.0.0/8) separated"
                 " by commas, not '%s'",
                 cfg->metrics_allow);
        return false;
    }
    if (!read_numbers(cfg, err, errlen))
        return false;
    struct tz *zone = tz_load(cfg->timezone);
    if (zone == NULL) {
        snprintf(err, errlen,
                 "STEK_TIMEZONE must be an IANA timezone such as Europe/Brussels, not '%s'",
                 cfg->timezone);
        return false;
    }
    tz_free(zone);
    return true;
}

int64_t
offer_stale_before(int32_t today)
{
    return ((int64_t)today - stek_config()->confirm_days) * 86400;
}

int64_t
offer_quiet_before(int32_t today)
{
    const struct stek_config *c = stek_config();
    return ((int64_t)today - c->confirm_days - c->stale_grace_days) * 86400;
}
