/* /v1/partners: partner organisations. Reads are public; writes are admin-only. */
#include "stek/domain.h"
#include "stek/handlers.h"
#include "stek/hutil.h"
#include "stek/jspec.h"

#include <stdio.h>
#include <string.h>

#define PARTNERS "/v1/partners"

/* The writable fields of a partner; representations also carry the read-only ones. */
#define PARTNER_SPEC(f)                                                                            \
    {                                                                                              \
        JS_STR("name", &(f)->name, JF_REQUIRED | JF_GUARD, 1, 200),                                \
            JS_STR("kind", &(f)->kind, JF_REQUIRED, 1, 50),                                        \
            JS_TXT("description", &(f)->description, JF_NULLABLE, 2000),                           \
            JS_URLF("website", &(f)->website, JF_NULLABLE),                                        \
            JS_EMAILF("email", &(f)->email, JF_NULLABLE),                                          \
            JS_PHONEF("phone", &(f)->phone, JF_NULLABLE), JS_BOOLEAN("active", &(f)->active, 0),   \
            JS_RO("id"), JS_RO("created_at"), JS_RO("updated_at"), JS_SPEC_END                     \
    }

static const struct constraint_reply constraints[] = {
    {"partners_name_key", ERR_CONFLICT, "name", "another partner already has this name"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

static const char *const list_params[] = {"limit", "cursor", "active", NULL};

void
h_partners_list(struct request *r)
{
    int limit;
    const char *cursor, *active;
    char a[32], b[48];
    struct db_page page;

    if (!req_query_allow(r, list_params) || !req_page(r, &limit, &cursor) ||
        !req_cursor(r, cursor, a, b))
        return;
    active = req_query(r, "active");
    if (active != NULL && strcmp(active, "true") != 0 && strcmp(active, "false") != 0) {
        reply_bad_param(r, "active", "must be true or false");
        return;
    }
    if (db_list_partners(r->db, cursor ? a : NULL, cursor ? b : NULL, limit,
                         active ? (active[0] == 't' ? "t" : "f") : NULL, &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

struct create_ctx {
    struct partner_fields f;
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_partner(r->db, &c->f, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    if (audit(r, "create", "partner", c->out.id) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_partners_create(struct request *r)
{
    struct create_ctx c = {.f = {.active = true}};
    struct jspec spec[] = PARTNER_SPEC(&c.f);

    if (!req_json_body(r, false) || !jspec_parse(r, r->json, spec))
        return;
    if (run_tx(r, create_tx, &c))
        reply_doc(r, 201, &c.out, PARTNERS);
    db_doc_clear(&c.out);
}

void
h_partners_get(struct request *r)
{
    reply_entity(r, "partner", db_get_partner);
}

static enum tx_result
update(struct request *r, const char *id, const json_t *merged, const json_t *patch,
       struct db_doc *out)
{
    struct partner_fields f = {.active = true};
    struct jspec spec[] = PARTNER_SPEC(&f);
    (void)patch;

    if (!jspec_parse(r, merged, spec))
        return TX_REPLIED;
    if (db_update_partner(r->db, id, &f, out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return TX_COMMIT;
}

static enum tx_result
remove_partner(struct request *r, const char *id)
{
    if (db_delete_partner(r->db, id) >= 0)
        return TX_COMMIT;
    if (strcmp(db_sqlstate(r->db), "23503") != 0)
        return TX_DB_ERROR;
    reply_problem(r, ERR_CONFLICT, NULL,
                  "the partner is still referred to (API keys or other records);"
                  " archive it with PATCH {\"active\": false} instead");
    return TX_REPLIED;
}

static const struct entity_ops ops = {"partner", db_get_partner, NULL, update, remove_partner};

void
h_partners_patch(struct request *r)
{
    patch_entity(r, &ops);
}

void
h_partners_delete(struct request *r)
{
    delete_entity(r, &ops);
}
