#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/domain.h"
#include "stek/hutil.h"
#include "stek/server.h"
#include "stek/config.h"
#include "stek/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Counts a failed authentication against the client's budget. */
static void
failed(struct request *r)
{
    unsigned left;
    ratelimit_check(RL_AUTH_FAILURE, r->client, stek_cfg ? stek_cfg->auth_failures : 30, true,
                    &left);
}

/* The token of an Authorization header, or NULL after replying 401. */
static const char *
bearer_token(struct request *r)
{
    const char *h = r->h_authorization;

    if (h == NULL) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      "send an API key as 'Authorization: Bearer <token>'");
        failed(r);
        return NULL;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the Authorization scheme must be Bearer");
        failed(r);
        return NULL;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (!token_well_formed(h)) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the API key is malformed");
        failed(r);
        return NULL;
    }
    return h;
}

/*
 * Valid keys found in the database, by token hash. An entry counts only for
 * the keys generation it was stored in: any change to api_keys, here or on
 * another daemon (NOTIFY stek_keys), moves the generation on, and while the
 * listener cannot hear such changes the cache is not used at all.
 */
#define AUTH_SLOTS 1024
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char hash[STEK_SHA256_HEX_LEN + 1];
    uint64_t generation;
    struct key_auth key;
} cache[AUTH_SLOTS];

static unsigned
slot_of(const char *hash)
{
    return (unsigned)strtoul((char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5],
                                       hash[6], hash[7], '\0'},
                             NULL, 16) %
           AUTH_SLOTS;
}

static bool
cached(const char *hash, struct key_auth *out)
{
    unsigned i = slot_of(hash);
    bool hit;

    if (!feed_listener_connected())
        return false;
    pthread_mutex_lock(&cache_mu);
    hit = cache[i].generation == keys_generation() && strcmp(cache[i].hash, hash) == 0;
    if (hit)
        *out = cache[i].key;
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void
remember(const char *hash, uint64_t generation, const struct key_auth *k)
{
    unsigned i = slot_of(hash);

    pthread_mutex_lock(&cache_mu);
    memcpy(cache[i].hash, hash, sizeof(cache[i].hash));
    cache[i].generation = generation;
    cache[i].key = *k;
    pthread_mutex_unlock(&cache_mu);
}

bool
auth_precheck(struct request *r)
{
    return bearer_token(r) != NULL;
}

bool
auth_check(struct request *r, int need)
{
    const char *token = bearer_token(r);
    char hash[STEK_SHA256_HEX_LEN + 1];
    struct key_auth k;
    enum db_qs qs;

    if (token == NULL)
        return false;
    stek_sha256_hex(token, strlen(token), hash);
    if (cached(hash, &k)) {
        qs = (enum db_qs)1;
    } else {
        /* The generation is read before the lookup: a change during it makes the entry stale. */
        uint64_t generation = keys_generation();
        qs = db_auth_key(r->db, hash, &k);
        if (qs < 0) {
            reply_db_error(r);
            return false;
        }
        if (qs > 0 && !k.revoked)
            remember(hash, generation, &k);
    }
    if (qs == DB_NO_ROWS || k.revoked) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      qs == DB_NO_ROWS ? "the API key is not known" : "the API key was revoked");
        failed(r);
        return false;
    }
    r->who.authenticated = true;
    r->who.role = strcmp(k.role, "admin") == 0 ? ROLE_ADMIN : ROLE_PARTNER;
    snprintf(r->who.key_id, sizeof(r->who.key_id), "%.36s", k.id);
    snprintf(r->who.partner_id, sizeof(r->who.partner_id), "%.36s", k.partner_id);
    if ((int)r->who.role < need) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "this needs an admin key");
        return false;
    }
    if (r->method == M_POST || r->method == M_PATCH || r->method == M_DELETE) {
        unsigned limit = stek_cfg ? stek_cfg->writes_per_minute : 0, left;
        int wait = ratelimit_check(RL_WRITE, r->who.key_id, limit, true, &left);
        if (wait > 0) {
            reply_rate_limited(r, wait, limit, "writes with this key");
            return false;
        }
    }
    return true;
}
