#include "stek/ratelimit.h"
#include "stek/metrics.h"
#include "stek/crypto.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS RATELIMIT_SLOTS
#define WINDOW 60

/*
 * Open addressing by (kind, key); a slot whose window has passed is free
 * again. A full table lets events through rather than block everyone.
 * count is this daemon's; others what the other daemons counted, as the last
 * sync read it (ratelimit_share, about once a second).
 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned char kind;
    char key[48];
    time_t window;
    unsigned count, others;
} slots[SLOTS];

static unsigned
hash(enum rl_kind kind, const char *key)
{
    return stek_fnv1a(STEK_FNV_BASIS ^ (unsigned)kind, key);
}

/* The slot of (kind, key) in window, taken if free; -1 when the table is full there. Under mu. */
static int
slot_of(enum rl_kind kind, const char *key, time_t window)
{
    unsigned h = hash(kind, key);
    for (unsigned i = 0; i < 64; i++) {
        unsigned s = (h + i) % SLOTS;
        bool mine = slots[s].window == window && slots[s].kind == kind &&
                    strncmp(slots[s].key, key, sizeof(slots[s].key) - 1) == 0;
        if (!mine && slots[s].window == window)
            continue; /* taken this minute by another key */
        if (!mine) {
            slots[s].kind = (unsigned char)kind;
            snprintf(slots[s].key, sizeof(slots[s].key), "%s", key);
            slots[s].window = window;
            slots[s].count = slots[s].others = 0;
        }
        return (int)s;
    }
    return -1;
}

int
ratelimit_check(enum rl_kind kind, const char *key, unsigned limit, bool count, unsigned *remaining)
{
    time_t now = time(NULL), window = now - now % WINDOW;
    int wait = 0;

    *remaining = limit;
    if (limit == 0 || key == NULL || key[0] == '\0')
        return 0;
    pthread_mutex_lock(&mu);
    int s = slot_of(kind, key, window);
    if (s >= 0) {
        unsigned used = slots[s].count + slots[s].others;
        if (used >= limit)
            wait = (int)(window + WINDOW - now);
        else if (count)
            slots[s].count++, used++;
        *remaining = used >= limit ? 0 : limit - used;
    }
    pthread_mutex_unlock(&mu);
    return wait;
}

long long
ratelimit_minute(void)
{
    return (long long)(time(NULL) / WINDOW);
}

size_t
ratelimit_counts(long long minute, struct db_rate_count *out, char (*keys)[48], size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&mu);
    for (unsigned s = 0; s < SLOTS && n < max; s++) {
        if (slots[s].window != (time_t)minute * WINDOW || slots[s].count == 0)
            continue;
        memcpy(keys[n], slots[s].key, sizeof(keys[n]));
        out[n] = (struct db_rate_count){slots[s].kind, keys[n], slots[s].count};
        n++;
    }
    pthread_mutex_unlock(&mu);
    return n;
}

void
ratelimit_others(int kind, const char *key, unsigned count, void *arg)
{
    time_t window = (time_t) * (const long long *)arg * WINDOW;
    if (kind < 0 || kind >= RL_KIND_COUNT)
        return;
    pthread_mutex_lock(&mu);
    int s = slot_of((enum rl_kind)kind, key, window);
    if (s >= 0)
        slots[s].others = count;
    pthread_mutex_unlock(&mu);
}

void
ratelimit_headers(struct request *r, unsigned limit, unsigned remaining)
{
    char v[32];
    time_t now = time(NULL);

    snprintf(v, sizeof(v), "%u", limit);
    reply_header(r, "RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%u", remaining);
    reply_header(r, "RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%d", (int)(WINDOW - now % WINDOW));
    reply_header(r, "RateLimit-Reset", v);
}

void
reply_rate_limited(struct request *r, int wait, unsigned limit, const char *what)
{
    char v[16];

    metric_inc(M_RATE_LIMITED);
    reply_problem(r, ERR_RATE_LIMITED, NULL, "too many %s; wait %d s", what, wait);
    snprintf(v, sizeof(v), "%d", wait);
    reply_header(r, "Retry-After", v);
    ratelimit_headers(r, limit, 0);
}
