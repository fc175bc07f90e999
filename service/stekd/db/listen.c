#include "internal.h"
#include "stek/clock.h"
#include "stek/crypto.h"
#include "stek/job.h"
#include "stek/keystore.h"
#include "stek/listen.h"
#include "stek/log.h"
#include "stek/replicas.h"
#include "stek/search.h"

#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void listener_run(struct job *j);

static struct {
    struct job job;
    char *url;
    atomic_bool connected;
    atomic_uint_fast64_t generation;
    atomic_uint_fast64_t generation_lsn;
    pthread_mutex_t lock;   /* for changed */
    pthread_cond_t changed; /* the feed generation moved on */
} L = {.job = JOB_INIT("listener", listener_run, NULL),
       .lock = PTHREAD_MUTEX_INITIALIZER,
       .changed = PTHREAD_COND_INITIALIZER};

/* Moves the feed generation on and wakes whoever waits for that (the model's loader). */
static void
feed_generation_next(void)
{
    pthread_mutex_lock(&L.lock);
    atomic_fetch_add(&L.generation, 1);
    pthread_cond_broadcast(&L.changed);
    pthread_mutex_unlock(&L.lock);
}

void
feed_generation_wake(void)
{
    pthread_mutex_lock(&L.lock);
    pthread_cond_broadcast(&L.changed);
    pthread_mutex_unlock(&L.lock);
}

uint64_t
feed_generation_wait(uint64_t seen, int timeout_ms)
{
    struct timespec until;
    uint64_t now;

    until = deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&L.lock);
    if ((now = atomic_load(&L.generation)) == seen)
        pthread_cond_timedwait(&L.changed, &L.lock, &until);
    now = atomic_load(&L.generation);
    pthread_mutex_unlock(&L.lock);
    return now;
}

uint64_t
feed_generation_lsn(void)
{
    return atomic_load(&L.generation_lsn);
}

void
feed_changed_at(uint64_t lsn)
{
    uint64_t was = atomic_load(&L.generation_lsn);
    while (was < lsn && !atomic_compare_exchange_weak(&L.generation_lsn, &was, lsn))
        ;
    feed_generation_next();
}

/* With replicas: the primary's position now, which a change just notified has reached (before
 * the generation moves on); unknown: every feed read goes to the primary until it is known. */
static void
note_position(PGconn *pg)
{
    if (replicas_count() == 0)
        return;
    PGresult *res = PQexecParams(pg, db_stmt_sql(STMT0(current_lsn)), 0, NULL, NULL, NULL, NULL, 0);
    uint64_t lsn = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
                       ? lsn_parse(PQgetvalue(res, 0, 0))
                       : 0;
    PQclear(res);
    atomic_store(&L.generation_lsn, lsn != 0 ? lsn : UINT64_MAX);
}

#define SCOPES 4096
static atomic_uint_fast64_t scope_marks[SCOPES], all_mark;

static void
raise_to(atomic_uint_fast64_t *mark, uint64_t gen)
{
    uint64_t was = atomic_load(mark);
    while (was < gen && !atomic_compare_exchange_weak(mark, &was, gen))
        ;
}

uint64_t
feed_scope_generation(const char *fold)
{
    uint64_t all = atomic_load(&all_mark);
    uint64_t one = atomic_load(&scope_marks[stek_fnv1a(STEK_FNV_BASIS, fold) % SCOPES]);
    return one > all ? one : all;
}

void
feed_scope_changed(const char *fold, uint64_t gen)
{
    raise_to(&scope_marks[stek_fnv1a(STEK_FNV_BASIS, fold) % SCOPES], gen);
}

void
feed_scope_all_changed(uint64_t gen)
{
    raise_to(&all_mark, gen);
}

/* The listener's state, told to the key store too (it trusts its copy only while connected). */
static void
set_connected(bool up)
{
    atomic_store(&L.connected, up);
    keystore_listener_connected(up);
}

uint64_t
feed_generation(void)
{
    return atomic_load(&L.generation);
}

void
feed_changed_here(void)
{
    feed_generation_next();
}

bool
feed_listener_connected(void)
{
    return atomic_load(&L.connected);
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
    res = PQexec(pg, "LISTEN stek_feed; LISTEN stek_keys; LISTEN stek_search");
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
            keys_changed_here();
        else if (strcmp(n->relname, "stek_search") == 0)
            search_changed_here();
        else
            changed = true;
        PQfreemem(n);
    }
    if (changed) {
        note_position(pg);
        feed_generation_next();
    }
}

/* Forgets the connection: whatever happens until the next one is unknown. */
static PGconn *
lost(PGconn *pg, const char *why)
{
    if (why != NULL)
        log_event("warn", why, NULL);
    PQfinish(pg);
    set_connected(false);
    feed_generation_next();
    keys_changed_here();
    keystore_take_waiting();
    keystore_answer_waiting(); /* they find the copy untrusted and use a worker */
    return NULL;
}

/* The listener's loop: it polls its connection at least every 200 ms, so a stop is quick. */
static void
listener_run(struct job *j)
{
    PGconn *pg = NULL;

    while (!job_stopping(j)) {
        if (pg == NULL) {
            pg = listen_connect();
            if (pg == NULL) {
                set_connected(false);
                keystore_take_waiting();
                keystore_answer_waiting();
                job_sleep(j, 1000);
                continue;
            }
            /* Whatever happened while we could not listen is unknown: start afresh. */
            note_position(pg);
            set_connected(true);
            feed_generation_next(); /* the model reads the change log from where it stood */
            keys_changed_here();
            search_changed_here();
        }
        /* A round trip delivers every notification committed before it. */
        if (keystore_take_waiting()) {
            PGresult *res =
                PQexecParams(pg, db_stmt_sql(STMT0(keys_sync)), 0, NULL, NULL, NULL, NULL, 0);
            bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
            PQclear(res);
            if (!ok) {
                pg = lost(pg, "feed listener lost its connection");
                continue;
            }
            take_notifications(pg);
        }
        /* A key changed (or we reconnected): load them all before trusting the copy again. */
        if (keystore_generation() != keys_generation() && !keystore_load(pg, keys_generation())) {
            pg = lost(pg, "feed listener could not load the API keys");
            continue;
        }
        if (search_config_stale() && !search_config_load(pg)) {
            pg = lost(pg, "feed listener could not read the search's synonyms");
            continue;
        }
        keystore_answer_waiting();
        struct pollfd pfd[2] = {{.fd = PQsocket(pg), .events = POLLIN},
                                {.fd = keystore_wake_fd(), .events = POLLIN}};
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
    set_connected(false);
    keystore_take_waiting();
    keystore_answer_waiting();
}

void
feed_listener_start(const char *url)
{
    L.url = strdup(url);
    if (L.url == NULL)
        abort();
    atomic_store(&L.generation, 1);
    keystore_open();
    PGconn *pg = listen_connect(); /* q needs its stop words from the first request on */
    if (pg != NULL) {
        search_config_load(pg);
        PQfinish(pg);
    }
    job_start(&L.job);
}

void
feed_listener_stop(void)
{
    job_stop(&L.job);
    free(L.url);
    L.url = NULL;
    keystore_close();
    search_vocab_free(); /* the model, stopped before, kept its vocabulary there */
}
