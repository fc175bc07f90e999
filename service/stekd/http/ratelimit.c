#include "stek/ratelimit.h"
#include "stek/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS 8192
#define WINDOW 60

/*
 * Open addressing by (kind, key); a slot whose window has passed is free
 * again. A full table lets events through rather than block everyone.
 */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned char kind;
    char key[48];
    time_t window;
    unsigned count;
} slots[SLOTS];

static unsigned
hash(enum rl_kind kind, const char *key)
{
    unsigned h = 2166136261u ^ (unsigned)kind;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

int
ratelimit_check(enum rl_kind kind, const char *key, unsigned limit, bool count, unsigned *remaining)
{
    time_t now = time(NULL), window = now - now % WINDOW;
    unsigned h = hash(kind, key);
    int wait = 0;

    *remaining = limit;
    if (limit == 0 || key == NULL || key[0] == '\0')
        return 0;
    pthread_mutex_lock(&mu);
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
            slots[s].count = 0;
        }
        if (slots[s].count >= limit)
            wait = (int)(window + WINDOW - now);
        else if (count)
            slots[s].count++;
        *remaining = slots[s].count >= limit ? 0 : limit - slots[s].count;
        break;
    }
    pthread_mutex_unlock(&mu);
    return wait;
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
