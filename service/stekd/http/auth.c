#include "stek/crypto.h"
#include "stek/db.h"
#include "stek/domain.h"
#include "stek/hutil.h"
#include "stek/server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The token of an Authorization header, or NULL after replying 401. */
static const char *
bearer_token(struct request *r)
{
    const char *h = r->h_authorization;

    if (h == NULL) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      "send an API key as 'Authorization: Bearer <token>'");
        return NULL;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the Authorization scheme must be Bearer");
        return NULL;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (!token_well_formed(h)) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "the API key is malformed");
        return NULL;
    }
    return h;
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
    qs = db_auth_key(r->db, hash, &k);
    if (qs < 0) {
        reply_db_error(r);
        return false;
    }
    if (qs == DB_NO_ROWS || k.revoked) {
        reply_problem(r, ERR_UNAUTHORIZED, NULL,
                      qs == DB_NO_ROWS ? "the API key is not known" : "the API key was revoked");
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
    return true;
}
