/*
 * Keeps the feed's in-memory model (feedmodel.h) current: a thread that, when
 * the feed generation moves on (or the day changes), reads every table the
 * feed needs in one REPEATABLE READ transaction on its own connection and
 * swaps the new model in. Readers hold a reference, so a model is freed only
 * when its last query is done. With read replicas it loads from one that has
 * replayed the position the generation stands for (listen.h), else from the
 * primary: N daemons following a change do not all read the primary.
 */
#include "internal.h"
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/feed.h"
#include "stek/feedmodel.h"
#include "stek/listen.h"
#include "stek/log.h"
#include "stek/replicas.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MODEL_CHUNK 5000 /* offers or schedules per statement while loading */

enum { R_SITES, R_PARTNERS, R_OFFERS, R_SCHEDULES, R_EXCEPTIONS, R_CLOSURES, R_COUNT };

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t published;   /* a new model is current */
    struct feed_model *current; /* under lock */
    char *url;
    atomic_bool stop;
    bool started;
    atomic_size_t offers, schedules;
    atomic_uint_fast64_t loads, load_us, replica_loads;
} M = {.lock = PTHREAD_MUTEX_INITIALIZER, .published = PTHREAD_COND_INITIALIZER};

/*
 * The model's strings, copied out of the results into large blocks (a result
 * costs several times its text), and its JSON arrays of names, shared by text
 * (offers have few different lists of functions and categories).
 */
#define BLOCK_SIZE (256u << 10)

struct block {
    struct block *next;
    size_t used, size;
    char data[];
};

struct storage {
    struct block *blocks;
    json_t *names; /* text -> the parsed array, shared */
};

static void
free_storage(void *p)
{
    struct storage *st = p;
    while (st->blocks != NULL) {
        struct block *b = st->blocks;
        st->blocks = b->next;
        free(b);
    }
    json_decref(st->names);
    free(st);
}

static const char *
keep(struct storage *st, const char *s)
{
    size_t n;
    struct block *b = st->blocks;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
        b = malloc(sizeof(*b) + size);
        if (b == NULL)
            abort();
        b->used = 0;
        b->size = size;
        b->next = st->blocks;
        st->blocks = b;
    }
    char *out = b->data + b->used;
    memcpy(out, s, n);
    b->used += n;
    return out;
}

/* A text column, copied into the model's storage; NULL for SQL NULL. */
static const char *
opt(struct feed_model *m, PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : keep(m->storage, PQgetvalue(res, row, col));
}

static const char *
text(struct feed_model *m, PGresult *res, int row, int col)
{
    return keep(m->storage, PQgetvalue(res, row, col));
}

static long long
num(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
flag(PGresult *res, int row, int col)
{
    return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/* A JSON column, parsed and kept by the model; NULL when it does not parse (cannot happen). */
static json_t *
json_col(struct feed_model *m, PGresult *res, int row, int col)
{
    const char *t = PQgetvalue(res, row, col);
    json_t *v;

    if (strcmp(t, "{}") == 0)
        return m->empty_object;
    if (t[0] == '[') { /* a list of names: shared */
        struct storage *st = m->storage;
        v = json_object_get(st->names, t);
        if (v == NULL && (v = json_loads(t, 0, NULL)) != NULL)
            json_object_set_new(st->names, t, v);
        return v;
    }
    v = json_loads(t, 0, NULL);
    if (v != NULL)
        json_array_append_new(m->owned, v);
    return v;
}

/* The index of id in a model table sorted by id (each record starts with its id); -1: absent. */
static long
find_id(const void *table, size_t n, size_t size, const char *id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(*(const char *const *)((const char *)table + mid * size), id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
#define FIND(m, table, id) find_id((m)->table, (m)->n##table, sizeof(*(m)->table), (id))

/* The array p with room for n records (a chunk's worth more each time). */
static void *
grow(void *p, size_t n, size_t size)
{
    p = realloc(p, (n + 1) * size);
    if (p == NULL)
        abort();
    return p;
}

static void *
alloc(size_t n, size_t size)
{
    void *p = calloc(n + 1, size);
    if (p == NULL)
        abort();
    return p;
}

/* Takes one table's result into the model; false when it does not fit with the tables before. */
static bool
build(struct feed_model *m, int table, PGresult *r)
{
    int n;

    switch (table) {
    case R_SITES:
        m->nsites = (size_t)(n = PQntuples(r));
        m->sites = alloc(m->nsites, sizeof(*m->sites));
        for (int i = 0; i < n; i++) {
            struct fm_site *s = &m->sites[i];
            s->id = text(m, r, i, 0);
            s->doc = text(m, r, i, 1);
            s->active = flag(r, i, 2);
            s->fold = text(m, r, i, 3);
            s->postal_code = text(m, r, i, 4);
            s->has_location = !PQgetisnull(r, i, 5);
            s->lat = s->has_location ? strtod(PQgetvalue(r, i, 5), NULL) : 0;
            s->lon = s->has_location ? strtod(PQgetvalue(r, i, 6), NULL) : 0;
            s->timezone = text(m, r, i, 7);
            s->email = opt(m, r, i, 8);
            s->phone = opt(m, r, i, 9);
            s->updated = num(r, i, 10);
        }
        return true;
    case R_PARTNERS:
        m->npartners = (size_t)(n = PQntuples(r));
        m->partners = alloc(m->npartners, sizeof(*m->partners));
        for (int i = 0; i < n; i++)
            m->partners[i] = (struct fm_partner){.id = text(m, r, i, 0),
                                                 .name = text(m, r, i, 1),
                                                 .email = opt(m, r, i, 2),
                                                 .phone = opt(m, r, i, 3),
                                                 .updated = num(r, i, 4)};
        return true;
    case R_OFFERS: /* in chunks: each appends */
        n = PQntuples(r);
        m->offers = grow(m->offers, m->noffers + (size_t)n, sizeof(*m->offers));
        for (int i = 0; i < n; i++) {
            struct fm_offer *o = &m->offers[m->noffers++];
            long partner = FIND(m, partners, PQgetvalue(r, i, 9));
            long site = FIND(m, sites, PQgetvalue(r, i, 10));
            *o = (struct fm_offer){.id = text(m, r, i, 0),
                                   .title = text(m, r, i, 1),
                                   .description = opt(m, r, i, 2),
                                   .functions = json_col(m, r, i, 3),
                                   .categories = json_col(m, r, i, 4),
                                   .free = flag(r, i, 5),
                                   .price_note = opt(m, r, i, 6),
                                   .version = (long)num(r, i, 7),
                                   .updated = num(r, i, 8),
                                   .partner = (uint32_t)partner,
                                   .site = (uint32_t)site,
                                   .registration = text(m, r, i, 11),
                                   .audience = opt(m, r, i, 12),
                                   .email = opt(m, r, i, 13),
                                   .phone = opt(m, r, i, 14),
                                   .main_language = text(m, r, i, 15),
                                   .translations = json_col(m, r, i, 16),
                                   .fold = text(m, r, i, 17),
                                   .kind = feed_kind(PQgetvalue(r, i, 18))};
            if (partner < 0 || site < 0 || !o->functions || !o->categories || !o->translations)
                return false;
        }
        return true;
    case R_SCHEDULES: /* in chunks: each appends */
        n = PQntuples(r);
        m->schedules = grow(m->schedules, m->nschedules + (size_t)n, sizeof(*m->schedules));
        for (int i = 0; i < n; i++) {
            long offer = FIND(m, offers, PQgetvalue(r, i, 0));
            long site = FIND(m, sites, PQgetvalue(r, i, 1));
            if (offer < 0 || site < 0)
                return false;
            m->schedules[m->nschedules++] = (struct fm_schedule){
                .offer = (uint32_t)offer,
                .site = (uint32_t)site,
                .dtstart = (int32_t)num(r, i, 2),
                .until = PQgetisnull(r, i, 3) ? DAY_NONE : (int32_t)num(r, i, 3),
                .rrule = opt(m, r, i, 4),
                .start_min = (int)num(r, i, 5),
                .end_min = (int)num(r, i, 6)};
        }
        return true;
    case R_EXCEPTIONS:
        m->nexceptions = (size_t)(n = PQntuples(r));
        m->exceptions = alloc(m->nexceptions, sizeof(*m->exceptions));
        for (int i = 0; i < n; i++) {
            long offer = FIND(m, offers, PQgetvalue(r, i, 0));
            long site = PQgetisnull(r, i, 9) ? -1 : FIND(m, sites, PQgetvalue(r, i, 9));
            struct fm_exception *e = &m->exceptions[i];
            *e = (struct fm_exception){.offer = (uint32_t)offer,
                                       .day = (int32_t)num(r, i, 1),
                                       .status = text(m, r, i, 2),
                                       .has_times = !PQgetisnull(r, i, 3),
                                       .note = opt(m, r, i, 5),
                                       .main_language = text(m, r, i, 6),
                                       .translations = json_col(m, r, i, 7),
                                       .changed = num(r, i, 8),
                                       .site = (int32_t)site};
            if (e->has_times) {
                e->start_min = (int)num(r, i, 3);
                e->end_min = (int)num(r, i, 4);
            }
            if (offer < 0 || (site < 0 && !PQgetisnull(r, i, 9)) || e->translations == NULL)
                return false;
        }
        return true;
    case R_CLOSURES:
        m->nclosures = (size_t)(n = PQntuples(r));
        m->closures = alloc(m->nclosures, sizeof(*m->closures));
        for (int i = 0; i < n; i++) {
            long site = FIND(m, sites, PQgetvalue(r, i, 0));
            struct fm_closure *c = &m->closures[i];
            *c = (struct fm_closure){.site = (uint32_t)site,
                                     .from = (int32_t)num(r, i, 1),
                                     .to = (int32_t)num(r, i, 2),
                                     .note = opt(m, r, i, 3),
                                     .main_language = text(m, r, i, 4),
                                     .translations = json_col(m, r, i, 5),
                                     .changed = num(r, i, 6)};
            if (site < 0 || c->translations == NULL)
                return false;
        }
        return feed_model_index(m);
    }
    return false;
}

/* Reads a model at generation gen; NULL when the database did not answer. */
static struct feed_model *
load(struct db_conn *db, uint64_t gen)
{
    int32_t today = service_today();
    char first[11], last[11];
    const char *days[] = {first, last}, *none[1] = {NULL};
    struct feed_model *m;
    bool ok = true;

    date_format(today - FEED_MODEL_DAYS_BEFORE, first);
    date_format(today + FEED_MODEL_DAYS_AFTER, last);
    if (db_begin_snapshot(db) != DB_NO_ROWS)
        return NULL;
    m = feed_model_new();
    struct storage *st = calloc(1, sizeof(*st));
    if (st == NULL)
        abort();
    st->names = json_object();
    m->storage = st;
    m->free_storage = free_storage;
    m->generation = gen;
    m->first_day = today - FEED_MODEL_DAYS_BEFORE;
    m->last_day = today + FEED_MODEL_DAYS_AFTER;
    /* One table at a time, the large ones in chunks, each result freed once copied: the peak is
     * the model and one chunk. */
    char after[40] = "", position[16] = "", chunk[16];
    snprintf(chunk, sizeof(chunk), "%d", MODEL_CHUNK);
    for (int t = 0; t < R_COUNT && ok;) {
        enum db_qs qs;
        const char *offers[] = {after[0] ? after : NULL, chunk};
        const char *schedules[] = {after[0] ? after : NULL, position[0] ? position : NULL, chunk};
        PGresult *r = t == R_SITES      ? db_exec(db, STMT0(model_sites), none, &qs)
                      : t == R_PARTNERS ? db_exec(db, STMT0(model_partners), none, &qs)
                      : t == R_OFFERS   ? db_exec(db, STMT(model_offers, offers), offers, &qs)
                      : t == R_SCHEDULES
                          ? db_exec(db, STMT(model_schedules, schedules), schedules, &qs)
                      : t == R_EXCEPTIONS ? db_exec(db, STMT(model_exceptions, days), days, &qs)
                                          : db_exec(db, STMT(model_closures, days), days, &qs);
        if (r == NULL) {
            ok = false;
            break;
        }
        int n = PQntuples(r);
        bool more = (t == R_OFFERS || t == R_SCHEDULES) && n == MODEL_CHUNK;
        if (more) { /* where the next chunk starts */
            snprintf(after, sizeof(after), "%s", PQgetvalue(r, n - 1, 0));
            snprintf(position, sizeof(position), "%s",
                     t == R_SCHEDULES ? PQgetvalue(r, n - 1, 7) : "");
        } else {
            after[0] = position[0] = '\0';
        }
        if (!build(m, t, r)) {
            log_event("error", "the feed model's tables did not fit together", NULL);
            ok = false;
        }
        PQclear(r);
        if (!more)
            t++;
    }
    db_rollback(db); /* read only */
    if (!ok) {
        feed_model_release(m);
        return NULL;
    }
    return m;
}

static void
publish(struct feed_model *m)
{
    struct feed_model *old;

    pthread_mutex_lock(&M.lock);
    old = M.current;
    M.current = m;
    pthread_cond_broadcast(&M.published);
    pthread_mutex_unlock(&M.lock);
    feed_model_release(old);
    malloc_trim(0); /* the load's results and, once its readers are done, the old model */
}

/* How long a load waits for a replica to replay the change before it reads the primary: a
 * healthy replica replays in milliseconds, and every feed reader waits for this load. */
#define REPLICA_WAIT_MS 100

/*
 * A replica in rotation that has replayed need (asked on its own connection, not the monitor's
 * last sample), rotating over them; waits up to REPLICA_WAIT_MS for one. NULL: the primary.
 */
static struct db_conn *
replica_for(struct db_conn **conns, unsigned n, uint64_t need, unsigned *next, unsigned *which)
{
    if (n == 0 || need == UINT64_MAX || need == 0) /* no replica, or the position unknown */
        return NULL;
    for (int waited = 0; waited <= REPLICA_WAIT_MS && !atomic_load(&M.stop); waited += 10) {
        for (unsigned k = 0; k < n; k++) {
            unsigned i = (*next + k) % n;
            char lsn[32];
            if (conns[i] != NULL && replica_usable(i, 0) && db_conn_ensure(conns[i]) &&
                db_replayed_lsn(conns[i], lsn) > 0 && lsn_parse(lsn) >= need) {
                *next = i + 1;
                *which = i;
                return conns[i];
            }
        }
        usleep(10000);
    }
    return NULL;
}

static void *
model_main(void *arg)
{
    const struct stek_config *cfg = stek_config();
    int timeout = (int)cfg->statement_timeout_ms * 20;
    struct db_conn *db = db_conn_new(M.url, "stekd-model", timeout);
    struct db_conn *reads[8] = {NULL};
    unsigned nreads = replicas_count() < 8 ? replicas_count() : 8, next = 0;
    uint64_t have = 0;
    int32_t have_day = 0;
    (void)arg;

    for (unsigned i = 0; i < nreads; i++)
        reads[i] = db_conn_new(replica_url(i), "stekd-model", timeout);
    while (!atomic_load(&M.stop)) {
        uint64_t gen = feed_generation();
        /* read after the generation: the position noted before it moved on (listen.c) */
        uint64_t need = feed_generation_lsn();
        unsigned which = 0;
        struct db_conn *from = (gen != have || have_day != service_today())
                                   ? replica_for(reads, nreads, need, &next, &which)
                                   : NULL;
        if ((gen != have || have_day != service_today()) && feed_listener_connected() &&
            (from != NULL || db_conn_ensure(db))) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            int32_t day = service_today();
            struct feed_model *m = load(from != NULL ? from : db, gen);
            if (m == NULL && from != NULL) { /* the replica failed under it: the primary */
                replica_failed(which);
                m = db_conn_ensure(db) ? load(db, gen) : NULL;
                from = NULL;
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if (m != NULL) {
                atomic_store(&M.offers, m->noffers);
                atomic_store(&M.schedules, m->nschedules);
                atomic_store(&M.load_us, (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
                                                    (t1.tv_nsec - t0.tv_nsec) / 1000));
                atomic_fetch_add(&M.loads, 1);
                if (from != NULL)
                    atomic_fetch_add(&M.replica_loads, 1);
                publish(m);
                have = gen;
                have_day = day;
                continue; /* at once: a write may have come during the load */
            }
            for (int i = 0; i < 10 && !atomic_load(&M.stop); i++)
                usleep(100000); /* the database did not answer: again in a second */
        }
        usleep(10000);
    }
    publish(NULL);
    db_conn_free(db);
    for (unsigned i = 0; i < nreads; i++)
        db_conn_free(reads[i]);
    return NULL;
}

void
feed_model_start(const char *url)
{
    M.url = strdup(url);
    if (M.url == NULL)
        abort();
    atomic_store(&M.stop, false);
    M.started = pthread_create(&M.thread, NULL, model_main, NULL) == 0;
}

void
feed_model_stop(void)
{
    if (M.started) {
        atomic_store(&M.stop, true);
        pthread_join(M.thread, NULL);
        M.started = false;
    }
    free(M.url);
    M.url = NULL;
}

struct feed_model *
feed_model_acquire(uint64_t gen, int wait_ms)
{
    struct feed_model *m = NULL;
    struct timespec until;

    if (!feed_listener_connected())
        return NULL; /* other daemons' writes would go unseen */
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&M.lock);
    /* A model read at gen or later holds every write gen stands for (a generation moves on only
     * after its write committed, and a model's generation is taken before its read begins). A
     * loaded model that is behind is being reloaded: wait for it rather than join every other
     * request on the database, which would slow that very reload down. */
    while (M.current != NULL && M.current->generation < gen && wait_ms > 0 &&
           feed_listener_connected() && pthread_cond_timedwait(&M.published, &M.lock, &until) == 0)
        ;
    if (M.current != NULL && M.current->generation >= gen) {
        m = M.current;
        atomic_fetch_add(&m->refs, 1);
    }
    pthread_mutex_unlock(&M.lock);
    return m;
}

void
feed_model_stats(size_t *offers, size_t *schedules, double *load_seconds, uint64_t *loads,
                 uint64_t *replica_loads)
{
    *replica_loads = atomic_load(&M.replica_loads);
    *offers = atomic_load(&M.offers);
    *schedules = atomic_load(&M.schedules);
    *load_seconds = (double)atomic_load(&M.load_us) / 1e6;
    *loads = atomic_load(&M.loads);
}
