/*
 * /v1/handoffs/{code}: the referred partner looks a handoff code up, and marks
 * the visitor's arrival. Only that partner sees the code; to everyone else it
 * does not exist. Failed lookups are rate-limited per key, so that codes
 * cannot be guessed.
 */
#include "stek/config.h"
#include "stek/handlers.h"
#include "stek/hutil.h"
#include "stek/metrics.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WINDOW 60

/* Failed lookups per key in the current minute; a small table, collisions only make it stricter. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char key_id[40];
    time_t window;
    unsigned failures;
} guesses[1024];

static unsigned
slot(const char *key_id)
{
    unsigned h = 5381;
    for (const char *p = key_id; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return h % 1024;
}

/* Seconds to wait when the key has no guesses left, 0 otherwise; counts one when failed. */
static int
guess_check(const char *key_id, bool count_failure, unsigned *left)
{
    unsigned limit = stek_cfg ? stek_cfg->handoff_guesses : 10;
    time_t now = time(NULL), window = now - now % WINDOW;
    int wait = 0;

    pthread_mutex_lock(&mu);
    unsigned i = slot(key_id);
    if (strcmp(guesses[i].key_id, key_id) != 0 || guesses[i].window != window) {
        snprintf(guesses[i].key_id, sizeof(guesses[i].key_id), "%s", key_id);
        guesses[i].window = window;
        guesses[i].failures = 0;
    }
    if (guesses[i].failures >= limit)
        wait = (int)(window + WINDOW - now);
    else if (count_failure)
        guesses[i].failures++;
    *left = guesses[i].failures >= limit ? 0 : limit - guesses[i].failures;
    pthread_mutex_unlock(&mu);
    return wait;
}

static void
rate_headers(struct request *r, unsigned left)
{
    char v[64];
    time_t now = time(NULL);
    snprintf(v, sizeof(v), "%u", stek_cfg ? stek_cfg->handoff_guesses : 10);
    reply_header(r, "RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%u", left);
    reply_header(r, "RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%d", (int)(WINDOW - now % WINDOW));
    reply_header(r, "RateLimit-Reset", v);
}

static void
handoff(struct request *r, bool arrive)
{
    char code[16];
    size_t n = 0;
    unsigned left;
    struct db_doc d;
    enum db_qs qs;
    int wait;

    if (r->who.role != ROLE_PARTNER) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "handoffs are used by the partner referred to");
        return;
    }
    if ((wait = guess_check(r->who.key_id, false, &left)) > 0) {
        char v[16];
        metric_inc(M_RATE_LIMITED);
        reply_problem(r, ERR_RATE_LIMITED, NULL,
                      "too many unknown handoff codes from this key; wait %d s", wait);
        snprintf(v, sizeof(v), "%d", wait);
        reply_header(r, "Retry-After", v);
        rate_headers(r, 0);
        return;
    }
    /* Written on a card and typed on a phone: case, spaces and dashes do not matter. */
    for (const char *p = r->params[0]; *p && n < sizeof(code) - 1; p++)
        if (*p != '-' && *p != ' ')
            code[n++] = (char)toupper((unsigned char)*p);
    code[n] = '\0';
    qs = n == 8 ? db_get_handoff(r->db, code, r->who.partner_id, arrive, &d) : DB_NO_ROWS;
    if (qs < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        guess_check(r->who.key_id, true, &left);
        reply_problem(r, ERR_NOT_FOUND, NULL, "no valid handoff with this code for your partner");
        rate_headers(r, left);
        return;
    }
    reply_json_steal(r, 200, d.doc);
}

void
h_handoffs_get(struct request *r)
{
    handoff(r, false);
}

void
h_handoffs_arrive(struct request *r)
{
    /* Marking twice keeps the first arrival: coalesce(arrived_at, now()) in the statement. */
    handoff(r, true);
}
