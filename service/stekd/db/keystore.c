/*
 * The in-memory copy of the API keys: a snapshot sorted by token hash, valid
 * for the keys generation it was loaded in, and the callers waiting for the
 * listener to catch up (keys_sync). The listener thread (listen.c) loads it.
 */
#include "internal.h"
#include "stek/keystore.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static atomic_uint_fast64_t keys_gen; /* keys_generation() */
static atomic_bool listener_up;       /* keystore_listener_connected() */

uint64_t
keys_generation(void)
{
    return atomic_load(&keys_gen);
}

void
keys_changed_here(void)
{
    atomic_fetch_add(&keys_gen, 1);
}

void
keystore_listener_connected(bool up)
{
    atomic_store(&listener_up, up);
}

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
    if (atomic_load(&listener_up) && W.wake[1] >= 0 && W.n < SYNC_MAX) {
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

bool
keystore_take_waiting(void)
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

void
keystore_answer_waiting(void)
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

    if (!atomic_load(&listener_up) || strlen(token_hash) >= sizeof(probe.hash))
        return -1;
    snprintf(probe.hash, sizeof(probe.hash), "%s", token_hash);
    pthread_mutex_lock(&K.mu);
    if (K.generation != 0 && K.generation == keys_generation()) {
        hit = K.n ? bsearch(&probe, K.rows, K.n, sizeof(*K.rows), key_row_cmp) : NULL;
        found = hit != NULL;
        if (hit != NULL)
            *out = hit->key;
    }
    pthread_mutex_unlock(&K.mu);
    return found;
}

unsigned
keys_ending_within(int64_t now, int64_t seconds)
{
    unsigned n = 0;
    pthread_mutex_lock(&K.mu);
    for (size_t i = 0; i < K.n; i++) {
        const struct key_auth *k = &K.rows[i].key;
        n += !k->revoked && !k->replaced && k->valid_until > now && k->valid_until <= now + seconds;
    }
    pthread_mutex_unlock(&K.mu);
    return n;
}

bool
keystore_load(PGconn *pg, uint64_t generation)
{
    PGresult *res = PQexecParams(pg, db_stmt_sql(STMT0(all_keys)), 0, NULL, NULL, NULL, NULL, 0);
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
        db_key_auth_row(res, i, 1, &rows[i].key);
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

uint64_t
keystore_generation(void)
{
    uint64_t g;
    pthread_mutex_lock(&K.mu);
    g = K.generation;
    pthread_mutex_unlock(&K.mu);
    return g;
}

int
keystore_wake_fd(void)
{
    return W.wake[0];
}

void
keystore_open(void)
{
    if (pipe(W.wake) != 0 || fcntl(W.wake[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(W.wake[1], F_SETFL, O_NONBLOCK) != 0)
        abort();
}

void
keystore_close(void)
{
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
