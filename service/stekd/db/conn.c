#include "internal.h"
#include "stek/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    int nparams;
    const char *sql;
} statements[STMT_COUNT] = {
#define S(name, nparams, sql) [STMT_##name] = {#name, nparams, sql},
#include "statements.def"
#undef S
};

const char *
db_stmt_sql(enum db_stmt s)
{
    return statements[s].sql;
}

/*
 * Successful connects so far, across all workers: a worker waiting out its
 * back-off retries at once when another one got through, so the whole pool
 * recovers together when the database comes back.
 */
static atomic_uint connects_ok;

struct db_conn {
    char *url;
    const char *app;
    int statement_timeout_ms;
    PGconn *pg; /* NULL until connected */
    bool lost;  /* the last failure was the connection */
    bool in_tx;
    unsigned executed;  /* statements sent since db_conn_begin_request */
    bool lost_at_start; /* the connection died on the first of them */
    struct timespec next_attempt;
    unsigned connects_seen; /* connects_ok when this connection last failed */
    char sqlstate[6];
    enum db_qs failure; /* of the last statement */
    char constraint[64];
    char error[256];
};

struct db_conn *
db_conn_new(const char *url, const char *application_name, int statement_timeout_ms)
{
    struct db_conn *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->url = strdup(url)) == NULL)
        abort();
    c->app = application_name;
    c->statement_timeout_ms = statement_timeout_ms;
    return c;
}

void
db_conn_free(struct db_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg != NULL)
        PQfinish(c->pg);
    free(c->url);
    free(c);
}

void
db_conn_begin_request(struct db_conn *c)
{
    c->executed = 0;
    c->lost_at_start = false;
}

bool
db_conn_lost_at_start(const struct db_conn *c)
{
    return c->lost_at_start;
}

bool
db_conn_lost(const struct db_conn *c)
{
    return c->lost;
}

bool
db_out_of_room(const struct db_conn *c)
{
    return strncmp(c->sqlstate, "53", 2) == 0 || strstr(c->error, "too many clients") != NULL ||
           strstr(c->error, "remaining connection slots") != NULL;
}

bool
db_replica_conflict(const struct db_conn *c)
{
    return strcmp(c->sqlstate, "57014") == 0 || strcmp(c->sqlstate, "40001") == 0;
}

const char *
db_conn_error(const struct db_conn *c)
{
    return c->error;
}

enum db_qs
db_last_failure(const struct db_conn *c)
{
    return c->failure;
}

const char *
db_constraint(const struct db_conn *c)
{
    return c->constraint;
}

static void
quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void
drop(struct db_conn *c)
{
    if (c->pg != NULL)
        PQfinish(c->pg);
    c->pg = NULL;
    c->in_tx = false;
}

static bool
connect_now(struct db_conn *c)
{
    /*
     * Bounded waits everywhere: connect_timeout for the handshake, TCP
     * keepalives and tcp_user_timeout so that a vanished server is noticed in
     * seconds, not after the kernel's default of many minutes. Defaults come
     * first so that the user's DATABASE_URL can override any of them.
     */
    const char *keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                          "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                          "application_name",    "dbname",           NULL};
    const char *vals[] = {"3", "1", "5", "2", "2", "5000", c->app, c->url, NULL};
    char sql[192];
    PGresult *res;

    c->pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        snprintf(c->error, sizeof(c->error), "%s", PQerrorMessage(c->pg));
        c->error[strcspn(c->error, "\n")] = '\0';
        drop(c);
        return false;
    }
    PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
    /* JIT costs more than a second of compiling on the feed query, which runs in milliseconds. */
    snprintf(sql, sizeof(sql), "SET statement_timeout = %d; SET timezone = 'UTC'; SET jit = off",
             c->statement_timeout_ms);
    res = PQexec(c->pg, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    for (int i = 0; ok && i < STMT_COUNT; i++) {
        res = PQprepare(c->pg, statements[i].name, statements[i].sql, statements[i].nparams, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            /* A statement that does not prepare is a bug or a schema mismatch. */
            log_event("error", "cannot prepare statement", "statement", statements[i].name, "error",
                      PQresultErrorMessage(res), NULL);
            ok = false;
        }
        PQclear(res);
    }
    if (!ok) {
        snprintf(c->error, sizeof(c->error), "%s", "cannot prepare statements");
        drop(c);
        return false;
    }
    c->error[0] = '\0';
    return true;
}

bool
db_conn_ensure(struct db_conn *c)
{
    struct timespec now;

    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
        c->lost = false;
        return true;
    }
    drop(c);
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* While the database is down, fail fast instead of waiting for a timeout per request. */
    if (atomic_load(&connects_ok) == c->connects_seen &&
        (now.tv_sec < c->next_attempt.tv_sec ||
         (now.tv_sec == c->next_attempt.tv_sec && now.tv_nsec < c->next_attempt.tv_nsec))) {
        c->lost = true;
        return false;
    }
    if (!connect_now(c)) {
        clock_gettime(CLOCK_MONOTONIC, &c->next_attempt);
        c->next_attempt.tv_sec += 1;
        c->connects_seen = atomic_load(&connects_ok);
        c->lost = true;
        return false;
    }
    atomic_fetch_add(&connects_ok, 1);
    c->lost = false;
    return true;
}

static enum db_qs
classify(struct db_conn *c, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
    snprintf(c->constraint, sizeof(c->constraint), "%s", cons ? cons : "");
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK || state == NULL ||
        strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0) {
        c->lost = true;
        c->lost_at_start = c->executed <= 1;
        snprintf(c->error, sizeof(c->error), "%s", c->pg ? PQerrorMessage(c->pg) : "");
        c->error[strcspn(c->error, "\n")] = '\0';
        log_event("warn", "database connection lost", "error", c->error, NULL);
        drop(c);
        return c->failure = DB_HARD_ERROR;
    }
    /* Integrity (23), data (22) and serialization (40) failures are the caller's to map. */
    if (strcmp(state, "23505") == 0)
        return c->failure = DB_UNIQUE;
    if (strcmp(state, "23503") == 0)
        return c->failure = DB_FOREIGN_KEY;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return c->failure = DB_CHECK;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return c->failure = DB_RETRY;
    log_event("error", "database error", "sqlstate", state, "error",
              PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), NULL);
    return c->failure = DB_HARD_ERROR;
}

/*
 * Statements with optional filters ($n IS NULL OR ...): a generic plan cannot
 * use the indexes the actual filters allow (the feed's ran 3x slower), so
 * these are planned with their values every time. The rest run prepared.
 */
static bool
planned_each_time(enum db_stmt s)
{
    switch (s) {
    case STMT_list_partners:
    case STMT_list_sites:
    case STMT_list_sites_near:
    case STMT_list_offers:
    case STMT_list_keys:
    case STMT_list_audit:
    case STMT_list_signals:
    case STMT_list_exceptions:
    case STMT_feed_rows:
    case STMT_hsds_services:
    case STMT_hsds_service_at_locations:
    case STMT_hsds_organizations:
    case STMT_hsds_taxonomies:
    case STMT_hsds_taxonomy_terms:
    case STMT_signal_cells:
        return true;
    default:
        return false;
    }
}

PGresult *
db_exec(struct db_conn *c, enum db_stmt s, const char *const *params, enum db_qs *qs)
{
    PGresult *res;
    ExecStatusType st;

    c->sqlstate[0] = '\0';
    c->constraint[0] = '\0';
    c->failure = DB_NO_ROWS;
    c->executed++;
    if (c->pg == NULL) {
        c->lost = true;
        *qs = DB_HARD_ERROR;
        return NULL;
    }
    if (planned_each_time(s))
        res = PQexecParams(c->pg, statements[s].sql, statements[s].nparams, NULL, params, NULL,
                           NULL, 0);
    else
        res =
            PQexecPrepared(c->pg, statements[s].name, statements[s].nparams, params, NULL, NULL, 0);
    st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK) {
        *qs = PQntuples(res);
        return res;
    }
    if (st == PGRES_COMMAND_OK) {
        *qs = (enum db_qs)atoi(PQcmdTuples(res));
        return res;
    }
    *qs = classify(c, res);
    PQclear(res);
    return NULL;
}

/* Sends statement s in pipeline mode (planned with its values or prepared, as db_exec does). */
static bool
send_stmt(struct db_conn *c, enum db_stmt s, const char *const *params)
{
    if (planned_each_time(s))
        return PQsendQueryParams(c->pg, statements[s].sql, statements[s].nparams, NULL, params,
                                 NULL, NULL, 0) == 1;
    return PQsendQueryPrepared(c->pg, statements[s].name, statements[s].nparams, params, NULL, NULL,
                               0) == 1;
}

bool
db_exec_snapshot(struct db_conn *c, size_t n, const enum db_stmt *s,
                 const char *const *const *params, PGresult **out)
{
    bool ok;
    PGresult *failed = NULL;

    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    c->sqlstate[0] = '\0';
    c->constraint[0] = '\0';
    c->failure = DB_NO_ROWS;
    c->executed += n;
    if (c->pg == NULL || c->in_tx || PQenterPipelineMode(c->pg) != 1) {
        c->lost = c->pg == NULL;
        return false;
    }
    ok = PQsendQueryParams(c->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL,
                           NULL, NULL, 0) == 1;
    for (size_t i = 0; i < n && ok; i++)
        ok = send_stmt(c, s[i], params[i]);
    ok = ok && PQsendQueryParams(c->pg, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) == 1;
    ok = ok && PQpipelineSync(c->pg) == 1;
    /* Each query's results end with a NULL; the sync's result ends the pipeline. */
    for (size_t k = 0; ok && k < n + 2; k++) {
        PGresult *r = PQgetResult(c->pg);
        ExecStatusType st = PQresultStatus(r);
        if (r == NULL) {
            ok = false;
            break;
        }
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            if (failed == NULL && st != PGRES_PIPELINE_ABORTED)
                failed = r;
            else
                PQclear(r);
            r = NULL;
        }
        if (k >= 1 && k <= n)
            out[k - 1] = r;
        else
            PQclear(r);
        while ((r = PQgetResult(c->pg)) != NULL) /* the query's end */
            PQclear(r);
    }
    for (PGresult *r; ok && (r = PQgetResult(c->pg)) != NULL;) {
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync)
            break;
    }
    if (!ok || PQexitPipelineMode(c->pg) != 1) {
        classify(c, NULL); /* results left unread: the connection cannot be trusted */
        drop(c);
    } else if (failed != NULL) {
        classify(c, failed);
        if (c->pg != NULL) /* the statements after the error were skipped, ROLLBACK too */
            PQclear(PQexec(c->pg, "ROLLBACK"));
    }
    if (!ok || failed != NULL || c->pg == NULL) {
        PQclear(failed);
        for (size_t i = 0; i < n; i++) {
            PQclear(out[i]);
            out[i] = NULL;
        }
        return false;
    }
    return true;
}

enum db_qs
db_exec_command(struct db_conn *c, enum db_stmt s, const char *const *params)
{
    enum db_qs qs;
    PQclear(db_exec(c, s, params, &qs));
    return qs;
}

static enum db_qs
simple(struct db_conn *c, const char *sql)
{
    PGresult *res;
    enum db_qs qs = DB_NO_ROWS;

    if (c->pg == NULL)
        return DB_HARD_ERROR;
    c->executed++;
    res = PQexec(c->pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        qs = classify(c, res);
    PQclear(res);
    return qs;
}

enum db_qs
db_begin(struct db_conn *c)
{
    enum db_qs qs = simple(c, "BEGIN");
    c->in_tx = qs == DB_NO_ROWS;
    return qs;
}

enum db_qs
db_begin_snapshot(struct db_conn *c)
{
    enum db_qs qs = simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    c->in_tx = qs == DB_NO_ROWS;
    return qs;
}

enum db_qs
db_commit(struct db_conn *c)
{
    enum db_qs qs = simple(c, "COMMIT");
    c->in_tx = false;
    return qs;
}

void
db_rollback(struct db_conn *c)
{
    if (c->in_tx && c->pg != NULL) {
        PGresult *res = PQexec(c->pg, "ROLLBACK");
        PQclear(res);
    }
    c->in_tx = false;
}

void
db_page_clear(struct db_page *page)
{
    PQclear(page->result);
    page->result = NULL;
    page->n = 0;
}

const char *
db_page_doc(const struct db_page *page, int i)
{
    return PQgetvalue(page->result, i, 0);
}

void
db_doc_clear(struct db_doc *d)
{
    json_decref(d->doc);
    d->doc = NULL;
}

enum db_qs
db_page_from(PGresult *res, int limit, struct db_page *page)
{
    int rows = PQntuples(res);

    memset(page, 0, sizeof(*page));
    page->result = res;
    page->more = rows > limit;
    page->n = rows < limit ? rows : limit;
    if (page->n > 0) {
        snprintf(page->last_a, sizeof(page->last_a), "%s", PQgetvalue(res, page->n - 1, 1));
        snprintf(page->last_b, sizeof(page->last_b), "%s", PQgetvalue(res, page->n - 1, 2));
    }
    return (enum db_qs)page->n;
}

enum db_qs
db_doc_from(PGresult *res, struct db_doc *out)
{
    memset(out, 0, sizeof(*out));
    if (PQntuples(res) == 0)
        return DB_NO_ROWS;
    out->doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    if (out->doc == NULL)
        return DB_HARD_ERROR;
    out->version = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 2));
    return (enum db_qs)1;
}

enum db_qs
db_query_doc(struct db_conn *c, enum db_stmt s, const char *const *params, struct db_doc *out)
{
    enum db_qs qs;
    PGresult *res = db_exec(c, s, params, &qs);

    memset(out, 0, sizeof(*out));
    if (res == NULL)
        return qs;
    qs = db_doc_from(res, out);
    PQclear(res);
    return qs;
}

enum db_qs
db_query_page(struct db_conn *c, enum db_stmt s, const char **params, int limit_param, int limit,
              struct db_page *page)
{
    char lim[16];
    enum db_qs qs;
    PGresult *res;

    memset(page, 0, sizeof(*page));
    snprintf(lim, sizeof(lim), "%d", limit + 1);
    params[limit_param] = lim;
    res = db_exec(c, s, params, &qs);
    if (res == NULL)
        return qs;
    return db_page_from(res, limit, page); /* the page keeps res */
}

const char *
db_text_array(const json_t *list, char *out, size_t len)
{
    size_t i, used = 0;
    json_t *v;

    if (list == NULL)
        return NULL;
    if (len < 3)
        abort();
    out[used++] = '{';
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        if (i > 0 && used < len)
            out[used++] = ',';
        if (used < len)
            out[used++] = '"';
        for (; s != NULL && *s != '\0' && used + 1 < len; s++) {
            if (*s == '"' || *s == '\\')
                out[used++] = '\\';
            out[used++] = *s;
        }
        if (used < len)
            out[used++] = '"';
    }
    if (used + 2 > len)
        abort();
    out[used++] = '}';
    out[used] = '\0';
    return out;
}

void
db_languages_params(const struct db_languages *l, const char *out[2], char **buf)
{
    *buf = l->translations ? json_dumps(l->translations, JSON_COMPACT) : NULL;
    out[0] = l->main_language ? l->main_language : "nl";
    out[1] = *buf ? *buf : "{}";
}

void
db_languages_free(char *buf)
{
    free(buf);
}

static enum db_qs
lsn_of(struct db_conn *c, enum db_stmt stmt, char out[32])
{
    enum db_qs qs;
    PGresult *res = db_exec(c, stmt, NULL, &qs);
    if (res == NULL)
        return qs;
    if (qs > 0)
        snprintf(out, 32, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return qs;
}

enum db_qs
db_current_lsn(struct db_conn *c, char out[32])
{
    return lsn_of(c, STMT0(current_lsn), out);
}

enum db_qs
db_replayed_lsn(struct db_conn *c, char out[32])
{
    return lsn_of(c, STMT0(replayed_lsn), out);
}

bool
db_columns_ok(const PGresult *res, const char *const *names, const char *what)
{
    int n = 0;
    for (; names[n] != NULL; n++)
        if (n >= PQnfields(res) || strcmp(PQfname(res, n), names[n]) != 0) {
            log_event("error", "a statement does not answer what its decoder reads", "statement",
                      what, "column", names[n], NULL);
            return false;
        }
    if (n != PQnfields(res)) {
        log_event("error", "a statement answers more columns than its decoder reads", "statement",
                  what, NULL);
        return false;
    }
    return true;
}
