#include "internal.h"
#include "stek/log.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    pthread_t thread;
    char *url;
    atomic_bool stop;
    atomic_bool connected;
    atomic_uint_fast64_t generation;
    atomic_uint_fast64_t keys_generation;
    bool started;
} L;

uint64_t
feed_generation(void)
{
    return atomic_load(&L.generation);
}

uint64_t
keys_generation(void)
{
    return atomic_load(&L.keys_generation);
}

void
feed_changed_here(void)
{
    atomic_fetch_add(&L.generation, 1);
}

void
keys_changed_here(void)
{
    atomic_fetch_add(&L.keys_generation, 1);
}

bool
feed_listener_connected(void)
{
    return atomic_load(&L.connected);
}

/* The keys snapshot: sorted by hash, valid for the keys generation it was loaded in. */
struct key_row {
    char hash[65];
    struct key_auth key;
};
static struct {
    pthread_mutex_t mu;
    struct key_row *rows;
    size_t n;
    uint64_t generation; /* 0: none loaded */
} K = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Callers waiting for keys_sync, and the pipe that wakes the listener for them. */
#define SYNC_MAX 4096
struct sync_waiter {
    void (*done)(void *);
    void *arg;
};
static struct {
    pthread_mutex_t mu;
    struct sync_waiter waiting[SYNC_MAX];
    size_t n;
    int wake[2];
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = {-1, -1}};

bool
keys_sync(void (*done)(void *arg), void *arg)
{
    bool ok = false;

    pthread_mutex_lock(&W.mu);
    if (atomic_load(&L.connected) && W.wake[1] >= 0 && W.n < SYNC_MAX) {
        W.waiting[W.n].done = done;
        W.waiting[W.n].arg = arg;
        W.n++;
        ok = true;
    }
    pthread_mutex_unlock(&W.mu);
    if (ok && write(W.wake[1], "k", 1) < 0) {
        /* the pipe is full: the listener is awake anyway */
    }
    return ok;
}

/* The callers a sync in progress answers; only the listener thread uses it. */
static struct sync_waiter batch[2 * SYNC_MAX]; /* what was taken, and what came meanwhile */
static size_t batch_n;

/* Takes the callers waiting now into the batch; true if there are any. */
static bool
take_waiting(void)
{
    char buf[256];

    while (read(W.wake[0], buf, sizeof(buf)) > 0) {
    }
    pthread_mutex_lock(&W.mu);
    memcpy(batch + batch_n, W.waiting, W.n * sizeof(batch[0]));
    batch_n += W.n;
    W.n = 0;
    pthread_mutex_unlock(&W.mu);
    return batch_n > 0;
}

/* Calls back the batch (after its sync, or when the copy can no longer be trusted). */
static void
answer_batch(void)
{
    for (size_t i = 0; i < batch_n; i++)
        batch[i].done(batch[i].arg);
    batch_n = 0;
}

static int
key_row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct key_row *)a)->hash, ((const struct key_row *)b)->hash);
}

int
keys_lookup(const char *token_hash, struct key_auth *out)
{
    struct key_row probe, *hit;
    int found = -1;

    if (!atomic_load(&L.connected) || strlen(token_hash) >= sizeof(probe.hash))
        return -1;
    snprintf(probe.hash, sizeof(probe.hash), "%s", token_hash);
    pthread_mutex_lock(&K.mu);
    if (K.generation != 0 && K.generation == atomic_load(&L.keys_generation)) {
        hit = K.n ? bsearch(&probe, K.rows, K.n, sizeof(*K.rows), key_row_cmp) : NULL;
        found = hit != NULL;
        if (hit != NULL)
            *out = hit->key;
    }
    pthread_mutex_unlock(&K.mu);
    return found;
}

/* Loads every key for the current keys generation; false when the connection failed. */
static bool
keys_load(PGconn *pg)
{
    uint64_t generation = atomic_load(&L.keys_generation);
    PGresult *res = PQexecParams(pg, db_stmt_sql(STMT_all_keys), 0, NULL, NULL, NULL, NULL, 0);
    struct key_row *rows = NULL, *old;
    int n;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return false;
    }
    n = PQntuples(res);
    if (n > 0 && (rows = calloc((size_t)n, sizeof(*rows))) == NULL)
        abort();
    for (int i = 0; i < n; i++) {
        snprintf(rows[i].hash, sizeof(rows[i].hash), "%s", PQgetvalue(res, i, 0));
        snprintf(rows[i].key.id, sizeof(rows[i].key.id), "%s", PQgetvalue(res, i, 1));
        snprintf(rows[i].key.role, sizeof(rows[i].key.role), "%s", PQgetvalue(res, i, 2));
        snprintf(rows[i].key.partner_id, sizeof(rows[i].key.partner_id), "%s",
                 PQgetvalue(res, i, 3));
        rows[i].key.revoked = strcmp(PQgetvalue(res, i, 4), "t") == 0;
        rows[i].key.archived = strcmp(PQgetvalue(res, i, 5), "t") == 0;
    }
    PQclear(res);
    if (n > 1)
        qsort(rows, (size_t)n, sizeof(*rows), key_row_cmp);
    pthread_mutex_lock(&K.mu);
    old = K.rows;
    K.rows = rows;
    K.n = (size_t)n;
    K.generation = generation;
    pthread_mutex_unlock(&K.mu);
    free(old);
    return true;
}

static uint64_t
keys_loaded_generation(void)
{
    uint64_t g;
    pthread_mutex_lock(&K.mu);
    g = K.generation;
    pthread_mutex_unlock(&K.mu);
    return g;
}

static PGconn *
listen_connect(void)
{
    const char *keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                          "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                          "application_name",    "dbname",           NULL};
    const char *vals[] = {"3", "1", "5", "2", "2", "5000", "stekd-listen", L.url, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    PGresult *res;

    if (PQstatus(pg) != CONNECTION_OK) {
        PQfinish(pg);
        return NULL;
    }
    res = PQexec(pg, "LISTEN stek_feed; LISTEN stek_keys");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        PQclear(res);
        PQfinish(pg);
        return NULL;
    }
    PQclear(res);
    return pg;
}

/* Reads the notifications that arrived: each moves its generation on. */
static void
take_notifications(PGconn *pg)
{
    PGnotify *n;
    bool changed = false;

    while ((n = PQnotifies(pg)) != NULL) {
        if (strcmp(n->relname, "stek_keys") == 0)
            atomic_fetch_add(&L.keys_generation, 1);
        else
            changed = true;
        PQfreemem(n);
    }
    if (changed)
        atomic_fetch_add(&L.generation, 1);
}

/* Forgets the connection: whatever happens until the next one is unknown. */
static PGconn *
lost(PGconn *pg, const char *why)
{
    if (why != NULL)
        log_event("warn", why, NULL);
    PQfinish(pg);
    atomic_store(&L.connected, false);
    atomic_fetch_add(&L.generation, 1);
    atomic_fetch_add(&L.keys_generation, 1);
    take_waiting();
    answer_batch(); /* they find the copy untrusted and use a worker */
    return NULL;
}

static void *
listener_main(void *arg)
{
    PGconn *pg = NULL;
    (void)arg;

    while (!atomic_load(&L.stop)) {
        if (pg == NULL) {
            pg = listen_connect();
            if (pg == NULL) {
                atomic_store(&L.connected, false);
                take_waiting();
                answer_batch();
                for (int i = 0; i < 10 && !atomic_load(&L.stop); i++)
                    usleep(100000);
                continue;
            }
            /* Whatever happened while we could not listen is unknown: start afresh. */
            atomic_fetch_add(&L.generation, 1);
            atomic_fetch_add(&L.keys_generation, 1);
            atomic_store(&L.connected, true);
        }
        /* A round trip delivers every notification committed before it. */
        if (take_waiting()) {
            PGresult *res =
                PQexecParams(pg, db_stmt_sql(STMT_keys_sync), 0, NULL, NULL, NULL, NULL, 0);
            bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
            PQclear(res);
            if (!ok) {
                pg = lost(pg, "feed listener lost its connection");
                continue;
            }
            take_notifications(pg);
        }
        /* A key changed (or we reconnected): load them all before trusting the copy again. */
        if (keys_loaded_generation() != atomic_load(&L.keys_generation) && !keys_load(pg)) {
            pg = lost(pg, "feed listener could not load the API keys");
            continue;
        }
        answer_batch();
        struct pollfd pfd[2] = {{.fd = PQsocket(pg), .events = POLLIN},
                                {.fd = W.wake[0], .events = POLLIN}};
        int rc = poll(pfd, 2, 200);
        if (rc < 0)
            continue;
        if (pfd[0].revents != 0 && !PQconsumeInput(pg)) {
            pg = lost(pg, "feed listener lost its connection");
            continue;
        }
        take_notifications(pg);
        if (rc == 0 && PQstatus(pg) != CONNECTION_OK)
            pg = lost(pg, NULL);
    }
    if (pg != NULL)
        PQfinish(pg);
    atomic_store(&L.connected, false);
    take_waiting();
    answer_batch();
    return NULL;
}

void
feed_listener_start(const char *url)
{
    L.url = strdup(url);
    if (L.url == NULL)
        abort();
    atomic_store(&L.generation, 1);
    if (pipe(W.wake) != 0 || fcntl(W.wake[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(W.wake[1], F_SETFL, O_NONBLOCK) != 0)
        abort();
    L.started = pthread_create(&L.thread, NULL, listener_main, NULL) == 0;
}

void
feed_listener_stop(void)
{
    if (L.started) {
        atomic_store(&L.stop, true);
        pthread_join(L.thread, NULL);
        L.started = false;
    }
    free(L.url);
    L.url = NULL;
    pthread_mutex_lock(&W.mu);
    for (int i = 0; i < 2; i++) {
        if (W.wake[i] >= 0)
            close(W.wake[i]);
        W.wake[i] = -1;
    }
    pthread_mutex_unlock(&W.mu);
    pthread_mutex_lock(&K.mu);
    free(K.rows);
    K.rows = NULL;
    K.n = 0;
    K.generation = 0;
    pthread_mutex_unlock(&K.mu);
}
