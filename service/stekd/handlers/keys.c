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

#include <stdio.h>
#include <string.h>

static const char *const roles[] = {"admin", "partner", NULL};
static const struct constraint_reply constraints[] = {
    {"api_keys_partner_id_fkey", ERR_VALIDATION, "partner_id", "does not name an existing partner"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

struct create_ctx {
    const char *name, *role, *partner_id;
    struct token_minted key;
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_key(r->db, c->name, c->role, c->partner_id, c->key.prefix, c->key.hash,
                      &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    if (audit(r, "create", "key", c->out.id, NULL) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_keys_create(struct request *r)
{
    struct create_ctx c = {0};
    struct jspec spec[] = {
        JS_STR("name", &c.name, JF_REQUIRED, 1, 100),
        JS_ENUMF("role", &c.role, JF_REQUIRED, roles),
        JS_UUIDF("partner_id", &c.partner_id, JF_NULLABLE),
        JS_RO("id"),
        JS_RO("prefix"),
        JS_RO("token"),
        JS_RO("created_at"),
        JS_RO("revoked_at"),
        JS_SPEC_END,
    };
    json_t *errs;

    if (!req_json_body(r, false))
        return;
    errs = json_array();
    jspec_check(r->json, spec, "", errs);
    if (c.role != NULL && strcmp(c.role, "partner") == 0 && c.partner_id == NULL)
        field_error(errs, "partner_id", "is required for a partner key");
    if (c.role != NULL && strcmp(c.role, "admin") == 0 && c.partner_id != NULL)
        field_error(errs, "partner_id", "must be absent for an admin key");
    if (json_array_size(errs) > 0) {
        reply_problem(r, ERR_VALIDATION, errs, "the key request is not valid; see errors");
        return;
    }
    json_decref(errs);
    if (!token_mint(&c.key)) {
        reply_problem(r, ERR_INTERNAL, NULL, "no randomness available");
        return;
    }
    if (run_tx(r, create_tx, &c)) {
        keys_changed_here(); /* usable here at once, before NOTIFY stek_keys reloads the keys */
        json_object_set_new(c.out.doc, "token", json_string(c.key.token));
        reply_doc(r, 201, &c.out, "/v1/keys");
    }
    db_doc_clear(&c.out);
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

/*
 * What each role may do, as /v1/me lists it: the areas a key of that role writes (a partner
 * key only its own partner's records there). Reads of public data need no key.
 */
static const char *const admin_scopes[] = {
    "partners", "sites",  "offers",   "exceptions", "closures", "signals",
    "handoffs", "themes", "webhooks", "keys",       "audit",    NULL,
};
static const char *const partner_scopes[] = {
    "offers", "exceptions", "closures", "signals", "handoffs", "webhooks", NULL,
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
    for (const char *const *s = r->who.role == ROLE_ADMIN ? admin_scopes : partner_scopes;
         *s != NULL; s++)
        json_array_append_new(scopes, json_string(*s));
    json_object_set_new(key.doc, "scopes", scopes);
    scopes = NULL;
    json_object_set_new(key.doc, "expires_at", json_null()); /* keys do not expire yet */
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
