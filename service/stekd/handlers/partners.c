/* /v1/partners: partner organisations. Reads are public; writes are admin-only. */
#include "stek/handlers.h"
#include "stek/i18n.h"
#include "stek/tx.h"
#include "stek/entity.h"
#include "stek/qspec.h"
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
            JS_UUIDF("uitdatabank_organizer_id", &(f)->uitdatabank_organizer_id, JF_NULLABLE),     \
            JS_ENUMF("main_language", NULL, 0, i18n_languages), JS_IGNORE("language"),             \
            JS_RO("id"), JS_RO("created_at"), JS_RO("updated_at"), JS_SPEC_END                     \
    }

/* What a reader may read in several languages (as partner_doc lists it). */
static const char *const translatable[] = {"description", NULL};

static const struct constraint_reply constraints[] = {
    {"partners_name_key", ERR_CONFLICT, "name", "another partner already has this name"},
    {NULL, ERR_VALIDATION, NULL, NULL},
};

void
h_partners_list(struct request *r)
{
    struct qpage p = QPAGE_INIT;
    const char *active = NULL;
    const struct qspec spec[] = {QS_PAGE(&p), QS_BOOLEAN("active", &active), QS_LANGUAGE,
                                 QS_MISSING_LANGUAGES, QS_SPEC_END};
    struct db_page page;

    if (!qspec_parse(r, spec))
        return;
    if (db_list_partners(r->db, qcursor_a(&p.cursor), qcursor_b(&p.cursor), p.limit, active,
                         &page) < 0) {
        reply_db_error(r);
        return;
    }
    reply_page(r, &page);
}

struct create_ctx {
    struct partner_fields f;
    json_t *plain, *translations; /* owned: the body in its main language; the others */
    struct db_doc out;
};

static enum tx_result
create_tx(struct request *r, void *cls)
{
    struct create_ctx *c = cls;

    db_doc_clear(&c->out);
    if (db_insert_partner(r->db, &c->f, &c->out) <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    if (audit(r, "create", "partner", c->out.id, NULL) < 0)
        return TX_DB_ERROR;
    return TX_COMMIT;
}

void
h_partners_create(struct request *r)
{
    struct create_ctx c = {.f = {.active = true}};
    struct jspec spec[] = PARTNER_SPEC(&c.f);

    if (!req_json_body(r, false) ||
        (c.plain = jspec_parse_i18n(r, r->json, spec, translatable, "nl", &c.f.lang.main_language,
                                    &c.translations)) == NULL)
        return;
    c.f.lang.translations = c.translations;
    if (run_tx(r, create_tx, &c))
        reply_doc(r, 201, &c.out, PARTNERS);
    db_doc_clear(&c.out);
    json_decref(c.plain);
    json_decref(c.translations);
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
    json_t *translations, *plain;
    enum db_qs qs;
    (void)patch;

    plain =
        jspec_parse_i18n(r, merged, spec, translatable, "nl", &f.lang.main_language, &translations);
    if (plain == NULL)
        return TX_REPLIED;
    f.lang.translations = translations;
    qs = db_update_partner(r->db, id, &f, out);
    json_decref(plain);
    json_decref(translations);
    if (qs <= 0)
        return reply_constraint(r, constraints, "") ? TX_REPLIED : TX_DB_ERROR;
    return TX_COMMIT;
}

static enum tx_result
remove_partner(struct request *r, const char *id)
{
    if (db_delete_partner(r->db, id) >= 0)
        return TX_COMMIT;
    if (db_last_failure(r->db) != DB_FOREIGN_KEY)
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
