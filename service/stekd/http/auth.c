#include "stek/crypto.h"
#include "stek/token.h"
#include "stek/auth.h"
#include "stek/keystore.h"
#include "stek/db.h"
#include "stek/server.h"
#include "stek/config.h"
#include "stek/ratelimit.h"
#include "stek/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * Failed authentications are counted per client address; past the budget the
 * address gets 429 instead of 401 for keys that do not work. A key that works
 * is never refused because of other requests from the same address (many
 * users of a municipality share one address behind NAT).
 */
static unsigned
failure_limit(void)
{
    return stek_config()->auth_failures;
}

/* True (after replying 429) when this address already failed too often. */
static bool
too_many_failures(struct request *r)
{
    unsigned left, limit = failure_limit();
    int wait = ratelimit_check(RL_AUTH_FAILURE, r->client, limit, false, &left);
    if (wait <= 0)
        return false;
    reply_rate_limited(r, wait, limit, "failed authentications from this address");
    return true;
}

/* Counts a failed authentication against the client's budget (the 401 is already set). */
static void
failed(struct request *r)
{
    unsigned left;
    ratelimit_check(RL_AUTH_FAILURE, r->client, failure_limit(), true, &left);
}

bool
auth_token_tag(const struct request *r, char out[24])
{
    const char *h = r->h_authorization;
    char hash[STEK_SHA256_HEX_LEN + 1];

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    if (!token_well_formed(h))
        return false;
    stek_sha256_hex(h, strlen(h), hash);
    snprintf(out, 24, "%.20s", hash);
    return true;
}

/* The token of an Authorization header, or NULL after replying 401 (or 429). */
static const char *
bearer_token(struct request *r)
{
    const char *h = r->h_authorization;
    const char *problem = NULL;

    if (h == NULL)
        problem = "send an API key as 'Authorization: Bearer <token>'";
    else if (strncasecmp(h, "Bearer ", 7) != 0)
        problem = "the Authorization scheme must be Bearer";
    else {
        h += 7;
        while (*h == ' ')
            h++;
        if (!token_well_formed(h))
            problem = "the API key is malformed";
    }
    if (problem == NULL)
        return h;
    if (!too_many_failures(r)) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "%s", problem);
        failed(r);
    }
    return NULL;
}

/*
 * True (after replying 401) when the key has ended or the token is one a rotation replaced
 * and its grace is over. The answer says which, since only a holder of the token can ask:
 * an expired key is renewed by an admin, a replaced token by the new one.
 */
static bool
refused_as_ended(struct request *r, const struct key_auth *k)
{
    char when[32];
    time_t t = (time_t)k->valid_until;
    struct tm tm;

    if (k->valid_until > (int64_t)time(NULL))
        return false;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (k->replaced)
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      "this token was replaced by a rotation of key %s; its grace ended at %s: "
                      "use the new token",
                      k->id, when);
    else
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      "the API key %s expired at %s; an admin can rotate it or make a new one",
                      k->id, when);
    failed(r);
    return true;
}

const char *const role_names[ROLE_COUNT] = {"", "admin", "partner", "coordinator", "reader"};

/* A stored role's name into its role (the database's CHECK allows no other). */
static enum role
role_parse(const char *name)
{
    for (int i = ROLE_ADMIN; i < ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0)
            return (enum role)i;
    return ROLE_NONE;
}

enum auth_result
auth_check(struct request *r, unsigned allow)
{
    const char *token = bearer_token(r);
    char hash[STEK_SHA256_HEX_LEN + 1];
    struct key_auth k;
    int found;

    if (token == NULL)
        return AUTH_REFUSED;
    stek_sha256_hex(token, strlen(token), hash);
    /* The listener's copy of the keys decides without a database connection. */
    found = keys_lookup(hash, &k);
    bool works = found > 0 && !k.revoked;
    if (!works && found >= 0) {
        if (too_many_failures(r))
            return AUTH_REFUSED;
        /*
         * Unknown and revoked keys take the same path (the listener catches up first),
         * so neither the answer nor its timing tells which keys ever existed.
         */
        if (r->db == NULL && !r->keys_synced)
            return AUTH_SYNC;
    }
    if (found < 0) {
        if (r->db == NULL)
            return AUTH_NEEDS_DB;
        enum db_qs qs = db_auth_key(r->db, hash, &k);
        if (qs < 0) {
            reply_db_error(r);
            return AUTH_REFUSED;
        }
        found = qs > 0;
        if ((!found || k.revoked) && too_many_failures(r))
            return AUTH_REFUSED;
    }
    if (!found || k.revoked) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the API key is not valid (unknown or revoked)");
        failed(r);
        return AUTH_REFUSED;
    }
    if (refused_as_ended(r, &k))
        return AUTH_REFUSED;
    r->who.authenticated = true;
    r->who.role = role_parse(k.role);
    snprintf(r->who.key_id, sizeof(r->who.key_id), "%.36s", k.id);
    snprintf(r->who.partner_id, sizeof(r->who.partner_id), "%.36s", k.partner_id);
    snprintf(r->who.scope, sizeof(r->who.scope), "%s", k.scope);
    if (k.archived) {
        reply_problem(r, ERR_FORBIDDEN, NULL,
                      "the partner of this key is archived; an admin can reactivate it");
        return AUTH_REFUSED;
    }
    if ((allow & (1u << r->who.role)) == 0) {
        char which[64] = "";
        for (int i = ROLE_ADMIN; i < ROLE_COUNT; i++)
            if (allow & (1u << i))
                snprintf(which + strlen(which), sizeof(which) - strlen(which), "%s%s",
                         which[0] ? ", " : "", role_names[i]);
        reply_problem(r, ERR_FORBIDDEN, NULL, "a%s %s key may not do this; it needs: %s",
                      r->who.role == ROLE_ADMIN ? "n" : "", role_names[r->who.role], which);
        return AUTH_REFUSED;
    }
    if (r->method == M_POST || r->method == M_PATCH || r->method == M_DELETE) {
        unsigned limit = stek_config()->writes_per_minute, left;
        int wait = ratelimit_check(RL_WRITE, r->who.key_id, limit, true, &left);
        if (wait > 0) {
            reply_rate_limited(r, wait, limit, "writes with this key");
            return AUTH_REFUSED;
        }
    }
    return AUTH_OK;
}

bool
auth_confirm_write(struct request *r)
{
    bool revoked = false, archived = false;
    enum db_qs qs;

    if (r->who.role == ROLE_ADMIN ||
        !(r->method == M_POST || r->method == M_PATCH || r->method == M_DELETE))
        return true;
    /*
     * The in-memory keys follow NOTIFY within milliseconds; a scoped key's write is confirmed on
     * the worker's own connection, so that no offer, exception or signal is ever written with
     * a key revoked or a partner archived a moment ago on another daemon.
     */
    if ((qs = db_key_state(r->db, r->who.key_id, &revoked, &archived)) < 0) {
        reply_db_error(r);
        return false;
    }
    if (qs == DB_NO_ROWS || revoked) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the API key is not valid (unknown or revoked)");
        return false;
    }
    if (archived) {
        reply_problem(r, ERR_FORBIDDEN, NULL,
                      "the partner of this key is archived; an admin can reactivate it");
        return false;
    }
    return true;
}

/* The day each key was last noted as used here: slots by the key id's hash (a collision only
 * writes once more; the statement changes nothing when the day is already stored). */
static struct {
    pthread_mutex_t mu;
    struct {
        char id[40];
        int32_t day;
    } slot[512];
} used = {.mu = PTHREAD_MUTEX_INITIALIZER};

void
auth_note_use(struct db_conn *db, const char *key_id, int32_t day)
{
    unsigned h = 5381;
    bool fresh;

    for (const char *p = key_id; *p; p++)
        h = h * 33u + (unsigned char)*p;
    h %= sizeof(used.slot) / sizeof(used.slot[0]);
    pthread_mutex_lock(&used.mu);
    fresh = used.slot[h].day != day || strcmp(used.slot[h].id, key_id) != 0;
    pthread_mutex_unlock(&used.mu);
    if (!fresh)
        return;
    if (db_touch_key(db, key_id, day) < 0) {
        log_event("warn", "could not note a key's use", "key_id", key_id, NULL);
        return;
    }
    pthread_mutex_lock(&used.mu);
    snprintf(used.slot[h].id, sizeof(used.slot[h].id), "%s", key_id);
    used.slot[h].day = day;
    pthread_mutex_unlock(&used.mu);
}
