/* /v1/keys: API keys. Admin only. The token is returned once, by POST. */
#include "stek/crypto.h"
#include "stek/token.h"
#include "stek/qspec.h"
#include "stek/tx.h"
#include "stek/entity.h"
#include "stek/keystore.h"
#include "stek/listen.h"
#include "stek/handlers.h"
#include "stek/jspec.h"
#include "stek/hint.h"
#include "stek/config.h"
#include "stek/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const roles[] = {"admin", "partner", "coordinator", "reader", NULL};
static const struct constraint_reply constraints[] = {
    {"api_keys_partner_id_fkey", ERR_VALIDATION, "partner_id", "does not name an existing partner"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

struct create_ctx {
    const char *name, *role, *partner_id, *expires_at;
    char *municipalities; /* a coordinator's, as JSON (owned) */
    int64_t until;
    struct token_minted key;
    struct db_doc out;
};

/*
 * The end of a key of role: expires_at as given (after now, within the role's longest
 * lifetime: STEK_KEY_MAX_DAYS_ADMIN, STEK_KEY_MAX_DAYS), or that longest when absent.
 * False after a field error.
 */
static bool
key_end(const char *given, const char *role, json_t *errs, int64_t *out)
{
    const struct stek_config *cfg = stek_config();
    unsigned days = strcmp(role, "admin") == 0 ? cfg->key_max_days_admin : cfg->key_max_days;
    int64_t now = (int64_t)time(NULL), longest = now + (int64_t)days * 86400;

    if (given == NULL) {
        *out = longest;
        return true;
    }
    if (!timestamp_parse(given, out))
        field_error(errs, "expires_at", "must be a date-time such as 2027-03-01T00:00:00Z");
    else if (*out <= now)
        field_error(errs, "expires_at", "must be in the future");
    else if (*out <= longest + 60) /* a minute's leeway for the caller's clock */
        return true;
    else {
        char m[96];
        snprintf(m, sizeof(m), "is beyond the longest lifetime of a%s %s key (%u days)",
                 role[0] == 'a' ? "n" : "", role, days);
        field_error(errs, "expires_at", m);
    }
    return false;
}

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_key(r->db, c->name, c->role, c->partner_id, c->key.prefix, c->key.hash, c->until,
                      c->municipalities, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    /* A key made to end within 14 days is announced at once (else by the hourly job). */
    if (audit(r, "create", "key", c->out.id, NULL) < 0 || db_announce_expiring_keys(r->db) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

/*
 * A coordinator key's municipalities: 1 to 20 names, each of a municipality with a site (the
 * closest known ones suggested otherwise), none twice. Their JSON into *out (NULL after an
 * error, or when the role needs none; then present is an error too).
 */
static void
check_municipalities(struct request *r, const char *role, json_t *errs, char **out)
{
    const json_t *v = json_object_get(r->json, "municipalities");
    bool coordinator = role != NULL && strcmp(role, "coordinator") == 0;
    size_t i;
    json_t *item;

    *out = NULL;
    if (!coordinator) {
        if (v != NULL && !json_is_null(v))
            field_error(errs, "municipalities", "must be absent for all but a coordinator key");
        return;
    }
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 20) {
        field_error(errs, "municipalities",
                    "a coordinator key needs a list of 1 to 20 municipalities");
        return;
    }
    json_array_foreach(v, i, item)
    {
        const char *name = json_string_value(item);
        char field[40], msg[400];
        json_t *near = NULL;
        snprintf(field, sizeof(field), "municipalities[%zu]", i);
        if (name == NULL || strlen(name) < 1 || strlen(name) > 100 ||
            strlen(name) != json_string_length(item)) {
            field_error(errs, field, "must be the name of a municipality (1 to 100 characters)");
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(json_string_value(json_array_get(v, j)), name) == 0) {
                field_error(errs, field, "is listed twice");
                return;
            }
        if (municipality_unknown(r, name, &near, NULL)) {
            char *list = json_dumps(near, JSON_COMPACT);
            snprintf(msg, sizeof(msg), "no site is in this municipality; closest known: %s",
                     list != NULL ? list : "[]");
            free(list);
            json_decref(near);
            field_error(errs, field, msg);
            return;
        }
    }
    *out = json_dumps(v, JSON_COMPACT);
}

void
h_keys_create(struct request *r)
{
    struct create_ctx c = {0};
    struct jspec spec[] = {
        JS_STR("name", &c.name, JF_REQUIRED, 1, 100),
        JS_ENUMF("role", &c.role, JF_REQUIRED, roles),
        JS_UUIDF("partner_id", &c.partner_id, JF_NULLABLE),
        JS_STR("expires_at", &c.expires_at, 0, 1, 40),
        JS_IGNORE("municipalities"), /* checked below */
        JS_RO("id"),
        JS_RO("prefix"),
        JS_RO("token"),
        JS_RO("created_at"),
        JS_RO("revoked_at"),
        JS_RO("last_used_on"),
        JS_RO("previous_token_valid_until"),
        JS_SPEC_END,
    };
    json_t *errs;

    if (!req_json_body(r, false))
        return;
    errs = json_array();
    jspec_check(r->json, spec, "", errs);
    if (c.role != NULL && strcmp(c.role, "partner") == 0 && c.partner_id == NULL)
        field_error(errs, "partner_id", "is required for a partner key");
    if (c.role != NULL && strcmp(c.role, "partner") != 0 && c.partner_id != NULL)
        field_error(errs, "partner_id", "must be absent for all but a partner key");
    if (c.role != NULL)
        key_end(c.expires_at, c.role, errs, &c.until);
    check_municipalities(r, c.role, errs, &c.municipalities);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the key request is not valid; see errors");
        free(c.municipalities);
        return;
    }
    json_decref(errs);
    if (!token_mint(&c.key))
        reply_problem(r, ERR_INTERNAL, NULL, "no randomness available");
    else if (run_tx(r, create_tx, &c)) {
        keys_changed_here(); /* usable here at once, before NOTIFY stek_keys reloads the keys */
        json_object_set_new(c.out.doc, "token", json_string(c.key.token));
        reply_doc(r, 201, &c.out, "/v1/keys");
    }
    db_doc_clear(&c.out);
    free(c.municipalities);
}

void
h_keys_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    const struct qspec spec[] = {QS_PAGE(&p), QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec))
        return;
    if (db_list_keys(r->db, qcursor_a(&p.cursor), qcursor_b(&p.cursor), p.limit, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

void
h_keys_get(struct request *r)
{
    const char *id = req_id(r, "key");
    struct db_doc d;

    if (id == NULL)
        return;
    if (reply_found(r, db_get_key(r->db, id, &d), "key"))
        reply_json_steal(r, 200, d.doc);
}

static enum tx_result
revoke_tx(struct request *r, void *cls)
{
    const char *id = cls;
    struct db_doc d;
    enum db_qs qs = db_revoke_key(r->db, id);

    if (qs < 0)
        return TX_DB_ERROR;
    if (qs > 0)
        return audit(r, "revoke", "key", id, NULL) < 0 ? TX_DB_ERROR : TX_COMMIT;
    /* Nothing changed: either already revoked (fine, idempotent) or unknown. */
    qs = db_get_key(r->db, id, &d);
    if (qs < 0)
        return TX_DB_ERROR;
    db_doc_clear(&d);
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_NOT_FOUND, NULL, "no key with this id");
        return TX_REPLIED;
    }
    return TX_COMMIT;
}

void
h_keys_delete(struct request *r)
{
    const char *id = req_id(r, "key");

    if (id != NULL && run_tx(r, revoke_tx, (void *)(uintptr_t)id)) {
        /* This daemon forgets the key at once; the others hear NOTIFY stek_keys. */
        keys_changed_here();
        reply_empty(r, 204);
    }
}

struct rotate_ctx {
    const char *id;
    int grace_hours;
    int64_t until;
    struct token_minted key;
    struct db_doc out;
};

static enum tx_result
rotate_tx(struct request *r, void *cls)
{
    struct rotate_ctx *c = cls;
    enum db_qs qs;

    db_doc_clear(&c->out);
    qs = db_rotate_key(r->db, c->id, c->key.hash, c->key.prefix, c->grace_hours, c->until, &c->out);
    if (qs < 0)
        return TX_DB_ERROR;
    if (qs == DB_NO_ROWS) {
        reply_problem(r, ERR_CONFLICT, NULL,
                      "this key is revoked or expired and cannot be rotated; make a new one");
        return TX_REPLIED;
    }
    json_t *changed = json_pack("[s,s]", "token", "expires_at");
    qs = audit(r, "update", "key", c->id, changed); /* a rotation: token and end */
    json_decref(changed);
    return qs < 0 || db_announce_expiring_keys(r->db) < 0 ? TX_DB_ERROR : TX_COMMIT;
}

/*
 * POST /v1/keys/{id}/rotate: a new token for the key (an admin for any key, any key for
 * itself); the old token keeps working grace_hours (STEK_KEY_ROTATION_GRACE_HOURS unless the
 * body says), and the key gets a new end (expires_at, or its role's longest lifetime).
 */
void
h_keys_rotate(struct request *r)
{
    struct rotate_ctx c = {.id = req_id(r, "key"),
                           .grace_hours = (int)stek_config()->key_rotation_grace_h};
    const char *expires_at = NULL;
    long long grace = c.grace_hours;
    struct jspec spec[] = {
        JS_INTEGER("grace_hours", &grace, 0, 0, 720),
        JS_STR("expires_at", &expires_at, 0, 1, 40),
        JS_SPEC_END,
    };
    struct db_doc cur = {0};
    json_t *errs = NULL;

    if (c.id == NULL)
        return;
    if (r->who.role != ROLE_ADMIN && strcmp(c.id, r->who.key_id) != 0) {
        reply_problem(r, ERR_FORBIDDEN, NULL, "a key may rotate only itself; an admin any key");
        return;
    }
    if (r->body_len > 0 && !req_json_body(r, false))
        return;
    if (!reply_found(r, db_get_key(r->db, c.id, &cur), "key"))
        return;
    errs = json_array();
    if (r->json != NULL)
        jspec_check(r->json, spec, "", errs);
    c.grace_hours = (int)grace;
    key_end(expires_at, json_string_value(json_object_get(cur.doc, "role")), errs, &c.until);
    db_doc_clear(&cur);
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the rotation is not valid; see errors");
        return;
    }
    json_decref(errs);
    if (!token_mint(&c.key)) {
        reply_problem(r, ERR_INTERNAL, NULL, "no randomness available");
        return;
    }
    if (run_tx(r, rotate_tx, &c)) {
        keys_changed_here(); /* the new token works here at once */
        json_object_set_new(c.out.doc, "token", json_string(c.key.token));
        json_object_set_new(c.out.doc, "grace_hours", json_integer(c.grace_hours));
        reply_json_steal(r, 200, c.out.doc);
        c.out.doc = NULL;
    }
    db_doc_clear(&c.out);
}

/*
 * What each role may do, as /v1/me lists it: the areas a key of that role writes (a partner
 * key only its own partner's records there, a coordinator only those at its municipalities'
 * sites; a reader writes nothing). Reads of public data need no key.
 */
static const char *const admin_scopes[] = {
    "partners", "sites",  "offers",   "exceptions", "closures", "signals",
    "handoffs", "themes", "webhooks", "keys",       "audit",    NULL,
};
static const char *const partner_scopes[] = {
    "offers", "exceptions", "closures", "signals", "handoffs", "webhooks", NULL,
};
static const char *const coordinator_scopes[] = {
    "sites", "offers", "exceptions", "closures", "signals", NULL,
};
static const char *const reader_scopes[] = {NULL};
static const char *const *const scopes_of[ROLE_COUNT] = {
    [ROLE_ADMIN] = admin_scopes,
    [ROLE_PARTNER] = partner_scopes,
    [ROLE_COORDINATOR] = coordinator_scopes,
    [ROLE_READER] = reader_scopes,
};

/* GET /v1/me: the calling key as stored (never its token), its partner and its scopes. */
void
h_me(struct request *r)
{
    struct db_doc key = {0}, partner = {0};
    enum db_qs qs = db_get_key(r->db, r->who.key_id, &key);
    json_t *scopes = json_array();

    if (qs > 0 && r->who.role == ROLE_PARTNER)
        qs = db_get_partner(r->db, r->who.partner_id, false, &partner);
    if (qs < 0) {
        reply_db_error(r);
        goto out;
    }
    if (qs == DB_NO_ROWS) { /* revoked or its partner deleted while this request waited */
        reply_problem(r, ERR_UNAUTHORIZED, NULL, "this key is no longer valid");
        goto out;
    }
    for (const char *const *s = scopes_of[r->who.role] ? scopes_of[r->who.role] : reader_scopes;
         *s != NULL; s++)
        json_array_append_new(scopes, json_string(*s));
    json_object_set_new(key.doc, "scopes", scopes);
    scopes = NULL;
    json_object_set_new(key.doc, "partner",
                        partner.doc == NULL
                            ? json_null()
                            : json_pack("{s:O, s:O}", "id", json_object_get(partner.doc, "id"),
                                        "name", json_object_get(partner.doc, "name")));
    reply_json_steal(r, 200, key.doc);
    key.doc = NULL;
out:
    json_decref(scopes);
    db_doc_clear(&key);
    db_doc_clear(&partner);
}
