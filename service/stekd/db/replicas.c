/* Read replicas: the monitor thread and the state reads consult (replicas.h). */
#include "internal.h"
#include "stek/clock.h"
#include "stek/job.h"
#include "stek/log.h"
#include "stek/replicas.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLICAS 8
#define SAMPLES 256 /* a minute of the primary's positions, one each 250 ms */
#define PERIOD_MS 250

struct replica {
    char *url;
    PGconn *pg; /* the monitor's own connection */
    _Atomic uint64_t replayed;
    _Atomic int64_t lag_ms;
    atomic_bool healthy, reachable;
    atomic_bool failed; /* a read could not use it: out until the monitor sees it again */
};

static void monitor_run(struct job *j);

static struct {
    struct job job;
    char *primary_url;
    PGconn *primary;
    atomic_bool primary_up;
    unsigned n;
    struct replica r[MAX_REPLICAS];
    int64_t max_lag_ms;
    /* the primary's positions over the last minute (the monitor thread's alone) */
    struct {
        int64_t t;
        uint64_t lsn;
    } samples[SAMPLES];
    unsigned next, count;
} R = {.job = JOB_INIT("replica monitor", monitor_run, NULL)};

uint64_t
lsn_parse(const char *s)
{
    unsigned hi, lo;
    int n = 0;
    if (s == NULL || sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 || s[n] != '\0')
        return 0;
    return (uint64_t)hi << 32 | lo;
}

void
lsn_format(uint64_t lsn, char out[32])
{
    snprintf(out, 32, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

static int64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static PGconn *
connect_to(const char *url)
{
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"2", "stekd-monitor", url, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(pg) != CONNECTION_OK) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* The WAL position statement s gives; 0 when the connection or the query failed. */
static uint64_t
position(PGconn **pg, const char *url, enum db_stmt s)
{
    if (*pg == NULL && (*pg = connect_to(url)) == NULL)
        return 0;
    PGresult *res = PQexecParams(*pg, db_stmt_sql(s), 0, NULL, NULL, NULL, NULL, 0);
    uint64_t lsn = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        lsn = lsn_parse(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (lsn == 0) {
        PQfinish(*pg);
        *pg = NULL;
    }
    return lsn;
}

/* How long ago the primary was at the first position beyond replayed (0: caught up). */
static int64_t
lag_of(uint64_t replayed, int64_t now)
{
    int64_t since = -1;
    for (unsigned k = 0; k < R.count; k++) {
        unsigned i = (R.next + SAMPLES - 1 - k) % SAMPLES; /* newest first */
        if (R.samples[i].lsn <= replayed)
            break;
        since = R.samples[i].t;
    }
    if (since < 0)
        return 0;
    return now - since;
}

static void
monitor_run(struct job *j)
{
    while (!job_stopping(j)) {
        int64_t now = now_ms();
        /* A standby answers this with an error: only a primary has a current position. */
        uint64_t p = position(&R.primary, R.primary_url, STMT0(current_lsn));
        if (p != 0) {
            R.samples[R.next].t = now;
            R.samples[R.next].lsn = p;
            R.next = (R.next + 1) % SAMPLES;
            if (R.count < SAMPLES)
                R.count++;
        }
        if ((p != 0) != atomic_load(&R.primary_up))
            log_event(p != 0 ? "info" : "warn",
                      p != 0 ? "the primary answers" : "the primary cannot be reached", NULL);
        atomic_store(&R.primary_up, p != 0);
        for (unsigned i = 0; i < R.n; i++) {
            struct replica *r = &R.r[i];
            /* A promoted replica is a primary: all it has is current. */
            uint64_t at = position(&r->pg, r->url, STMT0(replayed_lsn));
            int64_t lag = at != 0 ? lag_of(at, now) : INT64_MAX;
            bool healthy = at != 0 && lag <= R.max_lag_ms;
            if (healthy != atomic_load(&r->healthy)) {
                char n[16];
                snprintf(n, sizeof(n), "%u", i);
                log_event(healthy ? "info" : "warn",
                          healthy ? "a replica is back in rotation"
                                  : "a replica is out of rotation",
                          "replica", n, "reason",
                          at == 0   ? "unreachable"
                          : healthy ? ""
                                    : "lag",
                          NULL);
            }
            if (at != 0)
                atomic_store(&r->replayed, at);
            atomic_store(&r->lag_ms, at != 0 ? lag : -1);
            atomic_store(&r->reachable, at != 0);
            atomic_store(&r->healthy, healthy);
            atomic_store(&r->failed, false);
        }
        job_sleep(j, PERIOD_MS);
    }
}

void
replicas_start(const struct stek_config *cfg)
{
    const char *list = cfg->read_urls;
    if (list == NULL || *list == '\0')
        return;
    R.max_lag_ms = (int64_t)cfg->max_replica_lag_s * 1000;
    R.primary_url = strdup(cfg->database_url);
    atomic_store(&R.primary_up, true);
    while (*list != '\0' && R.n < MAX_REPLICAS) {
        size_t len = strcspn(list, " \t\n");
        if (len > 0) {
            R.r[R.n].url = strndup(list, len);
            if (R.r[R.n].url == NULL)
                abort();
            R.n++;
        }
        list += len + (list[len] != '\0');
    }
    job_start(&R.job);
}

void
replicas_stop(void)
{
    job_stop(&R.job);
    PQfinish(R.primary);
    R.primary = NULL;
    for (unsigned i = 0; i < R.n; i++) {
        PQfinish(R.r[i].pg);
        free(R.r[i].url);
    }
    free(R.primary_url);
    memset(&R, 0, sizeof(R));
}

unsigned
replicas_count(void)
{
    return R.n;
}

const char *
replica_url(unsigned i)
{
    return R.r[i].url;
}

bool
replica_usable(unsigned i, uint64_t need)
{
    return i < R.n && atomic_load(&R.r[i].healthy) && !atomic_load(&R.r[i].failed) &&
           atomic_load(&R.r[i].replayed) >= need;
}

bool
replica_reachable(unsigned i)
{
    return i < R.n && atomic_load(&R.r[i].reachable) && !atomic_load(&R.r[i].failed);
}

void
replica_failed(unsigned i)
{
    if (i < R.n)
        atomic_store(&R.r[i].failed, true);
}

bool
primary_available(void)
{
    return R.n == 0 || atomic_load(&R.primary_up);
}

json_t *
replicas_status(void)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < R.n; i++) {
        struct replica *r = &R.r[i];
        int64_t lag = atomic_load(&r->lag_ms);
        json_array_append_new(list,
                              json_pack("{s:i, s:s, s:o}", "replica", (int)i, "state",
                                        !atomic_load(&r->reachable) ? "unreachable"
                                        : atomic_load(&r->healthy)  ? "in_rotation"
                                                                    : "lagging",
                                        "lag_ms", lag >= 0 ? json_integer(lag) : json_null()));
    }
    return json_pack("{s:s, s:o}", "primary", primary_available() ? "up" : "down", "replicas",
                     list);
}

/* ---- read-your-writes per key (replicas.h) ---- */

#define KEY_SLOTS 1024
struct key_position {
    char tag[24]; /* "" when free */
    uint64_t lsn;
    int64_t until; /* time() after which it is forgotten */
};
static struct key_position key_positions[KEY_SLOTS];
static pthread_mutex_t key_positions_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned
key_slot(const char *tag)
{
    unsigned h = 2166136261u;
    for (const char *p = tag; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % KEY_SLOTS;
}

void
replicas_note_write(const char *tag, uint64_t lsn)
{
    int64_t now = (int64_t)time(NULL);
    unsigned start = key_slot(tag), own = KEY_SLOTS, spare = KEY_SLOTS;

    pthread_mutex_lock(&key_positions_mu);
    /* The key's own slot, else the first free or forgotten one of its eight, else its home. */
    for (unsigned i = 0; i < 8 && own == KEY_SLOTS; i++) {
        unsigned at = (start + i) % KEY_SLOTS;
        if (strcmp(key_positions[at].tag, tag) == 0)
            own = at;
        else if (spare == KEY_SLOTS &&
                 (key_positions[at].tag[0] == '\0' || key_positions[at].until < now))
            spare = at;
    }
    struct key_position *k = &key_positions[own != KEY_SLOTS     ? own
                                            : spare != KEY_SLOTS ? spare
                                                                 : start];
    if (strcmp(k->tag, tag) != 0 || k->until < now) {
        snprintf(k->tag, sizeof(k->tag), "%s", tag);
        k->lsn = 0;
    }
    if (lsn > k->lsn)
        k->lsn = lsn;
    k->until = now + KEY_POSITION_S;
    pthread_mutex_unlock(&key_positions_mu);
}

uint64_t
replicas_key_position(const char *tag)
{
    int64_t now = (int64_t)time(NULL);
    unsigned start = key_slot(tag);
    uint64_t lsn = 0;

    pthread_mutex_lock(&key_positions_mu);
    for (unsigned i = 0; i < 8; i++) {
        const struct key_position *k = &key_positions[(start + i) % KEY_SLOTS];
        if (strcmp(k->tag, tag) == 0 && k->until >= now) {
            lsn = k->lsn;
            break;
        }
    }
    pthread_mutex_unlock(&key_positions_mu);
    return lsn;
}
