/*
 * stekd: the stek API daemon. Reads its configuration from the environment,
 * refuses to start against a schema that is behind, serves until SIGTERM or
 * SIGINT, then stops gracefully.
 */
#include "stek/cache.h"
#include "stek/config.h"
#include "stek/ratelimit.h"
#include "stek/replicas.h"
#include "stek/ids.h"
#include "stek/tz.h"
#include "stek/token.h"
#include "stek/date.h"
#include "stek/feedmodel.h"
#include "stek/listen.h"
#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/handlers.h"
#include "stek/log.h"
#include "stek/maintenance.h"
#include "stek/calendarjob.h"
#include "stek/notify.h"
#include "stek/watchdog.h"
#include "stek/webhook.h"
#include "stek/privacy.h"
#include "stek/server.h"
#include "stek/version.h"

#include "stek/rrule.h"

#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *out)
{
    fprintf(out, "usage: stekd [--help | --version]\n"
                 "       stekd create-admin-key NAME\n"
                 "       stekd purge [--as-of YYYY-MM-DD]\n"
                 "       stekd scan-texts\n"
                 "       stekd new-secret-key\n"
                 "       stekd reseal-secrets\n"
                 "\n"
                 "Serves the stek API. create-admin-key creates an admin API key and prints\n"
                 "its token alone on one line (it is shown only this once).\n"
                 "purge erases signal notes older than STEK_NOTE_RETENTION_MONTHS and\n"
                 "idempotency keys older than 8 days (the daemon also does it hourly);\n"
                 "--as-of runs it as if it were that day.\n"
                 "scan-texts reads every stored free text with the privacy guard and lists\n"
                 "those it refuses today (entity, id, field, kind; never the text), so that an\n"
                 "administrator can clean them; exit 0 when none, 3 when some.\n"
                 "new-secret-key prints a new key for STEK_SECRET_KEY_FILE (64 hex digits).\n"
                 "reseal-secrets seals every stored secret under the key file's first key\n"
                 "(plain ones, and those of the older keys below it, which can then go).\n\n");
    if (out == stdout)
        config_usage();
}

/* Connects once and checks the schema; prints why and returns NULL when unusable. */
static struct db_conn *
open_checked(const struct stek_config *cfg)
{
    struct db_conn *db = db_conn_new(cfg->database_url, "stekd", (int)cfg->statement_timeout_ms);
    char missing[1024], ahead[128];
    int n;

    if (!db_conn_ensure(db)) {
        fprintf(stderr, "stekd: cannot use the database: %s\n", db_conn_error(db));
        if (strcmp(db_conn_error(db), "cannot prepare statements") == 0)
            fprintf(stderr, "stekd: is the schema migrated? run: build/stek-migrate up\n");
        db_conn_free(db);
        return NULL;
    }
    n = db_schema_missing(db, missing, sizeof(missing), ahead, sizeof(ahead));
    if (n == 0 && ahead[0] != '\0') {
        fprintf(stderr,
                "stekd: the database schema is ahead of this build: %s is not marked compatible"
                " (-- stek:compatible); run the release that brought it (README \"Upgrading\")\n",
                ahead);
        db_conn_free(db);
        return NULL;
    }
    if (n != 0) {
        if (n < 0)
            fprintf(stderr, "stekd: cannot read schema_migrations: %s\n", db_conn_error(db));
        else
            fprintf(stderr,
                    "stekd: the database schema is behind this build; missing migrations: %s\n"
                    "stekd: run: build/stek-migrate up\n",
                    missing);
        db_conn_free(db);
        return NULL;
    }
    return db;
}

static int
create_admin_key(const struct stek_config *cfg, const char *name)
{
    struct db_conn *db;
    struct token_minted key;
    struct db_doc doc = {0};
    size_t len = strlen(name);
    int rc = 1;

    if (len == 0 || len > 100 || name[0] == ' ' || name[len - 1] == ' ') {
        fprintf(stderr, "stekd: NAME must be 1 to 100 characters without surrounding spaces\n");
        return 2;
    }
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "stekd: NAME must not contain control characters\n");
            return 2;
        }
    }
    if ((db = open_checked(cfg)) == NULL)
        return 1;
    if (!token_mint(&key)) {
        fprintf(stderr, "stekd: no randomness available\n");
        goto out;
    }
    if (db_begin(db) != DB_NO_ROWS ||
        db_insert_key(db, name, "admin", NULL, key.prefix, key.hash,
                      (int64_t)time(NULL) + (int64_t)cfg->key_max_days_admin * 86400, NULL,
                      &doc) <= 0 ||
        db_insert_audit(db, NULL, "create", "key", doc.id, NULL) < 0 ||
        db_commit(db) != DB_NO_ROWS) {
        fprintf(stderr, "stekd: could not store the key (%s)\n",
                db_constraint(db)[0] ? db_constraint(db) : db_conn_error(db));
        db_rollback(db);
        goto out;
    }
    printf("%s\n", key.token);
    rc = 0;
out:
    db_doc_clear(&doc);
    db_conn_free(db);
    return rc;
}

/*
 * Retention: signal notes are erased after the configured months (the counts
 * stay), idempotency keys after 8 days (they are promised for at least 7).
 */
static int
purge(const struct stek_config *cfg, int argc, char **argv)
{
    int64_t now = (int64_t)time(NULL);
    struct db_conn *db;
    long notes, keys;
    int rc;

    if (argc == 4 && strcmp(argv[2], "--as-of") == 0) {
        int32_t day;
        if (!date_parse(argv[3], &day)) {
            fprintf(stderr, "stekd: --as-of takes a date YYYY-MM-DD\n");
            return 2;
        }
        now = (int64_t)day * 86400 + 43200;
    } else if (argc != 2) {
        fprintf(stderr, "stekd: usage: stekd purge [--as-of YYYY-MM-DD]\n");
        return 2;
    }
    if ((db = open_checked(cfg)) == NULL)
        return 1;
    rc = maintenance_retention(db, now, cfg->note_retention_months, &notes, &keys);
    if (rc == 0)
        printf("erased %ld notes, removed %ld idempotency keys\n", notes, keys);
    else
        fprintf(stderr, "stekd: purge failed: %s\n", db_conn_error(db));
    db_conn_free(db);
    return rc;
}

static void
scan_one(const char *entity, const char *id, const char *field, const char *text, void *arg)
{
    unsigned found = privacy_scan(text);
    if (found != PII_NONE) {
        printf("%s\t%s\t%s\t%s\n", entity, id, field, privacy_kind_name(found));
        ++*(long *)arg;
    }
}

/* Reports (entity, id, field, kind) of stored texts that the guard refuses; never the text. */
static int
scan_texts(const struct stek_config *cfg)
{
    struct db_conn *db;
    long found = 0;
    enum db_qs qs;

    if ((db = open_checked(cfg)) == NULL)
        return 1;
    qs = db_stored_texts(db, scan_one, &found);
    if (qs < 0)
        fprintf(stderr, "stekd: scan-texts failed: %s\n", db_conn_error(db));
    else
        fprintf(stderr, "stekd: %ld stored texts read, %ld hold personal data%s\n", (long)qs, found,
                found ? " (listed on stdout: entity, id, field, kind)" : "");
    db_conn_free(db);
    return qs < 0 ? 1 : found > 0 ? 3 : 0;
}

/*
 * Seals every stored secret not yet under the key ring's first key (plain ones, and those of
 * older keys of the ring); the number sealed, or -1 when one could not be opened or the
 * database failed (named on stderr).
 */
static long
reseal(struct db_conn *db)
{
    struct stored_secret *rows;
    size_t n;
    long done = 0;

    if (db_secrets_not_under(db, secrets_current_id(), &rows, &n) < 0) {
        fprintf(stderr, "stekd: cannot read the stored secrets: %s\n", db_conn_error(db));
        return -1;
    }
    for (size_t i = 0; i < n && done >= 0; i++) {
        char plain[SECRET_PLAIN_MAX + 1], old[SECRET_PLAIN_MAX + 1] = "";
        char sealed[SECRET_STORED_MAX], sealed_old[SECRET_STORED_MAX] = "";
        if (!secret_open(rows[i].secret, rows[i].id, plain, sizeof(plain)) ||
            (rows[i].previous[0] && !secret_open(rows[i].previous, rows[i].id, old, sizeof(old))) ||
            !secret_seal(plain, rows[i].id, sealed) ||
            (old[0] && !secret_seal(old, rows[i].id, sealed_old))) {
            fprintf(stderr, "stekd: the secret of %s %s does not open with this key ring\n",
                    rows[i].calendar ? "calendar" : "webhook", rows[i].id);
            done = -1;
        } else if (db_reseal(db, &rows[i], sealed, sealed_old) < 0) {
            fprintf(stderr, "stekd: cannot store a sealed secret: %s\n", db_conn_error(db));
            done = -1;
        } else {
            done++;
        }
        memset(plain, 0, sizeof(plain));
        memset(old, 0, sizeof(old));
    }
    free(rows);
    return done;
}

/*
 * Before serving: the key ring opens every sealed secret's key (a daemon without the key file,
 * or with the wrong one, refuses to start rather than sign nothing), and plain secrets are
 * sealed once there is a ring. False after saying why.
 */
static bool
secrets_ready(struct db_conn *db)
{
    char ids[256];
    enum db_qs qs = db_sealed_key_ids(db, ids, sizeof(ids));

    if (qs < 0) {
        fprintf(stderr, "stekd: cannot read the stored secrets: %s\n", db_conn_error(db));
        return false;
    }
    for (char *id = qs > 0 ? strtok(ids, ",") : NULL; id != NULL; id = strtok(NULL, ",")) {
        if (secrets_have(id))
            continue;
        fprintf(stderr,
                "stekd: the database holds secrets sealed with key %s, which %s; set "
                "STEK_SECRET_KEY_FILE to the key file that holds it (refusing to start)\n",
                id,
                secrets_configured() ? "STEK_SECRET_KEY_FILE does not hold"
                                     : "needs STEK_SECRET_KEY_FILE");
        return false;
    }
    return !secrets_configured() || reseal(db) >= 0;
}

static int
cmd_new_secret_key(const struct stek_config *cfg, int argc, char **argv)
{
    char hex[2 * STEK_AEAD_KEY_LEN + 1];
    (void)cfg;
    (void)argc;
    (void)argv;
    if (!stek_random_hex(hex, STEK_AEAD_KEY_LEN)) {
        fprintf(stderr, "stekd: no randomness available\n");
        return 1;
    }
    printf("%s\n", hex);
    return 0;
}

static int
cmd_reseal_secrets(const struct stek_config *cfg, int argc, char **argv)
{
    struct db_conn *db;
    long n;
    (void)argc;
    (void)argv;
    if (!secrets_configured()) {
        fprintf(stderr, "stekd: reseal-secrets needs STEK_SECRET_KEY_FILE\n");
        return 2;
    }
    if ((db = open_checked(cfg)) == NULL)
        return 1;
    n = reseal(db);
    db_conn_free(db);
    if (n >= 0)
        fprintf(stderr, "stekd: %ld secrets sealed anew under key %s\n", n, secrets_current_id());
    return n >= 0 ? 0 : 1;
}

static int
cmd_create_admin_key(const struct stek_config *cfg, int argc, char **argv)
{
    (void)argc;
    return create_admin_key(cfg, argv[2]);
}

static int
cmd_scan_texts(const struct stek_config *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return scan_texts(cfg);
}

/* What stekd does besides serving: `stekd NAME ARGS...`, with its number of arguments. */
static const struct subcommand {
    const char *name;
    int min_args, max_args;
    const char *usage; /* said when the count is wrong */
    int (*run)(const struct stek_config *cfg, int argc, char **argv);
} subcommands[] = {
    {"create-admin-key", 1, 1, "create-admin-key needs exactly one NAME", cmd_create_admin_key},
    {"purge", 0, 2, "usage: stekd purge [--as-of YYYY-MM-DD]", purge},
    {"scan-texts", 0, 0, "scan-texts takes no argument", cmd_scan_texts},
    {"new-secret-key", 0, 0, "new-secret-key takes no argument", cmd_new_secret_key},
    {"reseal-secrets", 0, 0, "reseal-secrets takes no argument", cmd_reseal_secrets},
    {NULL, 0, 0, NULL, NULL},
};

/* What a serving daemon runs, started in this order and stopped in the reverse one. */
struct daemon {
    const struct stek_config *cfg;
    struct server *srv;
    char err[256];
};

static bool
start_replicas(struct daemon *d)
{
    replicas_start(d->cfg); /* before the listener and the workers, which consult it */
    return true;
}

static bool
start_listener(struct daemon *d)
{
    feed_listener_start(d->cfg->database_url);
    return true;
}

static bool
start_model(struct daemon *d)
{
    if (d->cfg->feed_model)
        feed_model_start(d->cfg->database_url);
    return true;
}

static bool
start_maintenance(struct daemon *d)
{
    maintenance_start(d->cfg);
    return true;
}

static bool
start_server(struct daemon *d)
{
    d->srv = server_start(d->cfg, d->err, sizeof(d->err));
    return d->srv != NULL;
}

static void
stop_server(struct daemon *d)
{
    server_stop(d->srv);
}

static bool
start_watchdog(struct daemon *d)
{
    watchdog_start(d->cfg, d->srv);
    return true;
}

static bool
start_calendars(struct daemon *d)
{
    calendar_job_start(d->cfg);
    return true;
}

static bool
start_webhooks(struct daemon *d)
{
    webhook_delivery_start(d->cfg);
    return true;
}

#define STOP(fn)                                                                                   \
    static void stop_##fn(struct daemon *d)                                                        \
    {                                                                                              \
        (void)d;                                                                                   \
        fn();                                                                                      \
    }
STOP(replicas_stop)
STOP(feed_listener_stop)
STOP(feed_model_stop)
STOP(maintenance_stop)
STOP(watchdog_stop)
STOP(webhook_delivery_stop)
STOP(calendar_job_stop)

static const struct stage {
    const char *name;
    bool (*start)(struct daemon *d);
    void (*stop)(struct daemon *d);
} stages[] = {
    {"replica monitor", start_replicas, stop_replicas_stop},
    {"listener", start_listener, stop_feed_listener_stop},
    {"feed model", start_model, stop_feed_model_stop},
    {"maintenance", start_maintenance, stop_maintenance_stop},
    {"server", start_server, stop_server},
    {"watchdog", start_watchdog, stop_watchdog_stop},
    {"webhook delivery", start_webhooks, stop_webhook_delivery_stop},
    {"calendars", start_calendars, stop_calendar_job_stop},
};
#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

/* Stops the first n stages, last first. */
static void
stop_stages(struct daemon *d, size_t n)
{
    while (n > 0)
        stages[--n].stop(d);
}

/* Serves until SIGTERM or SIGINT; 0, or 1 when a stage could not start. */
static int
serve(const struct stek_config *cfg)
{
    struct daemon d = {.cfg = cfg};
    struct db_conn *db;
    sigset_t set;
    int sig = 0;
    size_t started = 0;

    if ((db = open_checked(cfg)) == NULL)
        return 1;
    if (!secrets_ready(db)) {
        db_conn_free(db);
        return 1;
    }
    db_conn_free(db);
    /* Signals are taken synchronously by this thread; every other thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (; started < NSTAGES; started++)
        if (!stages[started].start(&d)) {
            fprintf(stderr, "stekd: %s\n", d.err[0] ? d.err : stages[started].name);
            stop_stages(&d, started);
            return 1;
        }
    char port[16], workers[16];
    snprintf(port, sizeof(port), "%u", cfg->port);
    snprintf(workers, sizeof(workers), "%u", cfg->db_workers);
    log_event("info", "listening", "bind", cfg->bind, "port", port, "db_workers", workers,
              "version", STEK_VERSION, NULL);
    /* Ready: listening, and the database answered with a current schema (open_checked). */
    char status[200];
    snprintf(status, sizeof(status), "READY=1\nSTATUS=serving on %s:%u with %u database workers",
             cfg->bind, cfg->port, cfg->db_workers);
    notify_send(status);
    sigwait(&set, &sig);
    notify_send("STOPPING=1\nSTATUS=shutting down: finishing requests in flight");
    log_event("info", "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    stop_stages(&d, started);
    cache_free();
    tz_cache_free();
    log_event("info", "stopped", NULL);
    return 0;
}

int
main(int argc, char **argv)
{
    struct stek_config cfg;
    char err[256];
    const struct subcommand *cmd = NULL;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("stekd %s\n", STEK_VERSION);
        return 0;
    }
    if (argc >= 2) {
        for (cmd = subcommands; cmd->name != NULL && strcmp(cmd->name, argv[1]) != 0; cmd++)
            ;
        if (cmd->name == NULL) {
            fprintf(stderr, "stekd: unknown argument '%s'\n", argv[1]);
            usage(stderr);
            return 2;
        }
        if (argc - 2 < cmd->min_args || argc - 2 > cmd->max_args) {
            fprintf(stderr, "stekd: %s\n", cmd->usage);
            return 2;
        }
    }
    if (!config_from_env(&cfg, err, sizeof(err))) {
        fprintf(stderr, "stekd: %s\n", err);
        return 2;
    }
    config_use(&cfg);
    if (!secrets_load(cfg.secret_key_file, err, sizeof(err))) {
        fprintf(stderr, "stekd: %s\n", err);
        return 2;
    }
    /* jansson's hash seed must be set before any thread uses it. */
    json_object_seed(0);
    /* Buffers of 128 KiB and more (calendars, long pages, the feed model's load) are mapped and
     * given back when freed. glibc otherwise raises this threshold after each such free, and
     * the threads' heaps then keep the largest answer ever made each (issue 14: the peak RSS
     * under many different feed queries went from 125 to 100 MiB). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    /* Four malloc arenas for a dozen threads (glibc's default is eight per core): cached
     * answers, the model and pages are made on one thread and freed on another, and every
     * arena kept its own free memory (measured: peak RSS 95 -> 84 MiB in the feed's bench
     * rows, the same requests/s). MALLOC_ARENA_MAX in the environment still decides. */
    if (getenv("MALLOC_ARENA_MAX") == NULL)
        mallopt(M_ARENA_MAX, 4);
    int rc = cmd != NULL ? cmd->run(&cfg, argc, argv) : serve(&cfg);
    secrets_clear();
    return rc;
}
