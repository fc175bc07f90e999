#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/domain.h"
#include "stek/hutil.h"
#include "stek/server.h"
#include "stek/config.h"
#include "stek/ratelimit.h"

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

enum auth_result
auth_check(struct request *r, int need)
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
    if (found == 0 && r->db == NULL && !r->keys_synced)
        return AUTH_SYNC;
    if (found < 0) {
        if (r->db == NULL)
            return AUTH_NEEDS_DB;
        enum db_qs qs = db_auth_key(r->db, hash, &k);
        if (qs < 0) {
            reply_db_error(r);
            return AUTH_REFUSED;
        }
        found = qs > 0;
    }
    if (!found || k.revoked) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      !found ? "the API key is not known" : "the API key was revoked");
        failed(r);
        return AUTH_REFUSED;
    }
    r->who.authenticated = true;
    r->who.role = strcmp(k.role, "admin") == 0 ? ROLE_ADMIN : ROLE_PARTNER;
    snprintf(r->who.key_id, sizeof(r->who.key_id), "%.36s", k.id);
    snprintf(r->who.partner_id, sizeof(r->who.partner_id), "%.36s", k.partner_id);
    if ((int)r->who.role < need) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "this needs an admin key");
        return AUTH_REFUSED;
    }
    if (r->method == M_POST || r->method == M_PATCH || r->method == M_DELETE) {
        unsigned limit = stek_cfg ? stek_cfg->writes_per_minute : 0, left;
        int wait = ratelimit_check(RL_WRITE, r->who.key_id, limit, true, &left);
        if (wait > 0) {
            reply_rate_limited(r, wait, limit, "writes with this key");
            return AUTH_REFUSED;
        }
    }
    return AUTH_OK;
}
