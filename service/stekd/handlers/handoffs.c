/*
 * /v1/handoffs/{code}: the referred partner looks a handoff code up, and marks
 * the visitor's arrival. Only that partner sees the code; to everyone else it
 * does not exist. Failed lookups are rate-limited per key, so that codes
 * cannot be guessed.
 */
#include "stek/clock.h"
#include "stek/config.h"
#include "stek/date.h"
#include "stek/handlers.h"
#include "stek/ratelimit.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
handoff(struct request *r, bool arrive)
{
    char code[16];
    size_t n = 0;
    unsigned left, limit = stek_config()->handoff_guesses;
    struct db_doc d;
    enum db_qs qs;
    int wait;

    if (r->who.role != ROLE_PARTNER) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "handoffs are used by the partner referred to");
        return;
    }
    if ((wait = ratelimit_check(RL_HANDOFF, r->who.key_id, limit, false, &left)) > 0) {
        reply_rate_limited(r, wait, limit, "unknown handoff codes from this key");
        return;
    }
    /* Written on a card and typed on a phone: case, spaces and dashes do not matter. */
    for (const char *p = r->params[0]; *p && n < sizeof(code) - 1; p++)
        if (*p != '-' && *p != ' ')
            code[n++] = (char)toupper((unsigned char)*p);
    code[n] = '\0';
    char today[11];
    date_format(service_today(), today);
    qs = n == 8 ? db_get_handoff(r->db, code, r->who.partner_id, today, arrive, &d) : DB_NO_ROWS;
    if (qs == DB_NO_ROWS && arrive && n == 8) {
        /* Valid and referred to this partner, yet not marked: a referral it made to itself. */
        if ((qs = db_get_handoff(r->db, code, r->who.partner_id, today, false, &d)) > 0) {
            db_doc_clear(&d);
            reply_problem(r, ERR_FORBIDDEN, NULL,
                          "a partner cannot mark arrivals on referrals it made to itself");
            return;
        }
    }
    if (qs < 0) {
        reply_db_error(r);
        return;
    }
    if (qs == DB_NO_ROWS) {
        ratelimit_check(RL_HANDOFF, r->who.key_id, limit, true, &left);
        reply_problem(r, ERR_NOT_FOUND, NULL, "no valid handoff with this code for your partner");
        ratelimit_headers(r, limit, left);
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
