/*
 * stekd: the stek API daemon. Reads its configuration from the environment,
 * refuses to start against a schema that is behind, serves until SIGTERM or
 * SIGINT, then stops gracefully.
 */
#include "stek/config.h"
#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/domain.h"
#include "stek/handlers.h"
#include "stek/log.h"
#include "stek/server.h"
#include "stek/version.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *out)
{
    fprintf(out, "usage: stekd [--help | --version]\n"
                 "       stekd create-admin-key NAME\n"
                 "\n"
                 "Serves the stek API. create-admin-key creates an admin API key and prints\n"
                 "its token alone on one line (it is shown only this once).\n\n");
    if (out == stdout)
        config_usage();
}

/* Connects once and checks the schema; prints why and returns NULL when unusable. */
static struct db_conn *
open_checked(const struct stek_config *cfg)
{
    struct db_conn *db = db_conn_new(cfg->database_url, "stekd", (int)cfg->statement_timeout_ms);
    char missing[1024];
    int n;

    if (!db_conn_ensure(db)) {
        fprintf(stderr, "stekd: cannot use the database: %s\n", db_conn_error(db));
        if (strcmp(db_conn_error(db), "cannot prepare statements") == 0)
            fprintf(stderr, "stekd: is the schema migrated? run: build/stek-migrate up\n");
        db_conn_free(db);
        return NULL;
    }
    n = db_schema_missing(db, missing, sizeof(missing));
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
    char token[TOKEN_LEN + 1], prefix[TOKEN_PREFIX_LEN + 1], hash[STEK_SHA256_HEX_LEN + 1];
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
    if (!token_new(token)) {
        fprintf(stderr, "stekd: no randomness available\n");
        goto out;
    }
    memcpy(prefix, token, TOKEN_PREFIX_LEN);
    prefix[TOKEN_PREFIX_LEN] = '\0';
    stek_sha256_hex(token, TOKEN_LEN, hash);
    if (db_begin(db) != DB_NO_ROWS ||
        db_insert_key(db, name, "admin", NULL, prefix, hash, &doc) <= 0 ||
        db_insert_audit(db, NULL, "create", "key", doc.id) < 0 || db_commit(db) != DB_NO_ROWS) {
        fprintf(stderr, "stekd: could not store the key (%s %s)\n", db_sqlstate(db),
                db_conn_error(db));
        db_rollback(db);
        goto out;
    }
    printf("%s\n", token);
    rc = 0;
out:
    db_doc_clear(&doc);
    db_conn_free(db);
    return rc;
}

int
main(int argc, char **argv)
{
    struct stek_config cfg;
    char err[256];
    struct server *srv;
    struct db_conn *db;
    sigset_t set;
    int sig = 0;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("stekd %s\n", STEK_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "create-admin-key") != 0) {
        fprintf(stderr, "stekd: unknown argument '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (argc >= 2 && argc != 3) {
        fprintf(stderr, "stekd: create-admin-key needs exactly one NAME\n");
        return 2;
    }
    if (!config_from_env(&cfg, err, sizeof(err))) {
        fprintf(stderr, "stekd: %s\n", err);
        return 2;
    }
    /* jansson's hash seed must be set before any thread uses it. */
    json_object_seed(0);
    if (argc == 3)
        return create_admin_key(&cfg, argv[2]);

    if ((db = open_checked(&cfg)) == NULL)
        return 1;
    db_conn_free(db);

    /* Signals are taken synchronously by this thread; every other thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    feed_listener_start(cfg.database_url);
    srv = server_start(&cfg, err, sizeof(err));
    if (srv == NULL) {
        fprintf(stderr, "stekd: %s\n", err);
        feed_listener_stop();
        return 1;
    }
    char port[16], workers[16];
    snprintf(port, sizeof(port), "%u", cfg.port);
    snprintf(workers, sizeof(workers), "%u", cfg.db_workers);
    log_event("info", "listening", "bind", cfg.bind, "port", port, "db_workers", workers, "version",
              STEK_VERSION, NULL);
    sigwait(&set, &sig);
    log_event("info", "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    server_stop(srv);
    feed_listener_stop();
    feed_caches_free();
    log_event("info", "stopped", NULL);
    return 0;
}
