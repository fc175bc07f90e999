/*
 * stek-migrate: applies the SQL files in migrations/ to the database named by
 * DATABASE_URL, one transaction per file, under an advisory lock, and records
 * a SHA-256 checksum of every applied file so that edits are detected.
 *
 * Migration files are trusted project files, so they are sent with PQexec;
 * everything derived from the environment goes through parameters.
 */
#include "stek/crypto.h"
#include "stek/version.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A file may opt out of the wrapping transaction with this first line. */
#define NO_TX_MARKER "-- stek:no-transaction"
/* A line of a migration that a daemon of the release before keeps working with (it only adds:
 * README "Upgrading"): recorded, so that a daemon finding it ahead of its build starts. */
#define COMPATIBLE_MARKER "-- stek:compatible"

struct mfile {
    long long version;
    char *name; /* owned: file name, e.g. "0001_core.sql" */
    char *sql;  /* owned: file contents, NUL-terminated */
    char sum[STEK_SHA256_HEX_LEN + 1];
};

struct applied {
    long long version;
    char *name; /* owned */
    char *sum;  /* owned */
    char *at;   /* owned */
};

static const char *prog = "stek-migrate";

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: %s [--dir DIR] up|status|verify\n"
            "\n"
            "  up       apply pending migrations (one transaction per file)\n"
            "  status   list applied and pending migrations\n"
            "  verify   fail if an applied migration's file changed or is missing\n"
            "\n"
            "  --dir DIR   folder of NNNN_name.sql files (default: migrations)\n"
            "  DATABASE_URL (environment) names the database, as a libpq URI or\n"
            "  conninfo string.\n",
            prog);
}

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool
valid_name(const char *name, long long *version)
{
    const char *p = name;
    size_t len = strlen(name);

    if (len < 6 || strcmp(name + len - 4, ".sql") != 0)
        return false;
    if (*p < '0' || *p > '9')
        return false;
    *version = 0;
    while (*p >= '0' && *p <= '9') {
        if (*version > 1000000000LL)
            return false;
        *version = *version * 10 + (*p - '0');
        p++;
    }
    if (*p != '_')
        return false;
    for (p++; p < name + len - 4; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static int
cmp_mfile(const void *a, const void *b)
{
    const struct mfile *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static void
free_files(struct mfile *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].sql);
    }
    free(files);
}

/* Loads every migration file of dir, sorted by version; false after printing why. */
static bool
load_files(const char *dir, struct mfile **out, size_t *nout)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct mfile *files = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;

    if (d == NULL) {
        fprintf(stderr, "%s: cannot open migrations folder %s: %s\n", prog, dir, strerror(errno));
        return false;
    }
    while ((de = readdir(d)) != NULL) {
        long long version;
        size_t len = strlen(de->d_name);
        char path[4096];
        size_t flen;

        if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
            continue;
        if (!valid_name(de->d_name, &version)) {
            fprintf(stderr, "%s: %s/%s: name must look like 0001_lower_case.sql\n", prog, dir,
                    de->d_name);
            ok = false;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct mfile *nf = realloc(files, cap * sizeof(*files));
            if (nf == NULL)
                abort();
            files = nf;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        files[n].version = version;
        files[n].name = strdup(de->d_name);
        files[n].sql = read_file(path, &flen);
        if (files[n].name == NULL || files[n].sql == NULL) {
            fprintf(stderr, "%s: cannot read %s: %s\n", prog, path, strerror(errno));
            free(files[n].name);
            free(files[n].sql);
            ok = false;
            continue;
        }
        stek_sha256_hex(files[n].sql, flen, files[n].sum);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(files, n, sizeof(*files), cmp_mfile);
    for (size_t i = 1; i < n; i++) {
        if (files[i].version == files[i - 1].version) {
            fprintf(stderr, "%s: %s and %s have the same version %lld\n", prog, files[i - 1].name,
                    files[i].name, files[i].version);
            ok = false;
        }
    }
    if (!ok) {
        free_files(files, n);
        return false;
    }
    *out = files;
    *nout = n;
    return true;
}

static void
quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *
connect_db(void)
{
    const char *url = getenv("DATABASE_URL");
    /* Defaults first: anything the user's URL says wins over them. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"10", "stek-migrate", url, NULL};
    PGconn *conn;

    if (url == NULL || *url == '\0') {
        fprintf(stderr,
                "%s: DATABASE_URL is not set; set it to a libpq URI such as\n"
                "  postgresql://user@localhost:5432/stek\n",
                prog);
        return NULL;
    }
    conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "%s: cannot connect to the database: %s", prog, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, quiet_notice, NULL);
    return conn;
}

/* Runs a statement without parameters and without a result; false after printing why. */
static bool
exec_simple(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

    if (!ok)
        fprintf(stderr, "%s: %s", prog, PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

static void
free_applied(struct applied *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].sum);
        free(a[i].at);
    }
    free(a);
}

/*
 * Reads schema_migrations into *out (sorted by version). A database where the
 * table does not exist yet has no applied migrations.
 */
static bool
load_applied(PGconn *conn, struct applied **out, size_t *nout)
{
    PGresult *res;
    struct applied *a;
    int rows;

    *out = NULL;
    *nout = 0;
    res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", prog, PQerrorMessage(conn));
        PQclear(res);
        return false;
    }
    bool exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!exists)
        return true;
    res = PQexec(conn, "SELECT version, name, checksum,"
                       " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                       " FROM schema_migrations ORDER BY version");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", prog, PQerrorMessage(conn));
        PQclear(res);
        return false;
    }
    rows = PQntuples(res);
    a = calloc((size_t)rows + 1, sizeof(*a));
    if (a == NULL)
        abort();
    for (int i = 0; i < rows; i++) {
        a[i].version = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        a[i].name = strdup(PQgetvalue(res, i, 1));
        a[i].sum = strdup(PQgetvalue(res, i, 2));
        a[i].at = strdup(PQgetvalue(res, i, 3));
    }
    PQclear(res);
    *out = a;
    *nout = (size_t)rows;
    return true;
}

static const struct mfile *
find_file(const struct mfile *files, size_t n, long long version)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].version == version)
            return &files[i];
    return NULL;
}

static bool
is_applied(const struct applied *a, size_t n, long long version)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].version == version)
            return true;
    return false;
}

/* Reports every applied migration whose file changed or disappeared; true if none. */
static bool
check_applied(const char *dir, const struct mfile *files, size_t nf, const struct applied *a,
              size_t na)
{
    bool ok = true;

    for (size_t i = 0; i < na; i++) {
        const struct mfile *f = find_file(files, nf, a[i].version);
        if (f == NULL) {
            fprintf(stderr, "%s: applied migration %s is missing from %s/\n", prog, a[i].name, dir);
            ok = false;
        } else if (strcmp(f->sum, a[i].sum) != 0) {
            fprintf(stderr,
                    "%s: %s/%s changed after it was applied (checksum %.12s, applied %.12s);"
                    " write a new migration instead of editing an applied one\n",
                    prog, dir, f->name, f->sum, a[i].sum);
            ok = false;
        }
    }
    return ok;
}

/* Line number (1-based) of a 1-based character position in sql. */
static int
line_of(const char *sql, long pos)
{
    int line = 1;
    long chars = 0;

    for (const unsigned char *p = (const unsigned char *)sql; *p && chars < pos - 1; p++) {
        if ((*p & 0xC0) != 0x80)
            chars++;
        if (*p == '\n')
            line++;
    }
    return line;
}

static void
report_sql_error(const struct mfile *f, const char *sql, PGresult *res, PGconn *conn)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;

    if (primary == NULL) {
        fprintf(stderr, "%s: %s failed: %s", prog, f->name, PQerrorMessage(conn));
        return;
    }
    if (pos != NULL)
        fprintf(stderr, "%s: %s failed at line %d: %s\n", prog, f->name,
                line_of(sql, strtol(pos, NULL, 10)), primary);
    else
        fprintf(stderr, "%s: %s failed: %s\n", prog, f->name, primary);
}

static bool
run_sql(PGconn *conn, const struct mfile *f, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

    if (!ok)
        report_sql_error(f, sql, res, conn);
    PQclear(res);
    return ok;
}

/*
 * A no-transaction file runs statement by statement (PostgreSQL wraps a
 * multi-statement string in one implicit transaction, which CREATE INDEX
 * CONCURRENTLY refuses). Statements end with ';' at the end of a line.
 */
static bool
run_statements(PGconn *conn, const struct mfile *f)
{
    char *copy = strdup(f->sql);
    char *start = copy, *p = copy;
    bool ok = true;

    if (copy == NULL)
        abort();
    while (ok && *p) {
        char *eol = strchr(p, '\n');
        char *end = eol ? eol : p + strlen(p);
        char *q = end;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
            q--;
        if (q > p && q[-1] == ';') {
            char saved = *end;
            *end = '\0';
            ok = run_sql(conn, f, start);
            *end = saved;
            start = eol ? eol + 1 : end;
        }
        p = eol ? eol + 1 : end;
    }
    if (ok && strspn(start, " \t\r\n") != strlen(start))
        ok = run_sql(conn, f, start);
    free(copy);
    return ok;
}

static void
applied_by(char *out, size_t len)
{
    struct passwd *pw = getpwuid(geteuid());
    char host[256] = "unknown";

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(out, len, "%s@%s", pw ? pw->pw_name : "unknown", host);
}

static long
ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Whether a line of the migration is the compatibility marker. */
static bool
compatible(const struct mfile *f)
{
    size_t n = strlen(COMPATIBLE_MARKER);
    for (const char *p = f->sql; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, COMPATIBLE_MARKER, n) == 0 && (p[n] == '\n' || p[n] == '\r' || p[n] == '\0'))
            return true;
    return false;
}

static bool
record(PGconn *conn, const struct mfile *f, long ms)
{
    char version[32], msbuf[32], by[320];
    const char *params[6];
    PGresult *res;
    bool ok;

    snprintf(version, sizeof(version), "%lld", f->version);
    snprintf(msbuf, sizeof(msbuf), "%ld", ms);
    applied_by(by, sizeof(by));
    params[0] = version;
    params[1] = f->name;
    params[2] = f->sum;
    params[3] = by;
    params[4] = msbuf;
    params[5] = compatible(f) ? "t" : "f";
    res = PQexecParams(conn,
                       "INSERT INTO schema_migrations"
                       " (version, name, checksum, applied_by, execution_ms, compatible)"
                       " VALUES ($1, $2, $3, $4, $5, $6)",
                       6, NULL, params, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: cannot record %s: %s", prog, f->name, PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

static bool
apply_one(PGconn *conn, const struct mfile *f)
{
    struct timespec t0;
    bool no_tx = strncmp(f->sql, NO_TX_MARKER, strlen(NO_TX_MARKER)) == 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (no_tx) {
        if (!run_statements(conn, f))
            return false;
        return record(conn, f, ms_since(&t0));
    }
    if (!exec_simple(conn, "BEGIN"))
        return false;
    if (!run_sql(conn, f, f->sql) || !record(conn, f, ms_since(&t0))) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return false;
    }
    if (!exec_simple(conn, "COMMIT"))
        return false;
    printf("applied %s (%ld ms)\n", f->name, ms_since(&t0));
    return true;
}

static const char create_table[] = "SET client_min_messages = warning;"
                                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   " version bigint PRIMARY KEY CHECK (version >= 0),"
                                   " name text NOT NULL CHECK (name ~ '^[0-9]+_[a-z0-9_]+\\.sql$'),"
                                   " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
                                   " applied_at timestamptz NOT NULL DEFAULT now(),"
                                   " applied_by text NOT NULL,"
                                   " execution_ms integer NOT NULL CHECK (execution_ms >= 0));"
                                   /* a daemon of the release before keeps working with it */
                                   "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS"
                                   " compatible boolean NOT NULL DEFAULT false";

static int
cmd_up(PGconn *conn, const char *dir, struct mfile *files, size_t nf)
{
    struct applied *a = NULL;
    size_t na = 0;
    int rc = 1, count = 0;
    char lock[64];

    /* Session lock: held across the per-file transactions, released on exit. */
    snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%d)", STEK_MIGRATE_LOCK_KEY);
    if (!exec_simple(conn, lock) || !exec_simple(conn, create_table))
        return 1;
    if (!load_applied(conn, &a, &na))
        goto out;
    if (!check_applied(dir, files, nf, a, na))
        goto out;
    for (size_t i = 0; i < nf; i++) {
        if (is_applied(a, na, files[i].version))
            continue;
        if (!apply_one(conn, &files[i])) {
            fprintf(stderr, "%s: stopped; %s and later files were not applied\n", prog,
                    files[i].name);
            goto out;
        }
        count++;
    }
    if (count == 0)
        printf("up to date (%zu migrations applied)\n", na);
    rc = 0;
out:
    free_applied(a, na);
    return rc;
}

static int
cmd_status(PGconn *conn, const char *dir, struct mfile *files, size_t nf, bool verify_only)
{
    struct applied *a = NULL;
    size_t na = 0;
    size_t pending = 0;
    bool ok;

    if (!load_applied(conn, &a, &na))
        return 1;
    ok = check_applied(dir, files, nf, a, na);
    if (!verify_only)
        printf("%-8s %-40s %-9s %s\n", "version", "file", "state", "applied_at");
    for (size_t i = 0; i < na; i++) {
        const struct mfile *f = find_file(files, nf, a[i].version);
        const char *state = f == NULL                  ? "missing"
                            : strcmp(f->sum, a[i].sum) ? "changed"
                                                       : "applied";
        if (!verify_only)
            printf("%-8lld %-40s %-9s %s\n", a[i].version, a[i].name, state, a[i].at);
    }
    for (size_t i = 0; i < nf; i++) {
        if (is_applied(a, na, files[i].version))
            continue;
        pending++;
        if (!verify_only)
            printf("%-8lld %-40s %-9s\n", files[i].version, files[i].name, "pending");
    }
    if (verify_only) {
        if (ok)
            printf("verified %zu applied migrations; %zu pending\n", na, pending);
        free_applied(a, na);
        return ok ? 0 : 1;
    }
    free_applied(a, na);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *dir = "migrations";
    const char *cmd = NULL;
    struct mfile *files = NULL;
    size_t nf = 0;
    PGconn *conn;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--dir=", 6) == 0) {
            dir = argv[i] + 6;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("stek-migrate %s\n", STEK_VERSION);
            return 0;
        } else if (cmd == NULL && argv[i][0] != '-') {
            cmd = argv[i];
        } else {
            fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (cmd == NULL || (strcmp(cmd, "up") && strcmp(cmd, "status") && strcmp(cmd, "verify"))) {
        usage(stderr);
        return 2;
    }
    if (!load_files(dir, &files, &nf))
        return 1;
    conn = connect_db();
    if (conn == NULL) {
        free_files(files, nf);
        return 1;
    }
    if (strcmp(cmd, "up") == 0)
        rc = cmd_up(conn, dir, files, nf);
    else
        rc = cmd_status(conn, dir, files, nf, strcmp(cmd, "verify") == 0);
    PQfinish(conn);
    free_files(files, nf);
    return rc;
}
