#include "stek/pool.h"
#include "stek/auth.h"
#include "stek/cache.h"
#include "stek/clock.h"
#include "stek/db.h"
#include "stek/listen.h"
#include "stek/metrics.h"
#include "stek/replicas.h"
#include "stek/reply.h"
#include "stek/router.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
    struct pool *pool;
    pthread_t thread;
    struct db_conn *db;   /* owned by this worker's thread alone */
    struct db_conn *read; /* its replica's connection (NULL without replicas) */
    unsigned replica;
    _Atomic int64_t busy_since; /* monotonic ms when its current job began; 0: idle */
};

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct request **queue; /* ring buffer of suspended requests */
    unsigned qcap, qhead, qlen;
    bool stop;
    struct worker *workers;
    unsigned nworkers;
    void (*done)(struct request *r);
};

static bool
is_write(const struct request *r)
{
    return r->method == M_POST || r->method == M_PATCH || r->method == M_DELETE;
}

/*
 * The connection a request runs on: a public read goes to the worker's replica when it has
 * replayed what the reader must see (replicas.h), else to the primary; NULL when neither can
 * answer.
 */
static struct db_conn *
connection_for(struct worker *w, struct request *r, bool *replica, bool primary_only)
{
    *replica = false;
    if (w->read != NULL && (r->route->flags & ROUTE_READ) && !primary_only) {
        uint64_t need = r->read_after;
        char tag[24];
        /* A key that wrote here lately reads its own writes without asking (replicas.h). */
        if (r->h_authorization != NULL && auth_token_tag(r, tag) &&
            replicas_key_position(tag) > need)
            need = replicas_key_position(tag);
        if ((r->route->flags & ROUTE_READ_FEED) && feed_generation_lsn() > need)
            need = feed_generation_lsn();
        /* While the primary is away, a read that needs nothing in particular takes what the
         * replica has, even behind: an older answer beats none. */
        if (replica_usable(w->replica, need) ||
            (need == 0 && !primary_available() && replica_reachable(w->replica))) {
            if (db_conn_ensure(w->read)) {
                *replica = true;
                return w->read;
            }
            replica_failed(w->replica);
        }
    }
    return db_conn_ensure(w->db) ? w->db : NULL;
}

/* After a write: its position (the reader's Stek-Read-After), and for a write to feed data the
 * feed's generation (a signal or a key leaves the feed's caches and model as they are). */
static void
after_write(struct worker *w, struct request *r)
{
    char lsn[32];
    bool feed = (r->route->flags & ROUTE_FEED_WRITE) != 0;

    if (r->route->flags & ROUTE_SIGNALS_WRITE)
        cache_signals_changed();

    if (w->read == NULL || db_current_lsn(w->db, lsn) <= 0) {
        if (feed)
            feed_changed_here();
        return;
    }
    if (feed)
        feed_changed_at(lsn_parse(lsn));
    char tag[24];
    if (auth_token_tag(r, tag))
        replicas_note_write(tag, lsn_parse(lsn));
    reply_header(r, "Stek-LSN", lsn);
}

static void
run_job(struct worker *w, struct request *r)
{
    bool primary_only = false;

    for (int attempt = 0; attempt < 2; attempt++) {
        bool replica;
        struct db_conn *db = connection_for(w, r, &replica, primary_only);
        /* A public read rides through a failover (a promoted replica takes connections a
         * moment later): it tries again for up to two seconds before it gives up. */
        for (int wait = 0;
             db == NULL && w->read != NULL && (r->route->flags & ROUTE_READ) && wait < 20; wait++) {
            struct timespec pause = {0, 100000000};
            nanosleep(&pause, NULL);
            db = connection_for(w, r, &replica, primary_only);
        }
        if (db == NULL) {
            reply_problem(r, ERR_DB_UNAVAILABLE, NULL,
                          w->read != NULL && !primary_available()
                              ? "the primary database cannot be reached and no replica has"
                                " what this request needs; retry later"
                          : db_out_of_room(w->db)
                              ? "the database is out of room (its disk full or its connections "
                                "all taken); nothing was written; retry later"
                              : "the database cannot be reached; retry later");
            if (w->read != NULL && !primary_available())
                reply_header(r, "Stek-Primary", "unavailable");
            return;
        }
        r->db = db;
        db_conn_begin_request(w->db);
        /* Authenticated on the I/O thread unless the in-memory keys could not decide. */
        /* A public answer's lookup found the model behind: settled first (what a computed
         * answer is kept at), and often the kept answer still stands. */
        bool answered = cache_public_settle(r);
        if (!answered && (r->route->allow == R_PUBLIC ||
                          ((r->authorized || auth_check(r, r->route->allow) == AUTH_OK) &&
                           ((r->route->flags & ROUTE_KEY_IN_STATEMENT) || auth_confirm_write(r)))))
            r->route->handler(r);
        cache_public_keep(r); /* a public read's answer, for the next reader */
        if (is_write(r) && r->reply.status >= 200 && r->reply.status < 300)
            after_write(w, r); /* before the answer: a client reads its own write */
        db_rollback(db);       /* a no-op unless a handler left a transaction open */
        if (r->who.authenticated && !replica)
            auth_note_use(db, r->who.key_id, service_today());
        r->db = NULL;
        if (replica)
            reply_header(r, "Stek-Served-By", "replica");
        if (w->read != NULL && !primary_available())
            reply_header(r, "Stek-Primary", "unavailable");
        /*
         * A pooled connection the server closed while it was idle fails the first
         * statement: nothing of this request ran, so it runs once more on a new one.
         */
        /* A read a replica could not finish (a conflict with what it replays, which can hold
         * a table's lock until max_standby_streaming_delay: the statement timed out) runs once
         * more on the primary: found by a one-hour soak, three reads in 1.3 million. */
        bool replica_conflict =
            replica && !is_write(r) && r->reply.status >= 500 && db_replica_conflict(db);
        if ((!db_conn_lost_at_start(db) && !replica_conflict) || attempt == 1) {
            if (replica && db_conn_lost(db))
                replica_failed(w->replica);
            return;
        }
        primary_only = replica_conflict;
        reply_clear(&r->reply);
        json_decref(r->json);
        r->json = NULL;
        if (!r->authorized)
            memset(&r->who, 0, sizeof(r->who));
    }
}

static int64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool
pool_stalled(struct pool *p, int64_t bound_ms)
{
    int64_t now = now_ms();
    for (unsigned i = 0; i < p->nworkers; i++) {
        int64_t since = atomic_load(&p->workers[i].busy_since);
        if (since == 0 || now - since <= bound_ms)
            return false; /* a worker that is free or recent: the pool makes progress */
    }
    return p->nworkers > 0;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;

    for (;;) {
        struct request *r;

        pthread_mutex_lock(&p->mu);
        while (p->qlen == 0 && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->qlen == 0) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        r = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        pthread_mutex_unlock(&p->mu);
        metric_pool(1, -1);
        atomic_store(&w->busy_since, now_ms());
        run_job(w, r);
        atomic_store(&w->busy_since, 0);
        metric_pool(-1, 0);
        p->done(r);
    }
    return NULL;
}

struct pool *
pool_start(const struct stek_config *cfg, void (*done)(struct request *r))
{
    struct pool *p = calloc(1, sizeof(*p));

    if (p == NULL)
        abort();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->done = done;
    p->qcap = cfg->queue_limit;
    p->queue = calloc(p->qcap, sizeof(*p->queue));
    p->nworkers = cfg->db_workers;
    metric_pool_size((int)p->nworkers);
    p->workers = calloc(p->nworkers, sizeof(*p->workers));
    if (p->queue == NULL || p->workers == NULL)
        abort();
    for (unsigned i = 0; i < p->nworkers; i++) {
        p->workers[i].pool = p;
        p->workers[i].db = db_conn_new(cfg->database_url, "stekd", (int)cfg->statement_timeout_ms);
        if (replicas_count() > 0) { /* the workers spread over the replicas */
            p->workers[i].replica = i % replicas_count();
            p->workers[i].read = db_conn_new(replica_url(p->workers[i].replica), "stekd-read",
                                             (int)cfg->statement_timeout_ms);
        }
        pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
    }
    return p;
}

bool
pool_submit(struct pool *p, struct request *r, void (*before)(struct request *r))
{
    pthread_mutex_lock(&p->mu);
    if (p->qlen == p->qcap || p->stop) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    if (p->qlen > 0)
        metric_inc(M_DB_WAITS);
    metric_pool(0, 1);
    before(r);
    p->queue[(p->qhead + p->qlen) % p->qcap] = r;
    p->qlen++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return true;
}

void
pool_stop(struct pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    /* Workers drain the queue before they exit, so no request stays suspended. */
    for (unsigned i = 0; i < p->nworkers; i++) {
        pthread_join(p->workers[i].thread, NULL);
        db_conn_free(p->workers[i].db);
        db_conn_free(p->workers[i].read);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->queue);
    free(p->workers);
    free(p);
}
